// `rcl remit import`, `rcl remit suspense list|apply` and `rcl payer alias`:
// X12 835 files posted whole by the server (docs/X12.md, "Posting"), the
// claim payments they held in suspense, and the identifiers payers use in
// them; `rcl claim export-837`: claims out as one X12 837P file.

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli_command.h"
#include "clients/report_output.h"
#include "ledger/money.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;
using rcl::client::CommandOptions;

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Usage(absl::NotFoundError(absl::StrCat("cannot open ", path)));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void SummaryJson(const rcl::v1::RemittanceFileImported& s, JsonWriter* w) {
  w->Key("remittances").BeginArray();
  for (const auto& r : s.remittances()) {
    w->BeginObject();
    w->Key("remit_id").String(r.remit_id());
    w->Key("payer").String(r.payer_id());
    w->Key("trace").String(r.trace_number());
    w->Key("total_paid_cents").Int(r.total_paid_cents());
    w->Key("claims_posted").Int(r.claims_posted());
    w->Key("claims_unmatched").Int(r.claims_unmatched());
    w->Key("reversals").Int(r.reversals());
    w->Key("denials").Int(r.denials());
    w->Key("plb_total_cents").Int(r.plb_total_cents());
    w->Key("imbalance_cents").Int(r.imbalance_cents());
    w->EndObject();
  }
  w->EndArray();
  w->Key("warnings").BeginArray();
  for (const auto& warning : s.warnings()) w->String(warning);
  w->EndArray();
}

std::string SummaryText(const rcl::v1::RemittanceFileImported& s) {
  std::string out;
  for (const auto& r : s.remittances()) {
    absl::StrAppend(&out, "remittance ", r.remit_id(), " payer ", r.payer_id(), " trace ",
                    r.trace_number(), " paid ", FormatCents(r.total_paid_cents()), ": ",
                    r.claims_posted(), " claims posted, ", r.claims_unmatched(), " in suspense, ",
                    r.reversals(), " reversals, ", r.denials(), " denials, PLB ",
                    FormatCents(r.plb_total_cents()));
    if (r.imbalance_cents() != 0) {
      absl::StrAppend(&out, ", imbalance ", FormatCents(r.imbalance_cents()),
                      " accepted into suspense:remit_imbalance");
    }
    absl::StrAppend(&out, "\n");
  }
  for (const auto& warning : s.warnings()) absl::StrAppend(&out, "warning: ", warning, "\n");
  return out;
}

// Files this big show progress on standard error while the import runs
// (smaller ones with --progress).
constexpr size_t kProgressBytesMin = size_t{1} << 20;

// The import's progress while ImportRemittanceFileStream runs, drawn with
// the rebuild's progress lines (report_output.h) on standard error: a bar
// redrawn five times a second on a terminal, else one line a second and one
// as each phase starts (with --json only on a terminal). Before the server's first message the file
// is being sent; then the server's phases: queued, parsing, matching (claims, with a percentage),
// posting (events, with a percentage), durable. Update() is called on the RPC's thread, the lines
// are drawn by a thread of their own.
class ImportProgressView {
 public:
  ImportProgressView(bool json, size_t bytes, bool forced) : bytes_(bytes) {
    sink_ = MakeProgressSink(json, stderr);
    on_ = (forced || bytes >= kProgressBytesMin) && sink_.stream != nullptr;
    if (!on_) return;
    thread_ = std::thread([this] { Run(); });
  }
  ~ImportProgressView() { Finish(""); }

  void Update(const rcl::v1::ImportRemittanceProgress& p) {
    absl::MutexLock lock(&mu_);
    if (p.phase() != last_.phase()) {
      phase_start_ = absl::Now();
      phase_first_done_ = p.done();  // the rate counts from here
      redraw_ = true;
    }
    last_ = p;
  }

  void Finish(const std::string& outcome) {
    if (!on_) return;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    thread_.join();
    on_ = false;
    if (!outcome.empty()) {
      sink_.Draw(absl::StrFormat("import: %s in %.1f s", outcome, Seconds(start_)));
    }
    sink_.Finish();
  }

