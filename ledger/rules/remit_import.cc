// An 835 file posted as one command: every ST/SE remittance in it, each claim
// payment on its claim (or in suspense), every PLB on the books, in one
// decision (one commit) or none. See remit_import.h; the rules are in
// docs/API.md ("835 import").
#include "ledger/rules/remit_import.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "ledger/money.h"
#include "ledger/rules/claim_rules.h"
#include "ledger/rules/validation.h"
#include "ledger/x12/amount.h"

namespace rcl::ledger::claim_rules {

absl::StatusOr<const StreamState*> DecisionView::Get(const std::string& stream) {
  if (auto it = changed_.find(stream); it != changed_.end()) return &it->second;
  return base_.Get(stream);
}

namespace {

// Field 50 of every event an import writes is its X12Source (events.proto).
constexpr int kX12SourceField = 50;

void CheckCarriesSource(const std::string& type) {
  const auto* message = google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
      absl::StrCat("rcl.v1.", type));
  const auto* field = message == nullptr ? nullptr : message->FindFieldByNumber(kX12SourceField);
  RCL_CHECK(field != nullptr && field->message_type() == rcl::v1::X12Source::descriptor())
      << "event " << type << " written by an 835 import has no x12_source field";
}

}  // namespace

absl::Status DecisionView::Take(Decision d, const rcl::v1::X12Source* source, Decision* out) {
  std::string stamp;
  if (source != nullptr) {
    rcl::v1::X12SourceCarrier carrier;
    *carrier.mutable_x12_source() = *source;
    stamp = carrier.SerializeAsString();
  }
  for (NewEvent& e : d.events) {
    if (source != nullptr) {
      CheckCarriesSource(e.type);
      e.payload += stamp;  // protobuf merges a field appended to a message
    }
    auto it = changed_.find(e.stream);
    if (it == changed_.end()) {
      RCL_ASSIGN_OR_RETURN(const StreamState* base, base_.Get(e.stream));
      it = changed_.emplace(e.stream, *base).first;
    }
    StreamState& state = it->second;
    RCL_RETURN_IF_ERROR(
        ApplyEvent(&state, static_cast<uint64_t>(state.version + 1), e.type, e.payload));
    out->events.push_back(std::move(e));
  }
  return absl::OkStatus();
}

namespace {

// What one remittance's import needs besides the remittance.
struct ImportContext {
  std::string sha;
  bool accept_imbalance = false;
  DecisionView* view = nullptr;
  Decision* out = nullptr;
  ImportProgress* progress = nullptr;  // null: nobody watches
  uint64_t claims_done = 0;
};

rcl::v1::PaymentMethod MethodOf(const std::string& bpr04) {
  if (bpr04 == "CHK") return rcl::v1::PAYMENT_METHOD_CHK;
  if (bpr04 == "ACH" || bpr04 == "FWT" || bpr04 == "BOP") return rcl::v1::PAYMENT_METHOD_ACH;
  return rcl::v1::PAYMENT_METHOD_NON;
}

// The tenant's payer id for the 835's payer identifier: its alias, else the
// identifier itself.
absl::StatusOr<std::string> PayerOf(StateView& view, const x12::Remittance& r) {
  const std::string identifier = r.PayerIdentifier();
  const std::string st02 = x12::Printable(r.transaction_control_number);
  if (identifier.empty()) {
    return Rule(
        absl::StrCat("transaction ", st02, ": no payer identifier (N1*PR N104, REF*2U or TRN03)"));
  }
  RCL_ASSIGN_OR_RETURN(const StreamState* alias, view.Get(PayerAliasStream(identifier)));
  if (const auto* g = std::get_if<GuardState>(&alias->aggregate); alias->exists() && g) {
    return g->owner;
  }
  Violations v;
  CheckString("payer", identifier, kPayerIdRule, Presence::kRequired, v);
  if (!v.empty()) {
    return Rule(absl::StrCat("transaction ", st02, ": the payer identifier ",
                             x12::Printable(identifier),
                             " is not a payer id; map it with `rcl payer alias`"));
  }
  return identifier;
}

std::string PaidDate(const x12::Remittance& r, const StateView& view) {
  if (r.payment.date.has_value()) return FormatCivilDate(*r.payment.date);
  if (r.production_date.has_value()) return FormatCivilDate(*r.production_date);
  return FormatCivilDate(view.Today());
}

// Per claim: CLP03 - CAS = CLP04, each SVC balanced, and the SVCs' paid
// less the claim-level CAS = CLP04 (the 5010 rule: claim-level adjustments
// reduce what the lines paid).
absl::Status CheckClaimConsistency(const x12::ClaimPayment& c) {
  RCL_RETURN_IF_ERROR(x12::CheckClaimBalance(c));
  if (c.lines.empty()) return absl::OkStatus();
  int64_t paid = 0;
  for (const x12::ServiceLine& l : c.lines) {
    RCL_RETURN_IF_ERROR(x12::CheckLineBalance(l));
    paid += l.paid_cents;
  }
  int64_t claim_cas = 0;
  for (const x12::Adjustment& a : c.adjustments) claim_cas += a.cents;
  if (paid - claim_cas == c.paid_cents) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "segment ", c.file_position, " (CLP): the SVC lines pay ", x12::DollarsAndCents(paid),
      " less claim-level CAS ", x12::DollarsAndCents(claim_cas), " but CLP04 says ",
      x12::DollarsAndCents(c.paid_cents)));
}

