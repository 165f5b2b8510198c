#include "ledger/x12/claim837p.h"

#include <initializer_list>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ledger/x12/amount.h"
#include "ledger/x12/text.h"

namespace rcl::x12 {
namespace {

constexpr char kElement = '*';
constexpr char kComponent = ':';
constexpr char kRepetition = '^';
constexpr char kTerminator = '~';
constexpr std::string_view kForbidden = "*:^~\r\n";
constexpr size_t kNameMax = 60;     // NM103
constexpr size_t kIdMax = 80;       // NM109, REF02
constexpr size_t kIsaIdMax = 15;    // ISA06, ISA08
constexpr size_t kAddressMax = 55;  // N301
constexpr size_t kCityMax = 30;     // N401

// Accumulates segments, dropping trailing empty elements, and counts them.
class SegmentOut {
 public:
  explicit SegmentOut(bool line_breaks) : line_breaks_(line_breaks) {}
  void Add(std::initializer_list<std::string_view> elements) {
    size_t n = elements.size();
    const std::string_view* e = elements.begin();
    while (n > 1 && e[n - 1].empty()) --n;
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) out_.push_back(kElement);
      out_.append(e[i]);
    }
    out_.push_back(kTerminator);
    if (line_breaks_) out_.push_back('\n');
    ++count_;
  }
  size_t count() const { return count_; }
  void ResetCount() { count_ = 0; }
  std::string Take() { return std::move(out_); }

 private:
  bool line_breaks_;
  std::string out_;
  size_t count_ = 0;
};

// Collects the first validation failure; messages name fields, not values.
class Checker {
 public:
  explicit Checker(std::string where) : where_(std::move(where)) {}
  void Text(std::string_view field, std::string_view value, size_t max, bool required = true) {
    if (!status_.ok()) return;
    if (value.empty()) {
      if (required) Fail(field, "is empty");
      return;
    }
    if (value.size() > max) return Fail(field, absl::StrCat("is longer than ", max));
    if (value.find_first_of(kForbidden) != std::string_view::npos) {
      Fail(field, "contains an X12 delimiter (* : ^ ~) or a line break");
    }
  }
  void Digits(std::string_view field, std::string_view value, size_t min, size_t max) {
    if (!status_.ok()) return;
    bool ok = value.size() >= min && value.size() <= max;
    for (char c : value) ok = ok && absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (!ok) Fail(field, absl::StrFormat("is not %d to %d digits", min, max));
  }
  void Alnum(std::string_view field, std::string_view value, size_t min, size_t max) {
    if (!status_.ok()) return;
    bool ok = value.size() >= min && value.size() <= max;
    for (char c : value) ok = ok && absl::ascii_isalnum(static_cast<unsigned char>(c));
    if (!ok) Fail(field, absl::StrFormat("is not %d to %d letters or digits", min, max));
  }
  void That(bool ok, std::string_view field, std::string_view message) {
    if (status_.ok() && !ok) Fail(field, message);
  }
  void Address(std::string_view field, const x12::Address& a) {
    Text(absl::StrCat(Av(field), ".line1"), a.line1, kAddressMax);
    Text(absl::StrCat(Av(field), ".line2"), a.line2, kAddressMax, false);
    Text(absl::StrCat(Av(field), ".city"), a.city, kCityMax);
    Alnum(absl::StrCat(Av(field), ".state"), a.state, 2, 2);
    Digits(absl::StrCat(Av(field), ".postal_code"), a.postal_code, 5, 9);
  }
  void Person(std::string_view field, const Person837& p) {
    Text(absl::StrCat(Av(field), ".last_name"), p.last_name, kNameMax);
    Text(absl::StrCat(Av(field), ".first_name"), p.first_name, 35);
    Text(absl::StrCat(Av(field), ".middle_name"), p.middle_name, 25, false);
    That(p.gender == 'M' || p.gender == 'F' || p.gender == 'U', absl::StrCat(Av(field), ".gender"),
         "is not M, F or U");
    Address(absl::StrCat(Av(field), ".address"), p.address);
  }
  const absl::Status& status() const { return status_; }