 private:
  static double Seconds(absl::Time since) { return absl::ToDoubleSeconds(absl::Now() - since); }

  std::string LineLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    using P = rcl::v1::ImportRemittanceProgress;
    const double total_s = Seconds(start_);
    switch (last_.phase()) {
      case P::IMPORT_PHASE_UNSPECIFIED:
        return absl::StrFormat("import: sending %.1f MiB ... %.0f s",
                               static_cast<double>(bytes_) / (1 << 20), total_s);
      case P::IMPORT_PHASE_QUEUED: return absl::StrFormat("import: queued ... %.0f s", total_s);
      case P::IMPORT_PHASE_PARSING: return absl::StrFormat("import: parsing ... %.0f s", total_s);
      case P::IMPORT_PHASE_DURABLE:
        return absl::StrFormat("import: durable, %d events committed ... %.0f s", last_.done(),
                               total_s);
      default: break;
    }
    const bool matching = last_.phase() == P::IMPORT_PHASE_MATCHING;
    WorkProgress w;
    w.verb = "";
    w.name = matching ? "import matching" : "import posting";
    w.unit = matching ? "claims" : "events";
    w.rate_unit = matching ? "claims/s" : "ev/s";
    w.done = last_.done();
    w.total = last_.total();
    const double phase_s = Seconds(phase_start_);
    const uint64_t since = w.done > phase_first_done_ ? w.done - phase_first_done_ : 0;
    w.events_per_s = phase_s > 0 ? static_cast<double>(since) / phase_s : 0;
    return sink_.terminal ? ProgressBarLine(w) : ProgressPlainLine(w);
  }

  void Run() {
    const absl::Duration every = sink_.terminal ? absl::Milliseconds(200) : absl::Seconds(1);
    absl::MutexLock lock(&mu_);
    while (true) {
      mu_.AwaitWithTimeout(absl::Condition(this, &ImportProgressView::WakeLocked), every);
      if (done_) return;
      redraw_ = false;
      sink_.Draw(LineLocked());
    }
  }
  bool WakeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ || redraw_; }

  const size_t bytes_;
  const absl::Time start_ = absl::Now();
  ProgressSink sink_;
  bool on_ = false;
  std::thread thread_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool redraw_ ABSL_GUARDED_BY(mu_) = false;  // a phase started: draw it now
  rcl::v1::ImportRemittanceProgress last_ ABSL_GUARDED_BY(mu_);
  absl::Time phase_start_ ABSL_GUARDED_BY(mu_) = absl::Now();
  uint64_t phase_first_done_ ABSL_GUARDED_BY(mu_) = 0;
};

absl::Status RunRemitImport(Invocation& inv) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(inv.args().positional()[0]);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<CommandOptions> options = WriteOptions(inv);
  if (!options.ok()) return options.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  const bool dry_run = inv.args().Has("dry-run");
  ImportProgressView progress(inv.json(), bytes->size(), inv.args().Has("progress"));
  const bool accept = inv.args().Has("accept-imbalance");
  absl::StatusOr<rcl::v1::ImportRemittanceFileResponse> r = (*client)->ImportRemittanceFileStream(
      *bytes, dry_run, accept, *options,
      [&progress](const rcl::v1::ImportRemittanceProgress& p) { progress.Update(p); });
  // A server from before the stream: the unary call (progress without counts).
  if (!r.ok() && r.status().code() == absl::StatusCode::kUnimplemented) {
    r = (*client)->ImportRemittanceFile(*bytes, dry_run, accept, *options);
  }
  progress.Finish(!r.ok()   ? "refused"
                  : dry_run ? "decided (dry run)"
                            : absl::StrCat("posted ", r->summary().events(), " events"));
  if (!r.ok()) return r.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    SummaryJson(r->summary(), &w);
    w.Key("dry_run").Bool(dry_run);
    w.Key("events").Int(r->summary().events());
    if (!dry_run) w.Key("position").Uint(r->result().position());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
    return absl::OkStatus();
  }
  if (dry_run) {
    absl::StrAppend(&inv.out(), "dry run: nothing written; would append ", r->preview_size(),
                    " events:\n");
    for (const auto& e : r->preview())
      absl::StrAppend(&inv.out(), "  ", e.stream(), " ", e.type(), "\n");
  } else {
    absl::StrAppend(&inv.out(), CommandResponseLine(r->result()), "\n");
  }
  absl::StrAppend(&inv.out(), SummaryText(r->summary()));
  return absl::OkStatus();
}

