// `rcl remit import`, `rcl remit suspense list|apply` and `rcl payer alias`:
// X12 835 files posted whole by the server (docs/X12.md, "Posting"), the
// claim payments they held in suspense, and the identifiers payers use in
// them; `rcl claim export-837`: claims out as one X12 837P file.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "clients/cli_command.h"
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

absl::Status RunRemitImport(Invocation& inv) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(inv.args().positional()[0]);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<CommandOptions> options = WriteOptions(inv);
  if (!options.ok()) return options.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  const bool dry_run = inv.args().Has("dry-run");
  absl::StatusOr<rcl::v1::ImportRemittanceFileResponse> r = (*client)->ImportRemittanceFile(
      *bytes, dry_run, inv.args().Has("accept-imbalance"), *options);
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
         "post a file whose BPR02 does not balance (difference to suspense:remit_imbalance)"}},
       RunRemitImport},
      {"remit",
       "suspense",
       "ACTION",
       "list: claim payments an import held in suspense; apply: post one to a claim",
       {{"item", kValue, "ID", "suspense item id (apply)"},
        {"claim", kValue, "ID", "claim to apply it to (apply)"}},
       RunRemitSuspense},
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
