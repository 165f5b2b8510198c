#include "server/request_decoding.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "ledger/rules/input_rules.h"
#include "ledger/status.h"
#include "spdlog/spdlog.h"

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

// Where the walk is: a field of a message, inside its parents' fields. The
// chain lives on the stack; a field's name is made only for a violation, so
// that a well-formed request (every request but a bad one) builds no names.
struct Frame {
  const Frame* parent = nullptr;
  const FieldDescriptor* field = nullptr;
  std::string_view message;  // the bytes of the message that holds `field`
  int offset = 0;            // where `field`'s tag begins in them
  int depth = 0;             // of that message (the request is 0)
};

// How many entries of field `number` begin before `offset` in `message`:
// the index of a repeated field's entry.
int EntriesBefore(std::string_view message, int number, int offset) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()),
                                            static_cast<int>(message.size()));
  int entries = 0;
  while (in.CurrentPosition() < offset) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    if (WireFormatLite::GetTagFieldNumber(tag) == number) ++entries;
    if (!WireFormatLite::SkipField(&in, tag)) break;
  }
  return entries;
}

std::string NameOf(const Frame& frame) {
  const std::string parent = frame.parent == nullptr ? "" : NameOf(*frame.parent);
  const int index = frame.field->is_repeated()
                        ? EntriesBefore(frame.message, frame.field->number(), frame.offset)
                        : 0;
  return FieldName(parent, frame.field, index, frame.depth);
}

// Walks the wire bytes of a message of type `d` (in place, nothing copied),
// adding a violation for every string field that is not valid UTF-8. False
// when the bytes are malformed.
bool CheckStrings(const Descriptor* d, std::string_view bytes, const Frame* parent, int depth,
                  Violations& v) {
  if (depth > kMessageDepthMax) return false;
  const int size = static_cast<int>(bytes.size());
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), size);
  while (in.CurrentPosition() < size) {
    const int start = in.CurrentPosition();
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return false;
    if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return false;
    const int at = in.CurrentPosition();
    if (length > static_cast<uint32_t>(size - at) || !in.Skip(static_cast<int>(length))) {
      return false;
    }
    const std::string_view value = bytes.substr(at, length);
    const FieldDescriptor* f = d->FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    if (f == nullptr) continue;  // unknown field: protobuf keeps its bytes as they are
    const Frame here{parent, f, bytes, start, depth};
    if (f->type() == FieldDescriptor::TYPE_STRING && !ledger::IsValidUtf8(value)) {
      v.Add(NameOf(here), "must be valid UTF-8");
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE &&
               !CheckStrings(f->message_type(), value, &here, depth + 1, v)) {
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

// Parses the slices in place: one slice as an array, several through
// gRPC's reader (a copy of the buffer shares its slices, nothing is copied).
bool ParseInPlace(const grpc::ByteBuffer& bytes, google::protobuf::Message* request) {
  if (!bytes.Valid()) return false;
  grpc::Slice single;
  if (bytes.TrySingleSlice(&single).ok()) {
    return request->ParseFromArray(single.begin(), static_cast<int>(single.size()));
  }
  grpc::ByteBuffer shared(bytes);
  grpc::ProtoBufferReader reader(&shared);
  return request->ParseFromZeroCopyStream(&reader) && reader.status().ok();
}

// The line protobuf's parser logs for a string field that is not UTF-8
// (DecodeRequest answers that request itself).
bool IsUtf8ParseLine(const std::string& message) {
  return message.find("contains invalid UTF-8 data when parsing") != std::string::npos;
}

void ProtobufLogToSpdlog(google::protobuf::LogLevel level, const char* filename, int line,
                         const std::string& message) {
  if (IsUtf8ParseLine(message)) return;
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      spdlog::info("protobuf ({}:{}): {}", filename, line, message);
      break;
    case google::protobuf::LOGLEVEL_WARNING:
      spdlog::warn("protobuf ({}:{}): {}", filename, line, message);
      break;
    default:  // ERROR and FATAL (protobuf aborts after a FATAL line)
      spdlog::error("protobuf ({}:{}): {}", filename, line, message);
      break;
  }
}

}  // namespace

absl::Status DecodeRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request) {
  // Every request but a bad one: parsed where gRPC received it. Protobuf's
  // parser refuses a proto3 string that is not UTF-8, so a request it takes
  // holds none.
  if (ParseInPlace(bytes, request)) return absl::OkStatus();
  // A bad request: find what to name.
  request->Clear();
  std::string wire = Flatten(bytes);
  Violations v;
  // Malformed bytes end the walk; the strings named before that still count.
  CheckStrings(request->GetDescriptor(), wire, nullptr, 0, v);
  if (!v.empty()) return v.ToStatus();
  return InvalidField("request",
                      absl::StrCat("is not a valid ", request->GetDescriptor()->full_name()));
}

void RouteProtobufLog() { google::protobuf::SetLogHandler(&ProtobufLogToSpdlog); }

}  // namespace rcl::server