 private:
  void Fail(std::string_view field, std::string_view message) {
    status_ = absl::InvalidArgumentError(absl::StrCat(where_, Av(field), " ", Av(message)));
  }
  std::string where_;
  absl::Status status_;
};

// ICD-10 as X12 wants it: no '.'.
std::string IcdCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c != '.') out.push_back(c);
  }
  return out;
}

absl::Status CheckEnvelope(const Envelope837& e, const BillingProvider& b) {
  Checker c("envelope: ");
  c.Alnum("sender_qualifier", e.sender_qualifier, 2, 2);
  c.Text("sender_id", e.sender_id, kIsaIdMax);
  c.Alnum("receiver_qualifier", e.receiver_qualifier, 2, 2);
  c.Text("receiver_id", e.receiver_id, kIsaIdMax);
  c.That(e.interchange_control_number >= 1 && e.interchange_control_number <= kControlNumberMax,
         "interchange_control_number", "is not 1 to 999999999");
  c.That(e.group_control_number >= 1 && e.group_control_number <= kControlNumberMax,
         "group_control_number", "is not 1 to 999999999");
  c.Alnum("transaction_control_number", e.transaction_control_number, 4, 9);
  c.Text("batch_reference", e.batch_reference, 50);
  c.Text("submitter_name", e.submitter_name, kNameMax);
  c.Text("submitter_id", e.submitter_id, kIdMax);
  c.Text("contact_name", e.contact_name, kNameMax);
  c.Digits("contact_phone", e.contact_phone, 10, 10);
  c.Text("receiver_name", e.receiver_name, kNameMax);
  c.That(e.created.year() >= 1000 && e.created.year() <= 9999, "created", "is not a 4-digit year");
  if (!c.status().ok()) return c.status();
  Checker p("billing provider: ");
  p.Text("organization_name", b.organization_name, kNameMax);
  p.Digits("npi", b.npi, 10, 10);
  p.Digits("tax_id", b.tax_id, 9, 9);
  p.Text("taxonomy", b.taxonomy, 10, false);
  p.Address("address", b.address);
  return p.status();
}

void CheckLine(Checker& c, const ServiceLine837& l, size_t n, size_t diagnoses) {
  const std::string f = absl::StrCat("lines[", n, "].");
  c.Alnum(f + "procedure_qualifier", l.procedure_qualifier, 2, 2);
  c.Alnum(f + "procedure_code", l.procedure_code, 5, 5);
  c.That(l.modifiers.size() <= 4, f + "modifiers", "has more than 4");
  for (const std::string& m : l.modifiers) c.Alnum(f + "modifiers", m, 2, 2);
  c.That(l.charge_cents >= 0 && l.charge_cents <= kAmountCentsMax, f + "charge_cents",
         "is out of range");
  c.That(l.units_milli > 0 && l.units_milli <= kQuantityMilliMax, f + "units_milli",
         "is not positive");
  c.That(!l.diagnosis_pointers.empty() && l.diagnosis_pointers.size() <= kDiagnosisPointersMax,
         f + "diagnosis_pointers", "is not 1 to 4 pointers");
  for (int p : l.diagnosis_pointers) {
    c.That(p >= 1 && static_cast<size_t>(p) <= diagnoses, f + "diagnosis_pointers",
           "points at no diagnosis");
  }
  c.Text(f + "line_id", l.line_id, 50, false);
}

