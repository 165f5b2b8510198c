#include "ledger/postings.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace rcl::ledger {

std::vector<rcl::v1::Posting> ExtractPostings(const google::protobuf::Message& payload) {
  std::vector<rcl::v1::Posting> out;
  const google::protobuf::FieldDescriptor* field = payload.GetDescriptor()->FindFieldByName("postings");
  if (field == nullptr || !field->is_repeated() ||
      field->message_type() != rcl::v1::Posting::descriptor()) {
    return out;
  }
  const google::protobuf::Reflection* reflection = payload.GetReflection();
  int n = reflection->FieldSize(payload, field);
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    out.push_back(static_cast<const rcl::v1::Posting&>(reflection->GetRepeatedMessage(payload, field, i)));
  }
  return out;
}

absl::Status CheckBalanced(const std::vector<rcl::v1::Posting>& postings) {
  int64_t sum = 0;
  for (const rcl::v1::Posting& p : postings) {
    if (p.account().empty()) return absl::InternalError("posting without an account");
    if (p.amount_cents() == 0) return absl::InternalError("posting of zero cents");
    if (__builtin_add_overflow(sum, p.amount_cents(), &sum)) return absl::InternalError("postings overflow");
  }
  if (sum != 0) return absl::InternalError(absl::StrCat("postings do not balance: off by ", sum, " cents"));
  return absl::OkStatus();
}

void AddPostingPair(google::protobuf::RepeatedPtrField<rcl::v1::Posting>* postings, std::string_view debit_account,
                    std::string_view credit_account, int64_t amount_cents) {
  rcl::v1::Posting* debit = postings->Add();
  debit->set_account(std::string(debit_account));
  debit->set_amount_cents(amount_cents);
  rcl::v1::Posting* credit = postings->Add();
  credit->set_account(std::string(credit_account));
  credit->set_amount_cents(-amount_cents);
}

}  // namespace rcl::ledger