// Open suspense items, folded from the tenant's log.
absl::Status ListSuspense(Invocation& inv, Client& client) {
  std::map<std::string, rcl::v1::RemittanceClaimSuspended> open;
  rcl::v1::ReadAllRequest request;
  request.add_event_types("RemittanceClaimSuspended");
  request.add_event_types("SuspendedPaymentApplied");
  request.set_stream_prefix("suspense-");
  request.set_limit(1000);
  for (uint64_t from = 1;;) {
    request.set_from_position(from);
    absl::StatusOr<rcl::v1::ReadAllResponse> page = client.ReadAll(request);
    if (!page.ok()) return page.status();
    for (const rcl::v1::Event& e : page->events()) {
      if (e.type() == "RemittanceClaimSuspended") {
        rcl::v1::RemittanceClaimSuspended s;
        if (s.ParseFromString(e.payload())) open[s.item_id()] = s;
      } else {
        rcl::v1::SuspendedPaymentApplied a;
        if (a.ParseFromString(e.payload())) open.erase(a.item_id());
      }
    }
    if (page->end_of_log()) break;
    from = page->next_position();
  }
  JsonWriter w;
  w.BeginArray();
  for (const auto& [id, s] : open) {
    if (inv.json()) {
      w.BeginObject();
      w.Key("item_id").String(id);
      w.Key("remit_id").String(s.remit_id());
      w.Key("payer").String(s.payer_id());
      w.Key("claim").String(s.patient_control_number());
      w.Key("status").String(s.status_code());
      w.Key("paid_cents").Int(s.paid_cents());
      w.Key("reason").String(s.reason());
      w.EndObject();
    } else {
      absl::StrAppend(&inv.out(), id, "  remit ", s.remit_id(), "  payer ", s.payer_id(),
                      "  CLP01 ", s.patient_control_number(), "  status ", s.status_code(),
                      "  paid ", FormatCents(s.paid_cents()), "  (", s.reason(), ")\n");
    }
  }
  w.EndArray();
  if (inv.json()) absl::StrAppend(&inv.out(), w.str(), "\n");
  return absl::OkStatus();
}

// One difference an import posted to suspense:remit_imbalance, with the
// remittance it belongs to.
struct ImbalanceItem {
  uint64_t position = 0;
  std::string date;  // the event's effective date (the paid date)
  rcl::v1::RemittanceImbalanceAccepted accepted;
  rcl::v1::RemittanceRecorded remittance;
};

// Most imbalance items one listing shows (one stream read each).
constexpr size_t kImbalanceItemsMax = 10'000;

// The remittance (its first event) an accepted imbalance belongs to.
absl::Status ReadRemittance(Client& client, ImbalanceItem* item) {
  rcl::v1::ReadStreamRequest request;
  request.set_stream(absl::StrCat("remit-", item->accepted.remit_id()));
  request.set_from_version(0);
  request.set_limit(1);
  absl::StatusOr<rcl::v1::ReadStreamResponse> page = client.ReadStream(request);
  if (!page.ok()) return page.status();
  if (page->events_size() == 0 || page->events(0).type() != "RemittanceRecorded" ||
      !item->remittance.ParseFromString(page->events(0).payload())) {
    return absl::DataLossError(
        absl::StrCat("remittance ", item->accepted.remit_id(), " has no RemittanceRecorded"));
  }
  return absl::OkStatus();
}