absl::Status RecordRemittance(const x12::Remittance& r, const std::string& remit_id,
                              const std::string& payer_id, const rcl::v1::X12Source& source,
                              ImportContext& ctx) {
  RCL_ASSIGN_OR_RETURN(const StreamState* guard,
                       ctx.view->Get(RemitTraceStream(payer_id, r.trace.trace_number)));
  if (guard->exists()) {
    const auto* g = std::get_if<GuardState>(&guard->aggregate);
    return absl::AlreadyExistsError(
        absl::StrCat("payer ", payer_id, " trace ", x12::Printable(r.trace.trace_number),
                     " was already posted as remittance ", g == nullptr ? "" : g->owner));
  }
  rcl::v1::RecordRemittance c;
  c.set_remit_id(remit_id);
  c.set_payer_id(payer_id);
  c.set_trace_number(r.trace.trace_number);
  c.set_method(MethodOf(r.payment.method));
  c.set_total_cents(r.payment.SignedTotalCents());
  c.set_paid_date(PaidDate(r, *ctx.view));
  RCL_ASSIGN_OR_RETURN(Decision d, DecideRecordRemittance(c, *ctx.view));
  return ctx.view->Take(std::move(d), &source, ctx.out);
}

absl::Status PostProviderAdjustments(const x12::Remittance& r, const std::string& remit_id,
                                     rcl::v1::X12Source source, ImportContext& ctx,
                                     rcl::v1::ImportedRemittance* summary) {
  for (const x12::ProviderAdjustment& plb : r.provider_adjustments) {
    source.set_segment_number(static_cast<int64_t>(plb.segment_number));
    for (const x12::ProviderAdjustmentItem& item : plb.items) {
      if (item.cents == 0) continue;
      rcl::v1::RecordProviderAdjustment c;
      c.set_remit_id(remit_id);
      c.set_reason_code(item.reason);
      c.set_amount_cents(item.cents);
      c.set_reference(item.reference);
      RCL_ASSIGN_OR_RETURN(Decision d, DecideProviderAdjustment(c, *ctx.view));
      RCL_RETURN_IF_ERROR(ctx.view->Take(std::move(d), &source, ctx.out));
      summary->set_plb_total_cents(summary->plb_total_cents() + item.cents);
    }
  }
  return absl::OkStatus();
}

// BPR02 - (sum CLP04 - sum PLB), accepted into a suspense account of its own.
absl::Status AcceptImbalance(const x12::Remittance& r, const std::string& remit_id,
                             const rcl::v1::X12Source& source, ImportContext& ctx,
                             rcl::v1::ImportedRemittance* summary) {
  const int64_t posted = r.ClaimsPaidCents() - r.ProviderAdjustmentCents();
  const int64_t difference = r.payment.SignedTotalCents() - posted;
  summary->set_imbalance_cents(difference);
  if (difference == 0) return absl::OkStatus();
  rcl::v1::RemittanceImbalanceAccepted e;
  e.set_remit_id(remit_id);
  e.set_bpr_cents(r.payment.SignedTotalCents());
  e.set_posted_cents(posted);
  e.set_difference_cents(difference);
  PostingBuilder pb;
  pb.Move(kCashPayer, kRemitImbalance, difference);
  pb.To(e.mutable_postings());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, RemitStream(remit_id), std::move(e), PaidDate(r, *ctx.view)));
  return ctx.view->Take(std::move(d), &source, ctx.out);
}

