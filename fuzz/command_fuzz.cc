// libFuzzer target over ValidateCommand (ledger/rules/validation.h): a whole
// rcl.v1.Command, as a client sends it, parsed from the fuzzer's bytes.
// Properties beyond "no crash, no sanitizer report":
//   - the answer is OK or INVALID_ARGUMENT with a message;
//   - normalization is idempotent: a command that passed passes again, and
//     validating it again changes nothing;
//   - a refusal never echoes a longer value of the command (a member id, a
//     name or a birth date must not reach an error message or a log line).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/logging.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"
#include "rcl/v1/events.pb.h"

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int kDepthMax = 8;

// Every string value in `m`, its sub-messages included.
void CollectStrings(const Message& m, int depth, std::vector<std::string>* out) {
  if (depth > kDepthMax) return;
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const bool repeated = f->is_repeated();
    const int n = repeated ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        out->push_back(repeated ? r->GetRepeatedString(m, f, i) : r->GetString(m, f));
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        CollectStrings(repeated ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f), depth + 1,
                       out);
      }
    }
  }
}

// `m` with every string value equal to `from` replaced by `to`, its
// sub-messages included.
void ReplaceStrings(Message* m, int depth, const std::string& from, const std::string& to) {
  if (depth > kDepthMax) return;
  const Reflection* r = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const FieldDescriptor* f : fields) {
    const bool repeated = f->is_repeated();
    const int n = repeated ? r->FieldSize(*m, f) : 1;
    for (int i = 0; i < n; ++i) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        if ((repeated ? r->GetRepeatedString(*m, f, i) : r->GetString(*m, f)) != from) continue;
        if (repeated) {
          r->SetRepeatedString(m, f, i, to);
        } else {
          r->SetString(m, f, to);
        }
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        ReplaceStrings(repeated ? r->MutableRepeatedMessage(m, f, i) : r->MutableMessage(m, f),
                       depth + 1, from, to);
      }
    }
  }
}

// Whether the refusal of `command` holds `value` because the command holds
// it: with `value` replaced by a filler of its length, the refusal holds the
// filler. Two fillers, since one may make the field valid (and its refusal
// go): 'x's, and '~'s (outside every identifier and code alphabet). A value
// that is also the validator's own text is no echo: the fuzzer lifts such
// text from the binary ("10-digit NPI with", "1..64 characters of
// [A-Za-z0-9._-] starting with a"), and no filler brings it back.
bool Echoes(const rcl::v1::Command& command, const std::string& value, absl::CivilDay today) {
  for (const char fill : {'x', '~'}) {
    const std::string filler(value.size(), fill);
    rcl::v1::Command other = command;
    ReplaceStrings(&other, 0, value, filler);
    const absl::Status status = rcl::ledger::ValidateCommand(&other, today);
    std::string text(status.message().data(), status.message().size());
    for (const rcl::FieldViolation& fv : rcl::GetFieldViolations(status)) {
      text += fv.field;
      text += fv.description;
    }
    if (text.find(filler) != std::string::npos) return true;
  }
  return false;
}

// A value long and particular enough that no field name or rule description
// contains it by chance: a digit, an upper-case letter, 12 bytes or more.
bool Particular(std::string_view s) {
  bool digit = false, upper = false;
  for (char c : s) {
    digit = digit || (c >= '0' && c <= '9');
    upper = upper || (c >= 'A' && c <= 'Z');
  }
  return s.size() >= 12 && digit && upper;
}

}  // namespace

// Protobuf logs every string field of invalid UTF-8 it parses; the fuzzer
// makes many, so its log is silenced.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kInputMax = 16 * 1024;
  if (size > kInputMax) return 0;
  rcl::v1::Command command;
  if (!command.ParseFromArray(data, static_cast<int>(size))) return 0;
  const absl::CivilDay today(2026, 12, 1);
  const rcl::v1::Command original = command;  // ValidateCommand normalizes in place
  std::vector<std::string> values;
  CollectStrings(command, 0, &values);

  const absl::Status status = rcl::ledger::ValidateCommand(&command, today);
  if (!status.ok()) {
    RCL_FUZZ_REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
    const std::string_view message(status.message().data(), status.message().size());
    RCL_FUZZ_REQUIRE(!message.empty());
    const std::vector<rcl::FieldViolation> violations = rcl::GetFieldViolations(status);
    for (const std::string& v : values) {
      if (!Particular(v)) continue;
      bool found = message.find(v) != std::string_view::npos;
      for (const rcl::FieldViolation& fv : violations) {
        found = found || fv.field.find(v) != std::string::npos ||
                fv.description.find(v) != std::string::npos;
      }
      RCL_FUZZ_REQUIRE(!found || !Echoes(original, v, today));
    }
    return 0;
  }
  const std::string normalized = command.SerializeAsString();
  RCL_FUZZ_REQUIRE(rcl::ledger::ValidateCommand(&command, today).ok());
  RCL_FUZZ_REQUIRE(command.SerializeAsString() == normalized);
  return 0;
}
