#include "ledger/postings.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "ledger/status.h"

namespace rcl::ledger {

std::vector<rcl::v1::Posting> ExtractPostings(const google::protobuf::Message& payload) {
  std::vector<rcl::v1::Posting> out;
  const google::protobuf::FieldDescriptor* field =
      payload.GetDescriptor()->FindFieldByName("postings");
  if (field == nullptr || !field->is_repeated() ||
      field->message_type() != rcl::v1::Posting::descriptor()) {
    return out;
  }
  const google::protobuf::Reflection* reflection = payload.GetReflection();
  int n = reflection->FieldSize(payload, field);
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    out.push_back(
        static_cast<const rcl::v1::Posting&>(reflection->GetRepeatedMessage(payload, field, i)));
  }
  return out;
}

absl::Status CheckBalanced(const std::vector<rcl::v1::Posting>& postings) {
  int64_t sum = 0;
  for (const rcl::v1::Posting& p : postings) {
    if (p.account().empty()) return absl::InternalError("posting without an account");
    if (p.amount_cents() == 0) return absl::InternalError("posting of zero cents");
    if (__builtin_add_overflow(sum, p.amount_cents(), &sum))
      return absl::InternalError("postings overflow");
  }
  if (sum != 0)
    return absl::InternalError(absl::StrCat("postings do not balance: off by ", sum, " cents"));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<rcl::v1::Posting>> PayloadPostings(std::string_view type,
                                                              std::string_view payload) {
  // The pool that holds rcl.v1's generated messages (naming Posting links
  // events.proto in).
  const google::protobuf::DescriptorPool* pool = rcl::v1::Posting::descriptor()->file()->pool();
  const google::protobuf::Descriptor* descriptor =
      pool->FindMessageTypeByName(absl::StrCat("rcl.v1.", AbslView(type)));
  if (descriptor == nullptr) return std::vector<rcl::v1::Posting>{};
  const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByName("postings");
  if (field == nullptr || !field->is_repeated() ||
      field->message_type() != rcl::v1::Posting::descriptor()) {
    return std::vector<rcl::v1::Posting>{};
  }
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
  if (prototype == nullptr)
    return absl::InternalError(absl::StrCat("no message class for ", AbslView(type)));
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  if (payload.size() > static_cast<size_t>(INT32_MAX) ||
      !message->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InternalError(absl::StrCat("undecodable ", AbslView(type), " payload"));
  }
  return ExtractPostings(*message);
}

absl::Status CheckPayloadBalanced(std::string_view type, std::string_view payload) {
  RCL_ASSIGN_OR_RETURN(std::vector<rcl::v1::Posting> postings, PayloadPostings(type, payload));
  return CheckBalanced(postings);
}

void AddPostingPair(google::protobuf::RepeatedPtrField<rcl::v1::Posting>* postings,
                    std::string_view debit_account, std::string_view credit_account,
                    int64_t amount_cents) {
  rcl::v1::Posting* debit = postings->Add();
  debit->set_account(std::string(debit_account));
  debit->set_amount_cents(amount_cents);
  rcl::v1::Posting* credit = postings->Add();
  credit->set_account(std::string(credit_account));
  credit->set_amount_cents(-amount_cents);
}

}  // namespace rcl::ledger
