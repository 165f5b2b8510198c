#include "ledger/x12/remit835.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/x12/amount.h"
#include "ledger/x12/fields.h"
#include "ledger/x12/text.h"

namespace rcl::x12 {
namespace {

constexpr std::string_view kSupportedVersions[] = {"005010X221A1", "005010X221", "004010X091A1",
                                                   "004010X091"};
constexpr std::string_view kClaimStatusCodes[] = {"1",  "2",  "3",  "4",  "19",
                                                  "20", "21", "22", "23", "25"};
constexpr std::string_view kCasGroups[] = {"CO", "PR", "OA", "PI", "CR"};
// CAS: triples start at CAS02; PLB: pairs start at PLB03.
constexpr size_t kCasFirstTriple = 2;
constexpr size_t kPlbFirstPair = 3;

template <size_t N>
bool OneOf(std::string_view value, const std::string_view (&set)[N]) {
  for (std::string_view s : set) {
    if (value == s) return true;
  }
  return false;
}

// Parses one ST/SE of an 835 into a Remittance. One instance per transaction.
class TransactionParser {
 public:
  TransactionParser(const Interchange& ic, const FunctionalGroup& group, const TransactionSet& tx,
                    std::vector<Warning>* warnings)
      : tx_(tx), warnings_(warnings) {
    r_.interchange_control_number = std::string(ic.control_number);
    r_.group_control_number = std::string(group.control_number);
    r_.transaction_control_number = std::string(tx.control_number);
    r_.version = std::string(tx.implementation);
    r_.file_position = tx.segments.front().position();
  }

  absl::StatusOr<Remittance> Run();

 private:
  // Which loop the last segment opened: where REF, DTM, CAS, AMT belong.
  enum class Loop { kHeader, kPayer, kPayee, kNumber, kClaim, kLine, kProvider };

  absl::Status Handle(const Segment& s, size_t ordinal);
  absl::Status OnBpr(const Segment& s);
  absl::Status OnTrn(const Segment& s);
  void OnN1(const Segment& s);
  absl::Status OnRef(const Segment& s);
  absl::Status OnDtm(const Segment& s);
  absl::Status OnClp(const Segment& s, size_t ordinal);
  absl::Status OnCas(const Segment& s);
  void OnNm1(const Segment& s);
  absl::Status OnAmt(const Segment& s);
  absl::Status OnSvc(const Segment& s, size_t ordinal);
  absl::Status OnPlb(const Segment& s, size_t ordinal);
  absl::StatusOr<Procedure> ProcedureAt(const Segment& s, size_t i);
  void Warn(const Segment& s, std::string message) {
    warnings_->push_back({s.position(), absl::StrCat(SegmentPrefix(s), message)});
  }
  ClaimPayment& claim() { return r_.claims.back(); }
  ServiceLine& line() { return r_.claims.back().lines.back(); }