absl::Status ImportRemittance(const x12::Remittance& r, size_t ordinal, ImportContext& ctx,
                              rcl::v1::ImportedRemittance* summary) {
  const std::string remit_id = absl::StrCat("era-", ctx.sha.substr(0, 12), "-", ordinal + 1);
  RCL_ASSIGN_OR_RETURN(std::string payer_id, PayerOf(*ctx.view, r));
  absl::Status balanced = x12::CheckRemittanceBalance(r);
  if (!balanced.ok() && !ctx.accept_imbalance) return balanced;
  rcl::v1::X12Source source;
  source.set_file_sha256(ctx.sha);
  source.set_interchange_control_number(r.interchange_control_number);
  source.set_transaction_control_number(r.transaction_control_number);
  summary->set_remit_id(remit_id);
  summary->set_payer_id(payer_id);
  summary->set_payer_identifier(r.PayerIdentifier());
  summary->set_trace_number(r.trace.trace_number);
  summary->set_total_paid_cents(r.payment.SignedTotalCents());
  summary->set_interchange_control_number(r.interchange_control_number);
  summary->set_transaction_control_number(r.transaction_control_number);
  RCL_RETURN_IF_ERROR(RecordRemittance(r, remit_id, payer_id, source, ctx));
  for (const x12::ClaimPayment& clp : r.claims) {
    absl::Status consistent = CheckClaimConsistency(clp);
    if (!consistent.ok() && !ctx.accept_imbalance) {
      return absl::FailedPreconditionError(
          absl::StrCat("transaction ", x12::Printable(r.transaction_control_number), ": ",
                       consistent.message()));
    }
    rcl::v1::X12Source clp_source = source;
    clp_source.set_segment_number(static_cast<int64_t>(clp.segment_number));
    RCL_RETURN_IF_ERROR(PostClaimPayment(clp, remit_id, payer_id, clp_source,
                                         std::string(consistent.message()), *ctx.view, ctx.out,
                                         summary));
    if (ctx.progress != nullptr) ctx.progress->Done(++ctx.claims_done);
  }
  RCL_RETURN_IF_ERROR(PostProviderAdjustments(r, remit_id, source, ctx, summary));
  return AcceptImbalance(r, remit_id, source, ctx, summary);
}

}  // namespace

absl::StatusOr<Decision> DecideImportRemittanceFile(const rcl::v1::ImportRemittanceFile& c,
                                                    StateView& view) {
  if (c.x12().size() > kImportBytesMax) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the file has ", c.x12().size(), " bytes; at most ", kImportBytesMax));
  }
  ImportContext ctx;
  ctx.progress = view.progress();
  if (ctx.progress != nullptr) ctx.progress->Enter(ImportProgress::kParsing, 0);
  ctx.sha = FileSha256Hex(c.x12());
  ctx.accept_imbalance = c.accept_imbalance();
  RCL_ASSIGN_OR_RETURN(const StreamState* file, view.Get(X12FileStream(ctx.sha)));
  if (file->exists()) {
    const auto* g = std::get_if<GuardState>(&file->aggregate);
    return absl::AlreadyExistsError(absl::StrCat("this file (SHA-256 ", ctx.sha,
                                                 ") was already imported as remittance ",
                                                 g == nullptr ? "" : g->owner));
  }
  RCL_ASSIGN_OR_RETURN(x12::RemittanceFile parsed, x12::Parse835(c.x12()));
  if (parsed.remittances.empty()) return absl::InvalidArgumentError("the file holds no 835");
  if (ctx.progress != nullptr) {
    uint64_t claims = 0;
    for (const x12::Remittance& r : parsed.remittances) claims += r.claims.size();
    ctx.progress->Enter(ImportProgress::kMatching, claims);
  }
  DecisionView dv(view);
  Decision out;
  ctx.view = &dv;
  ctx.out = &out;
  rcl::v1::RemittanceFileImported summary;
  summary.set_file_sha256(ctx.sha);
  summary.set_file_bytes(static_cast<int64_t>(c.x12().size()));
  summary.set_accept_imbalance(c.accept_imbalance());
  for (size_t i = 0; i < parsed.remittances.size(); ++i) {
    RCL_RETURN_IF_ERROR(ImportRemittance(parsed.remittances[i], i, ctx, summary.add_remittances()));
  }
  for (const x12::Warning& w : parsed.warnings) summary.add_warnings(w.message);
  summary.set_events(static_cast<int64_t>(out.events.size()) + 1);
  RCL_RETURN_IF_ERROR(EmitEvent(&out, X12FileStream(ctx.sha), std::move(summary), ""));
  // What is left: the ledger chains every event (counting them), writes and fsyncs.
  if (ctx.progress != nullptr) ctx.progress->Enter(ImportProgress::kPosting, out.events.size());
  return out;
}

