// Server-independent pieces of the claims-to-cash commands of `rcl`: strict
// parsers for the words and specs their flags take (claim payment statuses,
// adjustment specs "CO-45:50.00", adjudicated line specs
// "1:paid=450.00:allowed=750.00:adj=CO-45:50.00", write-off reasons, ...) and
// the rendering of a claim view, a scrub result and a patient statement.
//
// Every parse error is INVALID_ARGUMENT whose message starts with the flag and
// names the offending part: `--line: "1:paid=4x": paid=4x: amount must be ...`.
#ifndef RCL_CLIENTS_CLI_CLAIMS_H_
#define RCL_CLIENTS_CLI_CLAIMS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clients/cli_output.h"
#include "rcl/v1/api.pb.h"
#include "rcl/v1/events.pb.h"

namespace rcl::cli {

// An amount in dollars that may be negative ("-12.34"), exactly, through
// rcl::ParseAmountCents(allow_negative).
absl::StatusOr<int64_t> ParseSignedAmountFlag(absl::string_view flag, absl::string_view text);

// primary | secondary | tertiary | denied | predetermination (any case; the
// CLP02 codes 1, 2, 3, 4 and 25 are accepted too).
absl::StatusOr<rcl::v1::ClaimPaymentStatus> ParseClaimPaymentStatus(absl::string_view flag,
                                                                    absl::string_view text);

// CO | PR | OA | PI | CR (any case).
absl::StatusOr<rcl::v1::AdjustmentGroup> ParseAdjustmentGroup(absl::string_view flag,
                                                              absl::string_view text);

// "GROUP-CARC[-RARC]", e.g. "CO-45", "PR-1", "CO-16-M51": the code part of an
// adjustment, without the amount.
absl::StatusOr<rcl::v1::Adjustment> ParseAdjustmentCode(absl::string_view flag,
                                                        absl::string_view text);

// "GROUP-CARC[-RARC]:AMOUNT", e.g. "CO-45:10.00" or "OA-23:-5.00" (a signed,
// non-zero amount): the value of --claim-adj.
absl::StatusOr<rcl::v1::Adjustment> ParseAdjustmentSpec(absl::string_view flag,
                                                        absl::string_view text);

// "N[:paid=AMT][:allowed=AMT][:adj=GROUP-CARC[-RARC]:AMT]..." (the value of
// --line): the line number first, then ':'-separated parts; an adj takes two
// parts, its code and its (signed, non-zero) amount. paid and allowed are
// non-negative, each at most once, and default to 0.
absl::StatusOr<rcl::v1::LineAdjudication> ParseLineSpec(absl::string_view flag,
                                                        absl::string_view text);

// contractual | small_balance | bad_debt | charity | timely_filing |
// administrative ("-" may stand for "_").
absl::StatusOr<rcl::v1::WriteOffReason> ParseWriteOffReason(absl::string_view flag,
                                                            absl::string_view text);

// payer | patient.
absl::StatusOr<rcl::v1::BalanceSide> ParseBalanceSide(absl::string_view flag,
                                                      absl::string_view text);

// overturned | upheld | partial.
absl::StatusOr<rcl::v1::AppealOutcome> ParseAppealOutcome(absl::string_view flag,
                                                          absl::string_view text);

// CHK | ACH | NON (any case).
absl::StatusOr<rcl::v1::PaymentMethod> ParsePaymentMethod(absl::string_view flag,
                                                          absl::string_view text);

// The words above, for output ("primary", "CO", "small_balance", ...).
std::string ClaimPaymentStatusWord(rcl::v1::ClaimPaymentStatus status);
std::string AdjustmentGroupWord(rcl::v1::AdjustmentGroup group);
std::string WriteOffReasonWord(rcl::v1::WriteOffReason reason);
std::string AppealOutcomeWord(rcl::v1::AppealOutcome outcome);

// "CO-45:50.00" / "CO-16-M51:150.00": the spec ParseAdjustmentSpec reads.
std::string FormatAdjustmentSpec(const rcl::v1::Adjustment& adjustment);

// A claim view as one JSON object: snake_case keys, integer `_cents`, the
// lines and the appeals as arrays.
void WriteClaimViewJson(const rcl::v1::ClaimView& claim, JsonWriter* w);
// A claim view for people: a header, the money, a table of lines, appeals.
std::string ClaimViewText(const rcl::v1::ClaimView& claim);

// A scrub result: "scrub passed" or "scrub failed" and one line per edit.
void AppendScrubJson(const rcl::v1::ClaimScrubbed& scrub, JsonWriter* w);  // keys only
std::string ScrubText(const rcl::v1::ClaimScrubbed& scrub);

// A patient statement: its lines and balance.
void AppendStatementJson(const rcl::v1::PatientStatementIssued& statement,
                         JsonWriter* w);  // keys only
std::string StatementText(const rcl::v1::PatientStatementIssued& statement);

}  // namespace rcl::cli

#endif  // RCL_CLIENTS_CLI_CLAIMS_H_