  const TransactionSet& tx_;
  std::vector<Warning>* warnings_;
  Remittance r_;
  Loop loop_ = Loop::kHeader;
  bool have_bpr_ = false;
  bool have_trn_ = false;
};

absl::StatusOr<Remittance> TransactionParser::Run() {
  for (size_t i = 0; i < tx_.segments.size(); ++i) {
    if (auto st = Handle(tx_.segments[i], i + 1); !st.ok()) return st;
  }
  const Segment& st = tx_.segments.front();
  if (!have_bpr_) return absl::InvalidArgumentError(SegmentPrefix(st) + "the 835 has no BPR");
  if (!have_trn_) return absl::InvalidArgumentError(SegmentPrefix(st) + "the 835 has no TRN");
  if (!r_.payer.present) Warn(st, "the 835 has no N1*PR (payer) loop");
  if (!r_.payee.present) Warn(st, "the 835 has no N1*PE (payee) loop");
  return std::move(r_);
}

absl::Status TransactionParser::Handle(const Segment& s, size_t ordinal) {
  const std::string_view id = s.id();
  if (id == "BPR") return OnBpr(s);
  if (id == "TRN") return OnTrn(s);
  if (id == "N1") {
    OnN1(s);
    return absl::OkStatus();
  }
  if (id == "REF") return OnRef(s);
  if (id == "DTM") return OnDtm(s);
  if (id == "LX") {
    loop_ = Loop::kNumber;
    return absl::OkStatus();
  }
  if (id == "CLP") return OnClp(s, ordinal);
  if (id == "CAS") return OnCas(s);
  if (id == "NM1") {
    OnNm1(s);
    return absl::OkStatus();
  }
  if (id == "AMT") return OnAmt(s);
  if (id == "SVC") return OnSvc(s, ordinal);
  if (id == "PLB") return OnPlb(s, ordinal);
  return absl::OkStatus();  // ST, SE, and segments the model does not hold
}

absl::Status TransactionParser::OnBpr(const Segment& s) {
  if (have_bpr_) return SegmentFail(s, "a second BPR in one 835");
  have_bpr_ = true;
  Payment& p = r_.payment;
  p.handling = std::string(s.Element(1));
  absl::StatusOr<int64_t> total = CentsAt(s, 2);
  if (!total.ok()) return total.status();
  if (*total < 0) return SegmentFail(s, "BPR02 is negative (BPR03 carries the sign)");
  p.total_cents = *total;
  p.credit_debit = std::string(s.Element(3));
  if (p.credit_debit != "C" && p.credit_debit != "D") {
    return SegmentFail(s, "BPR03 is neither C (credit) nor D (debit)");
  }
  p.method = std::string(s.Element(4));
  p.format = std::string(s.Element(5));
  // Real files carry impossible BPR16 dates (20002316); the date moves no
  // money, so it is dropped with a warning rather than refusing the file.
  absl::StatusOr<std::optional<absl::CivilDay>> date = OptionalDateAt(s, 16);
  if (s.Element(16).empty()) {
    Warn(s, "BPR16 (payment date) is empty");
  } else if (date.ok()) {
    p.date = *date;
  } else {
    Warn(s, "BPR16 (payment date) is not a date on the calendar; ignored");
  }
  return absl::OkStatus();
}

absl::Status TransactionParser::OnTrn(const Segment& s) {
  if (have_trn_) return SegmentFail(s, "a second TRN in one 835");
  have_trn_ = true;
  r_.trace.type = std::string(s.Element(1));
  r_.trace.trace_number = std::string(s.Element(2));
  r_.trace.originator = std::string(s.Element(3));
  r_.trace.reference = std::string(s.Element(4));
  if (r_.trace.trace_number.empty()) return SegmentFail(s, "TRN02 (trace number) is empty");
  return absl::OkStatus();
}

void TransactionParser::OnN1(const Segment& s) {
  const std::string_view code = s.Element(1);
  Party* party = nullptr;
  if (code == "PR") {
    party = &r_.payer;
    loop_ = Loop::kPayer;
  } else if (code == "PE") {
    party = &r_.payee;
    loop_ = Loop::kPayee;
  } else {
    loop_ = Loop::kHeader;
    return;
  }
  if (party->present) Warn(s, "a second N1 loop for the same party; it replaces the first");
  *party = Party{};
  party->present = true;
  party->entity_code = std::string(code);
  party->name = std::string(s.Element(2));
  party->id_qualifier = std::string(s.Element(3));
  party->id = std::string(s.Element(4));
}

absl::Status TransactionParser::OnRef(const Segment& s) {
  Reference ref{std::string(s.Element(1)), std::string(s.Element(2))};
  switch (loop_) {
    case Loop::kHeader: r_.references.push_back(std::move(ref)); break;
    case Loop::kPayer: r_.payer.references.push_back(std::move(ref)); break;
    case Loop::kPayee: r_.payee.references.push_back(std::move(ref)); break;
    case Loop::kClaim: claim().references.push_back(std::move(ref)); break;
    case Loop::kLine:
      if (ref.qualifier == "6R") line().line_id = ref.value;
      line().references.push_back(std::move(ref));
      break;
    case Loop::kNumber:
    case Loop::kProvider: break;
  }
  return absl::OkStatus();
}

absl::Status TransactionParser::OnDtm(const Segment& s) {
  absl::StatusOr<absl::CivilDay> day = DateAt(s, 2);
  if (!day.ok()) return day.status();
  Date date{std::string(s.Element(1)), *day};
  switch (loop_) {
    case Loop::kClaim: claim().dates.push_back(std::move(date)); break;
    case Loop::kLine: line().dates.push_back(std::move(date)); break;
    case Loop::kHeader:
    case Loop::kPayer:
    case Loop::kPayee:
      if (date.qualifier == "405") r_.production_date = date.day;
      break;
    case Loop::kNumber:
    case Loop::kProvider: break;
  }
  return absl::OkStatus();
}

absl::Status TransactionParser::OnClp(const Segment& s, size_t ordinal) {
  loop_ = Loop::kClaim;
  ClaimPayment& c = r_.claims.emplace_back();
  c.segment_number = ordinal;
  c.file_position = s.position();
  c.patient_control_number = std::string(s.Element(1));
  if (c.patient_control_number.empty()) return SegmentFail(s, "CLP01 (claim id) is empty");
  c.status_code = std::string(s.Element(2));
  if (!OneOf(c.status_code, kClaimStatusCodes)) {
    if (c.status_code.empty()) return SegmentFail(s, "CLP02 (claim status) is empty");
    Warn(s, absl::StrCat("CLP02 status ", Printable(c.status_code), " is not a known code"));
  }
  absl::StatusOr<int64_t> charge = CentsAt(s, 3);
  if (!charge.ok()) return charge.status();
  absl::StatusOr<int64_t> paid = CentsAt(s, 4);
  if (!paid.ok()) return paid.status();
  absl::StatusOr<std::optional<int64_t>> patient = OptionalCentsAt(s, 5);
  if (!patient.ok()) return patient.status();
  c.charge_cents = *charge;
  c.paid_cents = *paid;
  c.patient_responsibility_cents = *patient;
  c.filing_indicator = std::string(s.Element(6));
  c.payer_claim_control_number = std::string(s.Element(7));
  c.facility_type = std::string(s.Element(8));
  c.frequency = std::string(s.Element(9));
  return absl::OkStatus();
}

absl::Status TransactionParser::OnCas(const Segment& s) {
  std::vector<Adjustment>* out = nullptr;
  if (loop_ == Loop::kClaim) out = &claim().adjustments;
  if (loop_ == Loop::kLine) out = &line().adjustments;
  if (out == nullptr) return SegmentFail(s, "CAS outside a claim (no CLP or SVC before it)");
  const std::string_view group = s.Element(1);
  if (group.empty()) return SegmentFail(s, "CAS01 (adjustment group) is empty");
  if (!OneOf(group, kCasGroups)) {
    Warn(s, absl::StrCat("CAS01 group ", Printable(group), " is not CO, PR, OA, PI or CR"));
  }
  if (s.ElementCount() > kCasFirstTriple - 1 + 3 * kCasTriplesMax) {
    return SegmentFail(s, "CAS has more than six adjustments");
  }
  const size_t before = out->size();
  for (size_t t = 0; t < kCasTriplesMax; ++t) {
    const size_t base = kCasFirstTriple + 3 * t;
    if (s.Element(base).empty() && s.Element(base + 1).empty() && s.Element(base + 2).empty()) {
      continue;
    }
    if (s.Element(base).empty()) return ElementFail(s, base, "(reason) is empty");
    absl::StatusOr<int64_t> cents = CentsAt(s, base + 1);
    if (!cents.ok()) return cents.status();
    absl::StatusOr<std::optional<int64_t>> quantity = OptionalMilliAt(s, base + 2);
    if (!quantity.ok()) return quantity.status();
    out->push_back({std::string(group), std::string(s.Element(base)), *cents, *quantity});
  }
  if (out->size() == before) return SegmentFail(s, "CAS has no adjustment");
  return absl::OkStatus();
}

void TransactionParser::OnNm1(const Segment& s) {
  if (loop_ != Loop::kClaim && loop_ != Loop::kLine) return;
  Person p;
  p.entity_code = std::string(s.Element(1));
  p.last_or_organization = std::string(s.Element(3));
  p.first = std::string(s.Element(4));
  p.middle = std::string(s.Element(5));
  p.id_qualifier = std::string(s.Element(8));
  p.id = std::string(s.Element(9));
  claim().people.push_back(std::move(p));
}

absl::Status TransactionParser::OnAmt(const Segment& s) {
  if (loop_ != Loop::kClaim && loop_ != Loop::kLine) return absl::OkStatus();
  absl::StatusOr<int64_t> cents = CentsAt(s, 2);
  if (!cents.ok()) return cents.status();
  Amount amount{std::string(s.Element(1)), *cents};
  if (loop_ == Loop::kClaim) {
    claim().amounts.push_back(std::move(amount));
    return absl::OkStatus();
  }
  if (amount.qualifier == "B6") line().allowed_cents = amount.cents;
  line().amounts.push_back(std::move(amount));
  return absl::OkStatus();
}

absl::StatusOr<Procedure> TransactionParser::ProcedureAt(const Segment& s, size_t i) {
  const Composite composite = s.CompositeAt(i);
  if (composite.foreign_separator) {
    Warn(s,
         absl::StrFormat("%s uses %s as its component separator; ISA16 says %s", ElementName(s, i),
                         ShowChar(composite.separator), ShowChar(s.component_separator())));
  }
  Procedure p;
  p.qualifier = std::string(composite.components[0]);
  if (composite.components.size() > 1) p.code = std::string(composite.components[1]);
  for (size_t k = 2; k < composite.components.size() && k < 2 + kModifiersMax; ++k) {
    if (!composite.components[k].empty()) p.modifiers.emplace_back(composite.components[k]);
  }
  if (p.qualifier.empty()) return ElementFail(s, i, "(procedure qualifier) is empty");
  if (p.code.empty()) Warn(s, absl::StrCat(ElementName(s, i), " has no procedure code"));
  return p;
}

absl::Status TransactionParser::OnSvc(const Segment& s, size_t ordinal) {
  if (loop_ != Loop::kClaim && loop_ != Loop::kLine) {
    return SegmentFail(s, "SVC outside a claim (no CLP before it)");
  }
  loop_ = Loop::kLine;
  ServiceLine& l = claim().lines.emplace_back();
  l.segment_number = ordinal;
  l.file_position = s.position();
  absl::StatusOr<Procedure> procedure = ProcedureAt(s, 1);
  if (!procedure.ok()) return procedure.status();
  l.procedure = *std::move(procedure);
  absl::StatusOr<int64_t> charge = CentsAt(s, 2);
  if (!charge.ok()) return charge.status();
  absl::StatusOr<int64_t> paid = CentsAt(s, 3);
  if (!paid.ok()) return paid.status();
  l.charge_cents = *charge;
  l.paid_cents = *paid;
  l.revenue_code = std::string(s.Element(4));
  absl::StatusOr<std::optional<int64_t>> units = OptionalMilliAt(s, 5);
  if (!units.ok()) return units.status();
  if (units->has_value()) l.units_milli = **units;
  if (!s.Element(6).empty()) {
    absl::StatusOr<Procedure> original = ProcedureAt(s, 6);
    if (!original.ok()) return original.status();
    l.original = *std::move(original);
  }
  absl::StatusOr<std::optional<int64_t>> original_units = OptionalMilliAt(s, 7);
  if (!original_units.ok()) return original_units.status();
  l.original_units_milli = *original_units;
  return absl::OkStatus();
}

absl::Status TransactionParser::OnPlb(const Segment& s, size_t ordinal) {
  loop_ = Loop::kProvider;
  ProviderAdjustment& plb = r_.provider_adjustments.emplace_back();
  plb.segment_number = ordinal;
  plb.file_position = s.position();
  plb.provider_id = std::string(s.Element(1));
  if (plb.provider_id.empty()) return SegmentFail(s, "PLB01 (provider id) is empty");
  absl::StatusOr<absl::CivilDay> day = DateAt(s, 2);
  if (!day.ok()) return day.status();
  plb.fiscal_period = *day;
  if (s.ElementCount() > kPlbFirstPair - 1 + 2 * kPlbPairsMax) {
    return SegmentFail(s, "PLB has more than six adjustments");
  }
  for (size_t p = 0; p < kPlbPairsMax; ++p) {
    const size_t base = kPlbFirstPair + 2 * p;
    if (s.Element(base).empty() && s.Element(base + 1).empty()) continue;
    const Composite reason = s.CompositeAt(base);
    if (reason.foreign_separator) {
      Warn(s, absl::StrFormat("%s uses %s as its component separator; ISA16 says %s",
                              ElementName(s, base), ShowChar(reason.separator),
                              ShowChar(s.component_separator())));
    }
    if (reason.components[0].empty()) return ElementFail(s, base, "(adjustment reason) is empty");
    absl::StatusOr<int64_t> cents = CentsAt(s, base + 1);
    if (!cents.ok()) return cents.status();
    ProviderAdjustmentItem item{std::string(reason.components[0]), "", *cents};
    if (reason.components.size() > 1) item.reference = std::string(reason.components[1]);
    plb.items.push_back(std::move(item));
  }
  if (plb.items.empty()) return SegmentFail(s, "PLB has no adjustment");
  return absl::OkStatus();
}

absl::Status CheckIs835(const TransactionSet& tx) {
  const Segment& st = tx.segments.front();
  if (tx.id != "835") {
    return absl::InvalidArgumentError(
        absl::StrCat(SegmentPrefix(st), "transaction set ", Printable(tx.id), " is not an 835"));
  }
  if (!OneOf(tx.implementation, kSupportedVersions)) {
    return absl::InvalidArgumentError(absl::StrCat(
        SegmentPrefix(st), "835 version ", Printable(tx.implementation), " is not supported (",
        Av(kVersion835_5010), " or ", Av(kVersion835_4010), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RemittanceFile> Parse835(const Document& document) {
  RemittanceFile file;
  file.warnings = document.warnings;
  for (const Interchange& ic : document.interchanges) {
    for (const FunctionalGroup& group : ic.groups) {
      for (const TransactionSet& tx : group.transactions) {
        if (auto st = CheckIs835(tx); !st.ok()) return st;
        absl::StatusOr<Remittance> r = TransactionParser(ic, group, tx, &file.warnings).Run();
        if (!r.ok()) return r.status();
        file.remittances.push_back(*std::move(r));
      }
    }
  }
  return file;
}

absl::StatusOr<RemittanceFile> Parse835(std::string_view bytes, const ReaderLimits& limits) {
  absl::StatusOr<Document> document = ReadX12(bytes, limits);
  if (!document.ok()) return document.status();
  return Parse835(*document);
}

}  // namespace rcl::x12