// Every difference --accept-imbalance posted to suspense:remit_imbalance,
// oldest first, from the tenant's log (ReadAll by event type), each with its
// remittance's payer and trace (ReadStream of the remittance).
absl::Status RunWorkRemitImbalance(Invocation& inv) {
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  std::vector<ImbalanceItem> items;
  rcl::v1::ReadAllRequest request;
  request.add_event_types("RemittanceImbalanceAccepted");
  request.set_stream_prefix("remit-");
  request.set_limit(1000);
  for (uint64_t from = 1; items.size() < kImbalanceItemsMax;) {
    request.set_from_position(from);
    absl::StatusOr<rcl::v1::ReadAllResponse> page = (*client)->ReadAll(request);
    if (!page.ok()) return page.status();
    for (const rcl::v1::Event& e : page->events()) {
      if (items.size() == kImbalanceItemsMax) break;
      ImbalanceItem item;
      item.position = e.position();
      item.date = e.effective_date();
      if (!item.accepted.ParseFromString(e.payload())) {
        return absl::DataLossError(
            absl::StrCat("undecodable imbalance at position ", e.position()));
      }
      items.push_back(std::move(item));
    }
    if (page->end_of_log()) break;
    from = page->next_position();
  }
  int64_t total = 0;
  for (ImbalanceItem& item : items) {
    if (absl::Status read = ReadRemittance(**client, &item); !read.ok()) return read;
    total += item.accepted.difference_cents();
  }
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("items").BeginArray();
    for (const ImbalanceItem& item : items) {
      w.BeginObject();
      w.Key("remit_id").String(item.accepted.remit_id());
      w.Key("payer").String(item.remittance.payer_id());
      w.Key("trace").String(item.remittance.trace_number());
      w.Key("paid_date").String(item.date);
      w.Key("bpr_cents").Int(item.accepted.bpr_cents());
      w.Key("posted_cents").Int(item.accepted.posted_cents());
      w.Key("difference_cents").Int(item.accepted.difference_cents());
      w.Key("file_sha256").String(item.accepted.x12_source().file_sha256());
      w.Key("position").Uint(item.position);
      w.EndObject();
    }
    w.EndArray();
    w.Key("total_cents").Int(total);
    w.Key("truncated").Bool(items.size() == kImbalanceItemsMax);
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
    return absl::OkStatus();
  }
  for (const ImbalanceItem& item : items) {
    absl::StrAppend(&inv.out(), item.accepted.remit_id(), "  payer ", item.remittance.payer_id(),
                    "  trace ", item.remittance.trace_number(), "  paid ", item.date, "  BPR ",
                    FormatCents(item.accepted.bpr_cents()), "  posted ",
                    FormatCents(item.accepted.posted_cents()), "  difference ",
                    FormatCents(item.accepted.difference_cents()), "\n");
  }
  absl::StrAppend(&inv.out(), items.size(), " accepted imbalances, ", FormatCents(total),
                  " in suspense:remit_imbalance",
                  items.size() == kImbalanceItemsMax ? " (the first 10,000 only)" : "", "\n");
  return absl::OkStatus();
}

absl::Status RunRemitSuspense(Invocation& inv) {
  const std::string& action = inv.args().positional()[0];
  if (action == "list") {
    absl::StatusOr<Client*> client = inv.client();
    if (!client.ok()) return client.status();
    return ListSuspense(inv, **client);
  }
  if (action != "apply") return UsageError("ACTION must be list or apply");
  if (Str(inv, "item").empty() || Str(inv, "claim").empty()) {
    return UsageError("suspense apply needs --item and --claim");
  }
  rcl::v1::ApplySuspendedPayment cmd;
  cmd.set_item_id(Str(inv, "item"));
  cmd.set_claim_id(Str(inv, "claim"));
  return DoWrite(
      inv, [&](Client& c, const CommandOptions& o) { return c.ApplySuspendedPayment(cmd, o); });
}

