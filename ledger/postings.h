// Double-entry postings carried by financial events. Every event payload
// with a `repeated rcl.v1.Posting postings` field is financial; its postings
// must sum to zero (debits > 0 equal credits < 0).
#ifndef RCL_LEDGER_POSTINGS_H_
#define RCL_LEDGER_POSTINGS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "rcl/v1/events.pb.h"

namespace rcl::ledger {

// The postings of any event payload (empty if it has none).
std::vector<rcl::v1::Posting> ExtractPostings(const google::protobuf::Message& payload);

// OK iff every posting has a non-empty account, a non-zero amount, and the
// amounts sum to zero without overflow.
absl::Status CheckBalanced(const std::vector<rcl::v1::Posting>& postings);
absl::Status CheckBalancedField(
    const google::protobuf::RepeatedPtrField<rcl::v1::Posting>& postings);

// CheckBalanced of any event payload's postings, read in place (OK when it
// has none). Thread-safe (a per-thread cache of at most kPostingTypesMax
// message types' postings fields).
absl::Status CheckMessageBalanced(const google::protobuf::Message& payload);

// The postings of an event payload of message `type` (e.g.
// "ChargeRecorded"): empty when `type` is not a message of rcl.v1 with
// postings; INTERNAL when the payload does not parse as `type`.
absl::StatusOr<std::vector<rcl::v1::Posting>> PayloadPostings(std::string_view type,
                                                              std::string_view payload);

// The postings check for a stored or about-to-be-stored event: OK when
// `type` (a payload message name, e.g. "ChargeRecorded") is not a message of
// rcl.v1 with postings, or when `payload` is well-formed protobuf wire
// bytes whose postings balance under CheckBalanced's rules (read from the
// wire without building the message). Otherwise INTERNAL, saying why;
// callers reading from disk report it as DATA_LOSS. Thread-safe (a per-thread
// cache of at most kPostingTypesMax types' field numbers).
inline constexpr size_t kPostingTypesMax = 1024;
absl::Status CheckPayloadBalanced(std::string_view type, std::string_view payload);

// Appends Dr `debit_account` / Cr `credit_account` of `amount_cents`, which
// must be > 0 (RCL_CHECK: what is about to be written).
void AddPostingPair(google::protobuf::RepeatedPtrField<rcl::v1::Posting>* postings,
                    std::string_view debit_account, std::string_view credit_account,
                    int64_t amount_cents);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_POSTINGS_H_