absl::Status CheckClaim(const Claim837& claim, size_t index) {
  Checker c(absl::StrCat("claim ", index, ": "));
  c.Text("claim_id", claim.claim_id, kClaimIdMax);
  c.Digits("place_of_service", claim.place_of_service, 2, 2);
  c.That(claim.frequency == '1' || claim.frequency == '7' || claim.frequency == '8', "frequency",
         "is not 1 (original), 7 (replacement) or 8 (void)");
  c.Text("original_claim_number", claim.original_claim_number, 50, claim.frequency != '1');
  c.That(!claim.diagnoses.empty() && claim.diagnoses.size() <= kDiagnosesMax, "diagnoses",
         "is not 1 to 12 codes");
  for (const std::string& d : claim.diagnoses) c.Alnum("diagnoses", IcdCode(d), 3, 7);
  c.Person("subscriber.person", claim.subscriber.person);
  c.Text("subscriber.member_id", claim.subscriber.member_id, kIdMax);
  c.Text("subscriber.group_number", claim.subscriber.group_number, 50, false);
  c.That(
      std::string_view("PST").find(claim.subscriber.payer_responsibility) != std::string_view::npos,
      "subscriber.payer_responsibility", "is not P, S or T");
  c.Alnum("subscriber.filing_indicator", claim.subscriber.filing_indicator, 1, 2);
  if (!claim.patient_is_subscriber) {
    c.Person("patient.person", claim.patient.person);
    c.Alnum("patient.relationship", claim.patient.relationship, 2, 2);
  }
  c.Text("payer.name", claim.payer.name, kNameMax);
  c.Text("payer.payer_id", claim.payer.payer_id, kIdMax);
  c.That(!claim.lines.empty() && claim.lines.size() <= kLinesMax, "lines", "is not 1 to 50 lines");
  int64_t sum = 0;
  for (size_t i = 0; i < claim.lines.size(); ++i) {
    CheckLine(c, claim.lines[i], i, claim.diagnoses.size());
    sum += claim.lines[i].charge_cents;
  }
  c.That(sum == claim.total_charge_cents, "total_charge_cents", "is not the sum of the lines");
  return c.status();
}

std::string Day(absl::CivilDay d) {
  return absl::StrFormat("%04d%02d%02d", d.year(), d.month(), d.day());
}

void WritePersonDetail(SegmentOut& out, const Person837& p) {
  out.Add({"N3", p.address.line1, p.address.line2});
  out.Add({"N4", p.address.city, p.address.state, p.address.postal_code});
  out.Add({"DMG", "D8", Day(p.birth_date), std::string(1, p.gender)});
}

void WriteLine(SegmentOut& out, const ServiceLine837& l, size_t number) {
  out.Add({"LX", absl::StrCat(number)});
  std::string procedure =
      absl::StrCat(l.procedure_qualifier, std::string(1, kComponent), l.procedure_code);
  for (const std::string& m : l.modifiers)
    absl::StrAppend(&procedure, std::string(1, kComponent), m);
  const std::string pointers = absl::StrJoin(l.diagnosis_pointers, std::string(1, kComponent));
  out.Add({"SV1", procedure, FormatCents(l.charge_cents), "UN", FormatMilli(l.units_milli), "", "",
           pointers});
  out.Add({"DTP", "472", "D8", Day(l.service_date)});
  if (!l.line_id.empty()) out.Add({"REF", "6R", l.line_id});
}

void WriteClaim(SegmentOut& out, const Claim837& claim, size_t* hl) {
  const Subscriber& s = claim.subscriber;
  const size_t subscriber_hl = ++*hl;
  out.Add({"HL", absl::StrCat(subscriber_hl), "1", "22", claim.patient_is_subscriber ? "0" : "1"});
  out.Add({"SBR", std::string(1, s.payer_responsibility), claim.patient_is_subscriber ? "18" : "",
           s.group_number, "", "", "", "", "", s.filing_indicator});
  out.Add({"NM1", "IL", "1", s.person.last_name, s.person.first_name, s.person.middle_name, "", "",
           "MI", s.member_id});
  if (claim.patient_is_subscriber) WritePersonDetail(out, s.person);
  out.Add({"NM1", "PR", "2", claim.payer.name, "", "", "", "", "PI", claim.payer.payer_id});
  if (!claim.patient_is_subscriber) {
    const Person837& p = claim.patient.person;
    out.Add({"HL", absl::StrCat(++*hl), absl::StrCat(subscriber_hl), "23", "0"});
    out.Add({"PAT", claim.patient.relationship});
    out.Add({"NM1", "QC", "1", p.last_name, p.first_name, p.middle_name});
    WritePersonDetail(out, p);
  }
  const std::string place =
      absl::StrCat(claim.place_of_service, std::string(1, kComponent), "B",
                   std::string(1, kComponent), std::string(1, claim.frequency));
  out.Add({"CLM", claim.claim_id, FormatCents(claim.total_charge_cents), "", "", place, "Y", "A",
           "Y", "Y"});
  if (claim.frequency != '1') out.Add({"REF", "F8", claim.original_claim_number});
  std::string hi = "HI";
  for (size_t i = 0; i < claim.diagnoses.size(); ++i) {
    absl::StrAppend(&hi, std::string(1, kElement), i == 0 ? "ABK" : "ABF",
                    std::string(1, kComponent), IcdCode(claim.diagnoses[i]));
  }
  out.Add({hi});
  for (size_t i = 0; i < claim.lines.size(); ++i) WriteLine(out, claim.lines[i], i + 1);
}