absl::Status RunPayerAlias(Invocation& inv) {
  rcl::v1::AliasPayer cmd;
  cmd.set_payer_id(Str(inv, "payer"));
  cmd.set_x12_id(Str(inv, "x12-id"));
  return DoWrite(inv, [&](Client& c, const CommandOptions& o) { return c.AliasPayer(cmd, o); });
}

absl::Status RunClaimExport837(Invocation& inv) {
  const std::vector<std::string> ids = inv.args().Values("claim");
  const std::string out_path = Str(inv, "out");
  absl::StatusOr<CommandOptions> options = WriteOptions(inv);
  if (!options.ok()) return options.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::ExportClaims837Response> r =
      (*client)->ExportClaims837(ids, inv.args().Has("test"), *options);
  if (!r.ok()) return r.status();
  if (!out_path.empty()) {
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out << r->x12();
    out.close();
    if (!out) {
      return absl::DataLossError(absl::StrCat("export ", r->export_id(),
                                              " was recorded but writing ", out_path, " failed"));
    }
  }
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    AppendCommandResponseFields(r->result(), &w);
    w.Key("export_id").String(r->export_id());
    w.Key("file_sha256").String(r->file_sha256());
    w.Key("interchange_control_number").Uint(r->interchange_control_number());
    w.Key("exported_at_us").Int(r->exported_at_us());
    w.Key("claims").Int(static_cast<int64_t>(ids.size()));
    w.Key("bytes").Uint(r->x12().size());
    if (out_path.empty()) {
      w.Key("x12").String(r->x12());
    } else {
      w.Key("out").String(out_path);
    }
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
    return absl::OkStatus();
  }
  if (out_path.empty()) {  // the file itself on standard output
    absl::StrAppend(&inv.out(), r->x12());
    return absl::OkStatus();
  }
  absl::StrAppend(&inv.out(), CommandResponseLine(r->result()), "\nexport ", r->export_id(), ": ",
                  ids.size(), " claims, ", r->x12().size(), " bytes, sha256 ", r->file_sha256(),
                  " written to ", out_path, "\n");
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandDef> X12Commands() {
  return {
      {"remit",
       "import",
       "FILE",
       "post an X12 835 file: every remittance, claim payment and PLB in one commit, or nothing",
       {{"dry-run", kBool, "", "parse, match and check balance; write nothing, print the events"},
        {"accept-imbalance", kBool, "",
         "post a file whose BPR02 does not balance (difference to suspense:remit_imbalance)"},
        {"progress", kBool, "",
         "show progress on standard error for any file (default: files of 1 MiB or more)"}},
       RunRemitImport},
      {"remit",
       "suspense",
       "ACTION",
       "list: claim payments an import held in suspense; apply: post one to a claim",
       {{"item", kValue, "ID", "suspense item id (apply)"},
        {"claim", kValue, "ID", "claim to apply it to (apply)"}},
       RunRemitSuspense},
      {"work",
       "remit-imbalance",
       "",
       "differences 835 imports posted to suspense:remit_imbalance (--accept-imbalance): remit, "
       "payer, trace, amounts",
       {},
       RunWorkRemitImbalance},
      {"claim",
       "export-837",
       "",
       "write claims as one X12 837P (005010X222A1) file and record the export on each claim",
       {{"claim", kRepeated, "ID", "claim to export (1 to 1,000)", true},
        {"out", kValue, "FILE", "write the file here (default: standard output)"},
        {"test", kBool, "", "mark the interchange as a test (ISA15 T)"}},
       RunClaimExport837},
      {"payer",
       "alias",
       "",
       "map an identifier payers send in 835s (N1*PR N104, REF*2U, TRN03) to a payer id",
       {{"payer", kValue, "ID", "payer id of the tenant's coverages", true},
        {"x12-id", kValue, "ID", "the identifier in the 835", true}},
       RunPayerAlias},
  };
}

}  // namespace rcl::cli
