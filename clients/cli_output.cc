#include "clients/cli_output.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"

namespace rcl::cli {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// "-12" / "0" / "15000": an optional minus and 1..19 digits.
bool IsIntegerText(absl::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty() || s.size() > 19) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsTypeName(absl::string_view s) {
  if (s.empty() || s.size() > 128 || !absl::ascii_isalpha(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------
// JsonWriter.

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) out_.push_back(',');
    has_element_.back() = true;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_.push_back('}');
  if (!has_element_.empty()) has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_.push_back(']');
  if (!has_element_.empty()) has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(absl::string_view key) {
  BeforeValue();
  out_.append(JsonQuote(key));
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(absl::string_view value) {
  BeforeValue();
  out_.append(JsonQuote(value));
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_.append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::Raw(absl::string_view json) {
  BeforeValue();
  out_.append(json.data(), json.size());
  return *this;
}

std::string JsonQuote(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          absl::StrAppend(&out, absl::StrFormat("\\u%04x", static_cast<unsigned char>(c)));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string UnquoteCentsFields(absl::string_view json) {
  std::string out;
  out.reserve(json.size());
  bool cents_key = false;    // the last key ended in "_cents" and its value is next
  bool cents_array = false;  // inside the array value of such a key
  size_t i = 0;
  while (i < json.size()) {
    char c = json[i];
    if (c == '"') {
      size_t start = i++;
      while (i < json.size() && json[i] != '"') i += json[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, json.size());
      absl::string_view token = json.substr(start, i - start);
      size_t k = i;
      while (k < json.size() && IsJsonSpace(json[k])) ++k;
      if (k < json.size() && json[k] == ':' && !cents_array) {
        cents_key = absl::EndsWith(token, "_cents\"");
        out.append(token.data(), token.size());
        continue;
      }
      absl::string_view inner =
          token.size() >= 2 ? token.substr(1, token.size() - 2) : absl::string_view();
      if ((cents_key || cents_array) && IsIntegerText(inner)) {
        out.append(inner.data(), inner.size());
      } else {
        out.append(token.data(), token.size());
      }
      cents_key = false;
      continue;
    }
    if (c == '[' && cents_key) {
      cents_array = true;
    } else if (c == ']' && cents_array) {
      cents_array = false;
    } else if (c != ':' && c != ',' && !IsJsonSpace(c)) {
      cents_key = false;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

absl::StatusOr<std::string> PayloadToJson(const rcl::v1::Event& event) {
  if (!IsTypeName(event.type())) {
    return absl::NotFoundError("event type is not a message name");
  }
  const google::protobuf::Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          absl::StrCat("rcl.v1.", event.type()));
  if (descriptor == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown event type rcl.v1.", event.type()));
  }
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
  if (prototype == nullptr) {
    return absl::NotFoundError(absl::StrCat("no message class for rcl.v1.", event.type()));
  }
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  if (!message->ParseFromString(event.payload())) {
    return absl::DataLossError(absl::StrCat("payload does not parse as rcl.v1.", event.type()));
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(*message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("payload to JSON: ", status.ToString()));
  }
  return UnquoteCentsFields(json);
}

void WriteEventJson(const rcl::v1::Event& event, JsonWriter* w) {
  w->BeginObject();
  w->Key("position").Uint(event.position());
  w->Key("tenant").String(event.tenant());
  w->Key("stream").String(event.stream());
  w->Key("version").Uint(event.version());
  w->Key("type").String(event.type());
  w->Key("event_id").String(event.event_id());
  w->Key("command_id").String(event.command_id());
  w->Key("correlation_id").String(event.correlation_id());
  w->Key("causation_id").String(event.causation_id());
  w->Key("actor").String(event.actor());
  w->Key("recorded_at_us").Int(event.recorded_at_us());
  w->Key("effective_date").String(event.effective_date());
  w->Key("prev_hash").String(event.prev_hash());
  w->Key("hash").String(event.hash());
  w->Key("tenant_seq").Uint(event.tenant_seq());
  w->Key("tenant_prev_hash").String(event.tenant_prev_hash());
  w->Key("tenant_hash").String(event.tenant_hash());
  // The payload's exact stored bytes: with the fields above they give the
  // event's canonical bytes (docs/STORAGE.md), so hashes can be recomputed.
  w->Key("payload_hex").String(absl::BytesToHexString(event.payload()));
  absl::StatusOr<std::string> payload = PayloadToJson(event);
  if (payload.ok()) {
    w->Key("payload").Raw(*payload);
  } else {
    w->Key("payload").Null();
    w->Key("payload_error").String(payload.status().message());
  }
  w->EndObject();
}

std::string EventLine(const rcl::v1::Event& event) {
  absl::string_view hash = event.hash();
  return absl::StrCat("#", event.position(), " ", event.stream(), "@", event.version(), " ",
                      event.type(),
                      " effective=", event.effective_date().empty() ? "-" : event.effective_date(),
                      " hash=", hash.substr(0, 12));
}

std::string CommandResponseLine(const rcl::v1::CommandResponse& response) {
  return absl::StrCat("ok position=", response.position(), " stream=", response.stream(),
                      " stream_version=", response.stream_version(),
                      " event_ids=", absl::StrJoin(response.event_ids(), ","),
                      " command_id=", response.command_id());
}

void WriteCommandResponseJson(const rcl::v1::CommandResponse& response, JsonWriter* w) {
  w->BeginObject();
  AppendCommandResponseFields(response, w);
  w->EndObject();
}

void AppendCommandResponseFields(const rcl::v1::CommandResponse& response, JsonWriter* w) {
  w->Key("position").Uint(response.position());
  w->Key("stream").String(response.stream());
  w->Key("stream_version").Uint(response.stream_version());
  w->Key("event_ids").BeginArray();
  for (const std::string& id : response.event_ids()) w->String(id);
  w->EndArray();
  w->Key("command_id").String(response.command_id());
}

}  // namespace rcl::cli