absl::StatusOr<Decision> DecideAliasPayer(const rcl::v1::AliasPayer& c, StateView& view) {
  const std::string stream = PayerAliasStream(c.x12_id());
  RCL_ASSIGN_OR_RETURN(const StreamState* s, view.Get(stream));
  if (const auto* g = std::get_if<GuardState>(&s->aggregate); s->exists() && g) {
    return Rule(absl::StrCat("x12 id ", c.x12_id(), " already names payer ", g->owner));
  }
  rcl::v1::PayerAliased e;
  e.set_x12_id(c.x12_id());
  e.set_payer_id(c.payer_id());
  Decision d;
  RCL_RETURN_IF_ERROR(EmitEvent(&d, stream, std::move(e), ""));
  return d;
}

absl::StatusOr<Decision> DecideApplySuspendedPayment(const rcl::v1::ApplySuspendedPayment& c,
                                                     StateView& view) {
  RCL_ASSIGN_OR_RETURN(const SuspenseState* item,
                       GetAs<SuspenseState>(view, SuspenseStream(c.item_id()),
                                            absl::StrCat("suspense item ", c.item_id())));
  if (!item->applied_to.empty()) {
    return Rule(absl::StrCat("suspense item ", c.item_id(), " was already applied to claim ",
                             item->applied_to));
  }
  x12::ClaimPayment payment = FromSuspended(item->item);
  payment.patient_control_number = c.claim_id();
  RCL_ASSIGN_OR_RETURN(const ClaimState* claim, TargetClaim(view, payment, item->item.payer_id()));
  DecisionView dv(view);
  Decision out;
  rcl::v1::ImportedRemittance counts;
  const rcl::v1::X12Source& source = item->item.x12_source();
  // Reuses the import's posting; a rule broken here refuses the command.
  RCL_ASSIGN_OR_RETURN(rcl::v1::AdjudicateClaim a,
                       payment.status_code == kClpReversal
                           ? absl::StatusOr<rcl::v1::AdjudicateClaim>(rcl::v1::AdjudicateClaim())
                           : MapClaimPayment(payment, *claim, item->item.remit_id()));
  Decision d;
  if (payment.status_code == kClpReversal) {
    rcl::v1::ReverseAdjudication r;
    r.set_claim_id(claim->claim_id);
    r.set_remit_id(item->item.remit_id());
    RCL_ASSIGN_OR_RETURN(d, DecideReverse(r, dv));
  } else {
    RCL_ASSIGN_OR_RETURN(d, DecideAdjudicate(a, dv));
  }
  RCL_RETURN_IF_ERROR(dv.Take(std::move(d), &source, &out));
  rcl::v1::SuspendedPaymentApplied e;
  e.set_item_id(c.item_id());
  e.set_claim_id(claim->claim_id);
  e.set_remit_id(item->item.remit_id());
  e.set_paid_cents(item->item.paid_cents());
  PostingBuilder pb;
  pb.Move(kSuspense, kCashPayer, item->item.paid_cents());
  pb.To(e.mutable_postings());
  RCL_RETURN_IF_ERROR(EmitEvent(&out, SuspenseStream(c.item_id()), std::move(e), ""));
  return out;
}

}  // namespace rcl::ledger::claim_rules
