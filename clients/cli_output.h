// Output helpers of `rcl`: a minimal JSON writer, decoding of event payloads
// to JSON, and the one-line human rendering of events and command results.
#ifndef RCL_CLIENTS_CLI_OUTPUT_H_
#define RCL_CLIENTS_CLI_OUTPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rcl/v1/api.pb.h"

namespace rcl::cli {

// Appends JSON text; inserts commas itself. Keys and strings are escaped.
//   JsonWriter w; w.BeginObject().Key("a").Int(1).EndObject(); w.str() == "{\"a\":1}"
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Already-serialized JSON (e.g. a payload from MessageToJsonString).
  JsonWriter& Raw(absl::string_view json);

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open container: whether it already has an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

// Rewrites object members whose key ends in "_cents" and whose value is a
// string holding an integer ("-12" ...) to a JSON integer: protobuf's JSON
// mapping prints int64 as strings, but our JSON prints money as integers.
std::string UnquoteCentsFields(absl::string_view json);

// The payload of `event` (serialized rcl.v1.<type>) as a JSON object with
// proto field names, every field printed, and integer `_cents`. Unknown
// types give NOT_FOUND; undecodable bytes DATA_LOSS.
absl::StatusOr<std::string> PayloadToJson(const rcl::v1::Event& event);

// Writes `event` as a JSON object: the envelope fields (snake_case) plus
// "payload" (decoded; null and "payload_error" when it cannot be decoded).
void WriteEventJson(const rcl::v1::Event& event, JsonWriter* w);

// "#12 encounter-E1@3 ChargeRecorded effective=2026-11-02 hash=0a1b2c3d4e5f"
std::string EventLine(const rcl::v1::Event& event);

// "ok position=12 stream=encounter-E1 stream_version=3 event_ids=a,b command_id=c"
std::string CommandResponseLine(const rcl::v1::CommandResponse& response);
void WriteCommandResponseJson(const rcl::v1::CommandResponse& response, JsonWriter* w);
// The same keys without the enclosing braces, for results that add their own.
void AppendCommandResponseFields(const rcl::v1::CommandResponse& response, JsonWriter* w);

}  // namespace rcl::cli

#endif  // RCL_CLIENTS_CLI_OUTPUT_H_
