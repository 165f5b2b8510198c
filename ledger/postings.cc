#include "ledger/postings.h"

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/message.h"
#include "google/protobuf/wire_format_lite.h"
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

namespace {

// CheckBalanced's rules over any sequence of postings.
template <typename Postings>
absl::Status CheckBalancedRange(const Postings& postings) {
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

// The `repeated rcl.v1.Posting postings` field of messages of type `d`, or
// null. Looked up once per type and thread.
const google::protobuf::FieldDescriptor* PostingsField(const google::protobuf::Descriptor* d) {
  thread_local absl::flat_hash_map<const google::protobuf::Descriptor*,
                                   const google::protobuf::FieldDescriptor*>
      fields;
  if (auto it = fields.find(d); it != fields.end()) return it->second;
  RCL_CHECK(fields.size() < kPostingTypesMax) << "more event types than kPostingTypesMax";
  const google::protobuf::FieldDescriptor* f = d->FindFieldByName("postings");
  if (f != nullptr && (!f->is_repeated() || f->message_type() != rcl::v1::Posting::descriptor())) {
    f = nullptr;
  }
  fields.emplace(d, f);
  return f;
}

// The i-th of `payload`'s postings (`field` is PostingsField of its type).
struct PostingsOfMessage {
  const google::protobuf::Message* payload;
  const google::protobuf::FieldDescriptor* field;
  struct Iterator {
    const PostingsOfMessage* of;
    int i;
    const rcl::v1::Posting& operator*() const {
      return static_cast<const rcl::v1::Posting&>(
          of->payload->GetReflection()->GetRepeatedMessage(*of->payload, of->field, i));
    }
    Iterator& operator++() {
      ++i;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return i != other.i; }
  };
  Iterator begin() const { return Iterator{this, 0}; }
  Iterator end() const {
    return Iterator{this, payload->GetReflection()->FieldSize(*payload, field)};
  }
};

}  // namespace

absl::Status CheckBalanced(const std::vector<rcl::v1::Posting>& postings) {
  return CheckBalancedRange(postings);
}

absl::Status CheckBalancedField(
    const google::protobuf::RepeatedPtrField<rcl::v1::Posting>& postings) {
  return CheckBalancedRange(postings);
}

absl::Status CheckMessageBalanced(const google::protobuf::Message& payload) {
  const google::protobuf::FieldDescriptor* field = PostingsField(payload.GetDescriptor());
  if (field == nullptr) return absl::OkStatus();
  return CheckBalancedRange(PostingsOfMessage{&payload, field});
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

namespace {

using google::protobuf::internal::WireFormatLite;

// The field number of `postings` in rcl.v1.<type>, or 0 when the type has
// none (or is unknown). Looked up once per type and thread.
int PostingsFieldNumber(std::string_view type) {
  thread_local absl::flat_hash_map<std::string, int> numbers;
  if (auto it = numbers.find(AbslView(type)); it != numbers.end()) return it->second;
  RCL_CHECK(numbers.size() < kPostingTypesMax) << "more event types than kPostingTypesMax";
  const google::protobuf::DescriptorPool* pool = rcl::v1::Posting::descriptor()->file()->pool();
  const google::protobuf::Descriptor* descriptor =
      pool->FindMessageTypeByName(absl::StrCat("rcl.v1.", AbslView(type)));
  int number = 0;
  if (descriptor != nullptr) {
    const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByName("postings");
    if (field != nullptr && field->is_repeated() &&
        field->message_type() == rcl::v1::Posting::descriptor()) {
      number = field->number();
    }
  }
  numbers.emplace(std::string(type), number);
  return number;
}

// One Posting's wire bytes: *account_size and *amount_cents (the last of
// each, as a parser would take them). False when the bytes do not decode.
bool ScanPosting(google::protobuf::io::CodedInputStream* in, uint32_t* account_size,
                 int64_t* amount_cents) {
  static_assert(
      rcl::v1::Posting::kAccountFieldNumber == 1 && rcl::v1::Posting::kAmountCentsFieldNumber == 2,
      "the wire tags below");
  constexpr uint32_t kAccountTag = (1 << 3) | WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
  constexpr uint32_t kAmountTag = (2 << 3) | WireFormatLite::WIRETYPE_VARINT;
  while (uint32_t tag = in->ReadTag()) {
    if (tag == kAccountTag) {
      if (!in->ReadVarint32(account_size) || !in->Skip(static_cast<int>(*account_size))) {
        return false;
      }
    } else if (tag == kAmountTag) {
      uint64_t raw = 0;
      if (!in->ReadVarint64(&raw)) return false;
      *amount_cents = static_cast<int64_t>(raw);
    } else if (!WireFormatLite::SkipField(in, tag)) {
      return false;
    }
  }
  return in->ConsumedEntireMessage();
}

}  // namespace

// Reads the postings straight from the payload's wire bytes (the bytes that
// go on disk), without building the message: this runs for every event the
// sequencer seals.
absl::Status CheckPayloadBalanced(std::string_view type, std::string_view payload) {
  const int number = PostingsFieldNumber(type);
  if (number == 0) return absl::OkStatus();
  if (payload.size() > static_cast<size_t>(INT32_MAX)) {
    return absl::InternalError(absl::StrCat("undecodable ", AbslView(type), " payload"));
  }
  const uint32_t postings_tag =
      (static_cast<uint32_t>(number) << 3) | WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(payload.data()),
                                            static_cast<int>(payload.size()));
  int64_t sum = 0;
  while (uint32_t tag = in.ReadTag()) {
    if (tag != postings_tag) {
      if (!WireFormatLite::SkipField(&in, tag)) break;
      continue;
    }
    uint32_t size = 0;
    if (!in.ReadVarint32(&size)) break;
    const auto limit = in.PushLimit(static_cast<int>(size));
    uint32_t account_size = 0;
    int64_t amount = 0;
    if (!ScanPosting(&in, &account_size, &amount)) break;
    in.PopLimit(limit);
    if (account_size == 0) return absl::InternalError("posting without an account");
    if (amount == 0) return absl::InternalError("posting of zero cents");
    if (__builtin_add_overflow(sum, amount, &sum)) {
      return absl::InternalError("postings overflow");
    }
  }
  if (!in.ConsumedEntireMessage() || in.CurrentPosition() != static_cast<int>(payload.size())) {
    return absl::InternalError(absl::StrCat("undecodable ", AbslView(type), " payload"));
  }
  if (sum != 0) {
    return absl::InternalError(absl::StrCat("postings do not balance: off by ", sum, " cents"));
  }
  return absl::OkStatus();
}

void AddPostingPair(google::protobuf::RepeatedPtrField<rcl::v1::Posting>* postings,
                    std::string_view debit_account, std::string_view credit_account,
                    int64_t amount_cents) {
  // The credit is the negation, undefined for INT64_MIN: callers pass a
  // validated request amount, or a stored one their decider checked.
  RCL_CHECK(amount_cents > 0) << "a posting pair of " << amount_cents << " cents";
  rcl::v1::Posting* debit = postings->Add();
  debit->set_account(std::string(debit_account));
  debit->set_amount_cents(amount_cents);
  rcl::v1::Posting* credit = postings->Add();
  credit->set_account(std::string(credit_account));
  credit->set_amount_cents(-amount_cents);
}

}  // namespace rcl::ledger
