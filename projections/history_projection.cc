#include "projections/history_projection.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/rules/state.h"
#include "ledger/status.h"
#include "projections/claim_row.h"
#include "projections/claims_queries.h"
#include "projections/history_summary.h"
#include "projections/keys.h"
#include "rcl/store/projection_rows.pb.h"

namespace rcl::projections {
namespace {

constexpr char kEntryTag = 'E';
constexpr char kClaimTag = 'C';

struct Kind {
  std::string_view stream_prefix;
  const char* key;
  rcl::v1::HistoryKind api;
};
constexpr Kind kKinds[] = {{"claim-", "c", rcl::v1::HISTORY_KIND_CLAIM},
                           {"patient-", "p", rcl::v1::HISTORY_KIND_PATIENT},
                           {"remit-", "r", rcl::v1::HISTORY_KIND_REMITTANCE}};

const Kind* KindOfStream(std::string_view stream) {
  for (const Kind& k : kKinds) {
    if (stream.starts_with(k.stream_prefix)) return &k;
  }
  return nullptr;
}

// tag tenant 0x00 kind 0x00 id 0x00: the prefix of one history.
std::string HistoryPrefix(std::string_view tenant, std::string_view kind, std::string_view id) {
  return Key(kEntryTag, tenant, {kind, id}, /*trailing_separator=*/true);
}

// Folds a claim event into the claim's running state; the mark says where
// the claim stood after it.
absl::Status FoldClaim(const LogEvent& le, std::string_view claim_id, StateTxn& txn,
                       store::HistoryMark* mark) {
  const ledger::RecordView& e = le.record;
  bool exists = false;
  RCL_ASSIGN_OR_RETURN(store::ClaimRow * row,
                       txn.Mutable<store::ClaimRow>(Key(kClaimTag, e.tenant, {claim_id}), &exists));
  RCL_RETURN_IF_ERROR(FoldClaimIntoRow(e.type, e.payload, le.payload, exists, row));
  mark->set_status(std::string(StatusName(*row)));
  mark->set_payer_balance_cents(PayerBalance(*row));
  mark->set_patient_balance_cents(PatientBalance(*row));
  return absl::OkStatus();
}

// "835 file ... segment N" when an X12 import wrote the event (its payload's
// x12_source, field 50 of every event type an import writes); "" otherwise.
std::string SourceOf(const LogEvent& le) {
  if (le.payload == nullptr) return "";
  const google::protobuf::FieldDescriptor* field =
      le.payload->GetDescriptor()->FindFieldByNumber(50);
  if (field == nullptr || field->message_type() != rcl::v1::X12Source::descriptor() ||
      !le.payload->GetReflection()->HasField(*le.payload, field)) {
    return "";
  }
  const auto& s = static_cast<const rcl::v1::X12Source&>(
      le.payload->GetReflection()->GetMessage(*le.payload, field));
  return absl::StrCat("835 file ", s.file_sha256(), " ISA13 ", s.interchange_control_number(),
                      " ST02 ", s.transaction_control_number(), " segment ", s.segment_number());
}

// The whole entry of the event at `position` of `stream`: the event from the
// log, the mark from the projection. DATA_LOSS when the log holds another
// stream's event there (the projection is not of this log).
absl::Status BuildEntry(const ledger::EventStore& log, uint64_t position, std::string_view stream,
                        std::string_view mark_bytes, rcl::v1::HistoryEntry* entry) {
  store::HistoryMark mark;
  if (!mark.ParseFromArray(mark_bytes.data(), static_cast<int>(mark_bytes.size())))
    return absl::DataLossError("projection store: undecodable history entry");
  google::protobuf::Arena arena;
  std::optional<LogEvent> read;
  RCL_RETURN_IF_ERROR(log.ScanLogViews(position, position, 1, [&](const ledger::RecordView& r) {
    read = ToLogEvent(r, &arena);
    return false;
  }));
  if (!read.has_value()) {
    return absl::NotFoundError(absl::StrCat("no event at position ", position));
  }
  const LogEvent& le = *read;
  const ledger::RecordView& e = le.record;
  if (e.stream != stream) {
    return absl::DataLossError(absl::StrCat("the history names position ", position,
                                            ", which the log holds for another stream"));
  }
  entry->set_position(e.position);
  entry->set_tenant_seq(e.tenant_seq);
  entry->set_source(SourceOf(le));
  entry->set_stream_version(e.version);
  entry->set_recorded_at_us(e.recorded_at_us);
  entry->set_effective_date(e.effective_date.data(), e.effective_date.size());
  entry->set_actor(e.actor.data(), e.actor.size());
  entry->set_command_id(e.command_id.data(), e.command_id.size());
  entry->set_correlation_id(e.correlation_id.data(), e.correlation_id.size());
  entry->set_event_id(e.event_id.data(), e.event_id.size());
  entry->set_type(e.type.data(), e.type.size());
  entry->set_summary(Summarize(le));
  const PostingsView postings = PostingsOf(le);
  for (int i = 0; i < postings.size(); ++i) {
    rcl::v1::AccountBalance* a = entry->add_postings();
    a->set_account(postings[i].account());
    a->set_balance_cents(postings[i].amount_cents());
  }
  entry->set_status(mark.status());
  entry->set_payer_balance_cents(mark.payer_balance_cents());
  entry->set_patient_balance_cents(mark.patient_balance_cents());
  return absl::OkStatus();
}

}  // namespace

absl::Status HistoryProjection::Apply(const LogEvent& le, StateTxn& txn) const {
  const ledger::RecordView& e = le.record;
  const Kind* kind = KindOfStream(e.stream);
  if (kind == nullptr) return absl::OkStatus();
  if (le.undecodable && CarriesPostings(le))
    return absl::DataLossError(absl::StrCat("undecodable ", AbslView(e.type), " payload"));
  std::string_view id = std::string_view(e.stream).substr(kind->stream_prefix.size());
  std::string key = HistoryPrefix(e.tenant, kind->key, id);
  ledger::PutBigEndian64(&key, e.position);
  if (kind->api != rcl::v1::HISTORY_KIND_CLAIM) {
    txn.Append(key, "");
    return absl::OkStatus();
  }
  store::HistoryMark mark;
  RCL_RETURN_IF_ERROR(FoldClaim(le, id, txn, &mark));
  txn.AppendProto(key, mark);
  return absl::OkStatus();
}

absl::StatusOr<rcl::v1::HistoryResponse> QueryHistory(const StateReader& reader,
                                                      const ledger::EventStore& log,
                                                      const rcl::v1::HistoryRequest& request) {
  const Kind* kind = nullptr;
  for (const Kind& k : kKinds) {
    if (k.api == request.kind()) kind = &k;
  }
  if (kind == nullptr) return absl::InvalidArgumentError("kind: claim, patient or remittance");
  const uint64_t as_of =
      request.as_of_position() != 0 ? request.as_of_position() : reader.checkpoint();
  std::string prefix = HistoryPrefix(request.tenant(), kind->key, request.id());
  const std::string stream = absl::StrCat(AbslView(kind->stream_prefix), request.id());
  std::string start;
  if (!request.page_token().empty()) {
    std::string bytes = absl::HexStringToBytes(request.page_token());
    if (bytes.size() != 8 ||
        absl::BytesToHexString(bytes) != absl::AsciiStrToLower(request.page_token())) {
      return absl::InvalidArgumentError("page_token: not a token this report returned");
    }
    start = prefix;
    ledger::PutBigEndian64(&start, ledger::GetBigEndian64(bytes.data()) + 1);
  }
  uint32_t limit =
      request.limit() == 0 ? kReportPageDefault : std::min(request.limit(), kReportPageMax);
  rcl::v1::HistoryResponse out;
  out.set_as_of_position(as_of);
  absl::Status bad;
  bool any = !request.page_token().empty();
  RCL_RETURN_IF_ERROR(reader.Scan(prefix, start, [&](std::string_view key, std::string_view value) {
    if (key.size() != prefix.size() + 8) {
      bad = absl::DataLossError("projection store: malformed history key");
      return false;
    }
    uint64_t position = ledger::GetBigEndian64(key.data() + prefix.size());
    if (position > as_of) return false;
    any = true;
    if (static_cast<uint32_t>(out.entries_size()) == limit) {
      std::string last;
      ledger::PutBigEndian64(&last, out.entries(out.entries_size() - 1).position());
      out.set_next_page_token(absl::BytesToHexString(last));
      return false;
    }
    bad = BuildEntry(log, position, stream, value, out.add_entries());
    return bad.ok();
  }));
  RCL_RETURN_IF_ERROR(bad);
  if (!any) {
    return absl::NotFoundError(
        absl::StrCat("no history for ", AbslView(kind->stream_prefix), request.id(),
                     request.as_of_position() != 0 ? " at that position" : ""));
  }
  return out;
}

}  // namespace rcl::projections