void WriteHeader(SegmentOut& out, const Envelope837& e, const BillingProvider& b) {
  const absl::CivilSecond& t = e.created;
  const std::string ccyymmdd = absl::StrFormat("%04d%02d%02d", t.year(), t.month(), t.day());
  const std::string hhmm = absl::StrFormat("%02d%02d", t.hour(), t.minute());
  out.Add({"ISA", "00", std::string(10, ' '), "00", std::string(10, ' '), e.sender_qualifier,
           absl::StrFormat("%-15s", e.sender_id), e.receiver_qualifier,
           absl::StrFormat("%-15s", e.receiver_id), ccyymmdd.substr(2), hhmm,
           std::string(1, kRepetition), "00501",
           absl::StrFormat("%09d", e.interchange_control_number), "0", e.production ? "P" : "T",
           std::string(1, kComponent)});
  out.Add({"GS", "HC", e.sender_id, e.receiver_id, ccyymmdd, hhmm,
           absl::StrCat(e.group_control_number), "X", kVersion837P});
  out.ResetCount();
  out.Add({"ST", "837", e.transaction_control_number, kVersion837P});
  out.Add({"BHT", "0019", "00", e.batch_reference, ccyymmdd, hhmm, "CH"});
  out.Add({"NM1", "41", "2", e.submitter_name, "", "", "", "", "46", e.submitter_id});
  out.Add({"PER", "IC", e.contact_name, "TE", e.contact_phone});
  out.Add({"NM1", "40", "2", e.receiver_name, "", "", "", "", "46", e.receiver_id});
  out.Add({"HL", "1", "", "20", "1"});
  if (!b.taxonomy.empty()) out.Add({"PRV", "BI", "PXC", b.taxonomy});
  out.Add({"NM1", "85", "2", b.organization_name, "", "", "", "", "XX", b.npi});
  out.Add({"N3", b.address.line1, b.address.line2});
  out.Add({"N4", b.address.city, b.address.state, b.address.postal_code});
  out.Add({"REF", "EI", b.tax_id});
}

}  // namespace

absl::Status CheckEnvelope837(const Envelope837& envelope, const BillingProvider& billing) {
  return CheckEnvelope(envelope, billing);
}

absl::StatusOr<std::string> WriteClaims837P(const Envelope837& envelope,
                                            const BillingProvider& billing,
                                            const std::vector<Claim837>& claims) {
  if (claims.empty() || claims.size() > kClaimsPerTransactionMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("an 837P holds 1 to ", kClaimsPerTransactionMax, " claims"));
  }
  if (auto st = CheckEnvelope(envelope, billing); !st.ok()) return st;
  for (size_t i = 0; i < claims.size(); ++i) {
    if (auto st = CheckClaim(claims[i], i); !st.ok()) return st;
  }
  SegmentOut out(envelope.line_break_after_segment);
  WriteHeader(out, envelope, billing);
  size_t hl = 1;
  for (const Claim837& claim : claims) WriteClaim(out, claim, &hl);
  out.Add({"SE", absl::StrCat(out.count() + 1), envelope.transaction_control_number});
  out.Add({"GE", "1", absl::StrCat(envelope.group_control_number)});
  out.Add({"IEA", "1", absl::StrFormat("%09d", envelope.interchange_control_number)});
  return out.Take();
}

}  // namespace rcl::x12
