// libFuzzer target over what the ledger reads back from RocksDB: the event
// record codec (ledger/storage/codec.h) and the fold of a decoded event's
// payload into its stream's state (ledger/rules/state.h). A corrupt record
// must give an error (DATA_LOSS), never a crash, undefined behaviour or an
// unbounded allocation. The first input byte picks the mode:
//
//   even: the rest is one record for DecodeRecord and DecodeRecordView
//         (which must agree, also on a copy through Rebased). A record that
//         decodes re-encodes to the very same bytes, its strings within their
//         limits; a refusal is DATA_LOSS with a message. A decoded record's
//         payload is folded into a fresh stream: OK or DATA_LOSS.
//   odd:  the rest is a stream of events, each [type byte][u16 BE length]
//         [payload], the type byte naming one of FoldedEventTypes(). They are
//         folded in order into one state from the bytes (FoldEvent) and into
//         another from the parsed messages (FoldParsedEvent): both answer
//         alike and the states stay equal (the projections fold parsed
//         messages, replay folds bytes); the first refusal must be DATA_LOSS
//         and ends the stream.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fuzz/event_types.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/logging.h"
#include "ledger/rules/state.h"
#include "ledger/storage/codec.h"

namespace {

namespace L = rcl::ledger;

constexpr size_t kEventsPerInputMax = 64;

bool DataLossWithMessage(const absl::Status& st) {
  return st.code() == absl::StatusCode::kDataLoss && !st.message().empty();
}

void CheckRecord(std::string_view bytes) {
  const absl::StatusOr<L::EventRecord> record = L::DecodeRecord(bytes);
  // Read in place (as the projections read the log), the same record or the
  // same refusal.
  const absl::StatusOr<L::RecordView> view = L::DecodeRecordView(bytes);
  RCL_FUZZ_REQUIRE(view.ok() == record.ok());
  if (!record.ok()) {
    RCL_FUZZ_REQUIRE(DataLossWithMessage(record.status()));
    RCL_FUZZ_REQUIRE(view.status() == record.status());
    return;
  }
  RCL_FUZZ_REQUIRE(L::ToRecord(*view) == *record);
  const std::string copy(bytes);
  RCL_FUZZ_REQUIRE(L::ToRecord(L::Rebased(*view, copy)) == *record);
  RCL_FUZZ_REQUIRE(L::EncodeRecord(*record) == bytes);
  RCL_FUZZ_REQUIRE(record->payload.size() <= L::kPayloadSizeMax);
  for (const std::string* s :
       {&record->tenant, &record->stream, &record->type, &record->event_id, &record->command_id,
        &record->correlation_id, &record->causation_id, &record->actor, &record->effective_date}) {
    RCL_FUZZ_REQUIRE(s->size() <= L::kEnvelopeStringSizeMax);
  }
  L::StreamState state;
  const absl::Status folded = L::FoldEvent(&state, record->type, record->payload);
  RCL_FUZZ_REQUIRE(folded.ok() || DataLossWithMessage(folded));
}

void CheckStream(std::string_view in) {
  const auto& types = rcl::fuzz::FoldedEventTypes();
  RCL_FUZZ_REQUIRE(!types.empty());
  google::protobuf::MessageFactory* factory = google::protobuf::MessageFactory::generated_factory();
  L::StreamState from_bytes, from_parsed;
  for (size_t n = 0; n < kEventsPerInputMax && in.size() >= 3; ++n) {
    const google::protobuf::Descriptor* type = types[static_cast<uint8_t>(in[0]) % types.size()];
    size_t length = (size_t{static_cast<uint8_t>(in[1])} << 8) | static_cast<uint8_t>(in[2]);
    in.remove_prefix(3);
    if (length > in.size()) length = in.size();
    const std::string_view payload = in.substr(0, length);
    in.remove_prefix(length);

    const absl::Status a = L::FoldEvent(&from_bytes, type->name(), payload);
    std::unique_ptr<google::protobuf::Message> parsed(factory->GetPrototype(type)->New());
    if (!parsed->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      RCL_FUZZ_REQUIRE(DataLossWithMessage(a));
      return;
    }
    const absl::Status b = L::FoldParsedEvent(&from_parsed, *parsed);
    RCL_FUZZ_REQUIRE(a.ok() == b.ok());
    if (!a.ok()) {
      RCL_FUZZ_REQUIRE(DataLossWithMessage(a) && DataLossWithMessage(b));
      return;
    }
    RCL_FUZZ_REQUIRE(from_bytes == from_parsed);
  }
}

}  // namespace

// Protobuf logs every string field of invalid UTF-8 it parses; the fuzzer
// makes many, so its log is silenced.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A whole record of the largest payload, and some.
  constexpr size_t kInputMax = L::kPayloadSizeMax + 16 * 1024;
  if (size == 0 || size > kInputMax) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    CheckRecord(rest);
  } else {
    CheckStream(rest);
  }
  return 0;
}
