#include "server/request_decoding.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "ledger/rules/input_rules.h"
#include "ledger/status.h"

namespace rcl::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

// Our request messages nest at most four deep; anything deeper is not one.
constexpr int kMessageDepthMax = 8;

// The API's name of a field: no "context."/"command." prefix, repeated
// entries indexed.
std::string FieldName(const std::string& parent, const FieldDescriptor* f, int index, int depth) {
  if (depth == 0 && (f->name() == "context" || f->name() == "command")) return parent;
  std::string name = f->is_repeated() ? absl::StrCat(f->name(), "[", index, "]") : f->name();
  return parent.empty() ? name : absl::StrCat(parent, ".", name);
}

// Walks the wire bytes of a message of type `d`, adding a violation for every
// string field that is not valid UTF-8. False when the bytes are malformed.
bool CheckStrings(const Descriptor* d, std::string_view bytes, const std::string& parent, int depth,
                  Violations& v) {
  if (depth > kMessageDepthMax) return false;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::map<int, int> occurrences;  // field number -> entries seen (the index of a repeated entry)
  while (in.CurrentPosition() < static_cast<int>(bytes.size())) {
    uint32_t tag = in.ReadTag();
    if (tag == 0) return false;
    if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    uint32_t length = 0;
    std::string value;
    if (!in.ReadVarint32(&length) || !in.ReadString(&value, static_cast<int>(length))) return false;
    const FieldDescriptor* f = d->FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    if (f == nullptr) continue;  // unknown field: protobuf keeps its bytes as they are
    int index = occurrences[f->number()]++;
    if (f->type() == FieldDescriptor::TYPE_STRING && !ledger::IsValidUtf8(value)) {
      v.Add(FieldName(parent, f, index, depth), "must be valid UTF-8");
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE &&
               !CheckStrings(f->message_type(), value, FieldName(parent, f, index, depth),
                             depth + 1, v)) {
      return false;
    }
  }
  return true;
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Valid() || !buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

}  // namespace

absl::Status DecodeRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request) {
  std::string wire = Flatten(bytes);
  Violations v;
  bool well_formed = CheckStrings(request->GetDescriptor(), wire, "", 0, v);
  if (!v.empty()) return v.ToStatus();
  if (!well_formed || !request->ParseFromString(wire)) {
    return InvalidField("request",
                        absl::StrCat("is not a valid ", request->GetDescriptor()->full_name()));
  }
  return absl::OkStatus();
}

}  // namespace rcl::server
