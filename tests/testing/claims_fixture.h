// Header-only helpers for the claims-to-cash tests: builders of valid claim
// commands, a ledger in a scratch directory, decoding event payloads and their
// postings, per-claim balance snapshots, and the books check (trial balance
// zero; ar:payer:<P> and ar:patient:<X> agree with the claims' balances).
#ifndef RCL_TESTS_TESTING_CLAIMS_FIXTURE_H_
#define RCL_TESTS_TESTING_CLAIMS_FIXTURE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/postings.h"
#include "ledger/replay.h"
#include "ledger/rules/state.h"
#include "ledger/rules/validation.h"
#include "ledger/status.h"
#include "ledger/storage/codec.h"
#include "ledger/storage/event_store.h"
#include "rcl/v1/events.pb.h"
#include "tests/testing/ledger_fixture.h"

namespace rcl::ledger::claims_testing {

inline constexpr char kTenant[] = "clinic-claims";
using ::rcl::ledger::testing::kBillingNpi;
using ::rcl::ledger::testing::kRenderingNpi;

using rcl::v1::Command;
// Account -> summed amount (debit > 0, credit < 0). Zero sums are dropped.
using Postings = std::map<std::string, int64_t>;

// Today and tomorrow (UTC), as the ledger's validation sees them.
inline std::string TodayPlus(int days) {
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  return FormatCivilDate(today + days);
}

// --- Command builders (valid as built) ----------------------------------------
// The patient and encounter ones are tests/testing/ledger_fixture.h's, under
// the shorter names the claims tests use.

inline Command RegisterPatient(const std::string& patient_id) {
  return ledger::testing::RegisterPatientCommand(patient_id);
}

inline Command AddCoverage(const std::string& patient_id, const std::string& coverage_id,
                           const std::string& payer_id, int rank,
                           const std::string& effective_from = "2024-01-01",
                           const std::string& effective_to = "") {
  Command c;
  auto* a = c.mutable_add_coverage();
  a->set_patient_id(patient_id);
  a->set_coverage_id(coverage_id);
  a->set_payer_id(payer_id);
  a->set_payer_name(absl::StrCat("Payer ", payer_id));
  a->set_member_id("W123456789");
  a->set_rank(rank);
  a->set_effective_from(effective_from);
  a->set_effective_to(effective_to);
  return c;
}

inline Command EndCoverage(const std::string& patient_id, const std::string& coverage_id,
                           const std::string& effective_to) {
  return ledger::testing::EndCoverageCommand(patient_id, coverage_id, effective_to);
}

inline Command OpenEncounter(const std::string& encounter_id, const std::string& patient_id,
                             const std::string& date_of_service = "2024-03-15") {
  return ledger::testing::OpenEncounterCommand(encounter_id, patient_id, date_of_service);
}

inline Command RecordDiagnoses(const std::string& encounter_id,
                               const std::vector<std::string>& codes) {
  return ledger::testing::RecordDiagnosesCommand(encounter_id, codes);
}

// Note the order: the CPT code comes before the diagnosis pointers here.
inline Command RecordCharge(const std::string& encounter_id, int line_number, int64_t amount_cents,
                            const std::string& cpt, const std::vector<int>& pointers = {1}) {
  return ledger::testing::RecordChargeCommand(encounter_id, line_number, amount_cents, pointers,
                                              cpt);
}

inline Command CompleteCoding(const std::string& encounter_id) {
  return ledger::testing::CompleteCodingCommand(encounter_id);
}

inline Command CreateClaim(const std::string& claim_id, const std::string& encounter_id,
                           const std::string& coverage_id) {
  Command c;
  auto* x = c.mutable_create_claim();
  x->set_claim_id(claim_id);
  x->set_encounter_id(encounter_id);
  x->set_coverage_id(coverage_id);
  return c;
}

inline Command ScrubClaim(const std::string& claim_id) {
  Command c;
  c.mutable_scrub_claim()->set_claim_id(claim_id);
  return c;
}

inline Command SubmitClaim(const std::string& claim_id, const std::string& batch_id = "") {
  Command c;
  c.mutable_submit_claim()->set_claim_id(claim_id);
  c.mutable_submit_claim()->set_batch_id(batch_id);
  return c;
}

inline Command AcknowledgeClaim(const std::string& claim_id, bool accepted,
                                const std::string& reason = "") {
  Command c;
  auto* a = c.mutable_acknowledge_claim();
  a->set_claim_id(claim_id);
  a->set_accepted(accepted);
  a->set_reason(reason);
  return c;
}

inline Command ReplaceClaim(const std::string& claim_id, const std::string& original_claim_id,
                            const std::string& payer_claim_number = "PCN1") {
  Command c;
  auto* r = c.mutable_replace_claim();
  r->set_claim_id(claim_id);
  r->set_original_claim_id(original_claim_id);
  r->set_payer_claim_number(payer_claim_number);
  return c;
}

inline Command VoidClaim(const std::string& claim_id, const std::string& original_claim_id,
                         const std::string& payer_claim_number = "PCN1") {
  Command c;
  auto* v = c.mutable_void_claim();
  v->set_claim_id(claim_id);
  v->set_original_claim_id(original_claim_id);
  v->set_payer_claim_number(payer_claim_number);
  return c;
}

inline Command RecordRemittance(const std::string& remit_id, const std::string& payer_id,
                                const std::string& trace_number, int64_t total_cents,
                                const std::string& paid_date = "2024-04-01",
                                rcl::v1::PaymentMethod method = rcl::v1::PAYMENT_METHOD_CHK) {
  Command c;
  auto* r = c.mutable_record_remittance();
  r->set_remit_id(remit_id);
  r->set_payer_id(payer_id);
  r->set_trace_number(trace_number);
  r->set_method(method);
  r->set_total_cents(total_cents);
  r->set_paid_date(paid_date);
  return c;
}

inline rcl::v1::Adjustment Adj(rcl::v1::AdjustmentGroup group, const std::string& reason,
                               int64_t amount_cents) {
  rcl::v1::Adjustment a;
  a.set_group(group);
  a.set_reason_code(reason);
  a.set_amount_cents(amount_cents);
  return a;
}
inline rcl::v1::Adjustment Co(const std::string& reason, int64_t cents) {
  return Adj(rcl::v1::ADJUSTMENT_GROUP_CO, reason, cents);
}
inline rcl::v1::Adjustment Pr(const std::string& reason, int64_t cents) {
  return Adj(rcl::v1::ADJUSTMENT_GROUP_PR, reason, cents);
}
inline rcl::v1::Adjustment Oa(const std::string& reason, int64_t cents) {
  return Adj(rcl::v1::ADJUSTMENT_GROUP_OA, reason, cents);
}

inline rcl::v1::LineAdjudication Line(int line_number, int64_t paid_cents,
                                      const std::vector<rcl::v1::Adjustment>& adjustments = {},
                                      int64_t allowed_cents = -1) {
  rcl::v1::LineAdjudication l;
  l.set_line_number(line_number);
  l.set_paid_cents(paid_cents);
  int64_t pr = 0;
  for (const auto& a : adjustments) {
    *l.add_adjustments() = a;
    if (a.group() == rcl::v1::ADJUSTMENT_GROUP_PR) pr += a.amount_cents();
  }
  l.set_allowed_cents(allowed_cents >= 0 ? allowed_cents : paid_cents + pr);
  return l;
}

inline Command AdjudicateClaim(
    const std::string& claim_id, const std::string& remit_id,
    const std::vector<rcl::v1::LineAdjudication>& lines,
    rcl::v1::ClaimPaymentStatus status = rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY,
    const std::string& payer_claim_number = "PCN1",
    const std::vector<rcl::v1::Adjustment>& claim_adjustments = {}) {
  Command c;
  auto* a = c.mutable_adjudicate_claim();
  a->set_claim_id(claim_id);
  a->set_remit_id(remit_id);
  a->set_payer_claim_number(payer_claim_number);
  a->set_status(status);
  for (const auto& l : lines) *a->add_lines() = l;
  for (const auto& adj : claim_adjustments) *a->add_claim_adjustments() = adj;
  return c;
}

inline Command ReverseAdjudication(const std::string& claim_id, const std::string& remit_id) {
  Command c;
  c.mutable_reverse_adjudication()->set_claim_id(claim_id);
  c.mutable_reverse_adjudication()->set_remit_id(remit_id);
  return c;
}

inline Command ProviderAdjustment(const std::string& remit_id, const std::string& reason_code,
                                  int64_t amount_cents, const std::string& reference = "") {
  Command c;
  auto* p = c.mutable_record_provider_adjustment();
  p->set_remit_id(remit_id);
  p->set_reason_code(reason_code);
  p->set_amount_cents(amount_cents);
  p->set_reference(reference);
  return c;
}

inline Command AdjustClaim(const std::string& claim_id, rcl::v1::AdjustmentGroup group,
                           const std::string& reason, int64_t amount_cents,
                           const std::string& note = "") {
  Command c;
  auto* a = c.mutable_adjust_claim();
  a->set_claim_id(claim_id);
  a->set_group(group);
  a->set_reason_code(reason);
  a->set_amount_cents(amount_cents);
  a->set_note(note);
  return c;
}

inline Command WriteOffClaim(const std::string& claim_id, rcl::v1::WriteOffReason reason,
                             int64_t amount_cents,
                             rcl::v1::BalanceSide side = rcl::v1::BALANCE_SIDE_UNSPECIFIED) {
  Command c;
  auto* w = c.mutable_write_off_claim();
  w->set_claim_id(claim_id);
  w->set_reason(reason);
  w->set_amount_cents(amount_cents);
  w->set_side(side);
  return c;
}

inline Command FileAppeal(const std::string& appeal_id, const std::string& claim_id, int level = 1,
                          const std::string& filed_date = "2024-04-10",
                          const std::string& deadline = "") {
  Command c;
  auto* f = c.mutable_file_appeal();
  f->set_appeal_id(appeal_id);
  f->set_claim_id(claim_id);
  f->set_level(level);
  f->set_reason("medically necessary; records attached");
  f->set_filed_date(filed_date);
  f->set_deadline(deadline);
  return c;
}

inline Command DecideAppeal(const std::string& appeal_id, rcl::v1::AppealOutcome outcome,
                            const std::string& decided_date = "2024-05-01") {
  Command c;
  auto* d = c.mutable_decide_appeal();
  d->set_appeal_id(appeal_id);
  d->set_outcome(outcome);
  d->set_decided_date(decided_date);
  return c;
}

inline Command ReceivePatientPayment(const std::string& patient_id, const std::string& payment_id,
                                     int64_t amount_cents,
                                     const std::vector<std::string>& claim_ids = {},
                                     const std::string& received_date = "2024-05-10") {
  Command c;
  auto* p = c.mutable_receive_patient_payment();
  p->set_patient_id(patient_id);
  p->set_payment_id(payment_id);
  p->set_amount_cents(amount_cents);
  p->set_method("card");
  for (const auto& id : claim_ids) p->add_claim_ids(id);
  p->set_received_date(received_date);
  return c;
}

inline Command IssuePatientStatement(const std::string& patient_id,
                                     const std::string& statement_date = "2024-05-01") {
  Command c;
  auto* s = c.mutable_issue_patient_statement();
  s->set_patient_id(patient_id);
  s->set_statement_date(statement_date);
  return c;
}

inline Command RefundPatient(const std::string& patient_id, int64_t amount_cents,
                             const std::string& refund_id = "") {
  Command c;
  auto* r = c.mutable_refund_patient();
  r->set_patient_id(patient_id);
  r->set_amount_cents(amount_cents);
  r->set_refund_id(refund_id);
  return c;
}

// --- Events ------------------------------------------------------------------------

// The payload of `e` decoded as the rcl.v1 message its type names.
inline absl::StatusOr<std::unique_ptr<google::protobuf::Message>> DecodePayload(
    const EventRecord& e) {
  const google::protobuf::Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          absl::StrCat("rcl.v1.", e.type));
  if (d == nullptr) return absl::DataLossError(absl::StrCat("unknown event type ", e.type));
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d);
  if (prototype == nullptr) return absl::DataLossError(absl::StrCat("no prototype for ", e.type));
  std::unique_ptr<google::protobuf::Message> m(prototype->New());
  if (!m->ParseFromString(e.payload))
    return absl::DataLossError(absl::StrCat("undecodable ", e.type));
  return m;
}

template <typename T>
T PayloadOf(const EventRecord& e) {
  T message;
  EXPECT_EQ(e.type, T::descriptor()->name());
  EXPECT_TRUE(message.ParseFromString(e.payload)) << "undecodable " << e.type;
  return message;
}

inline std::vector<rcl::v1::Posting> EventPostings(const EventRecord& e) {
  auto m = DecodePayload(e);
  if (!m.ok()) {
    ADD_FAILURE() << m.status();
    return {};
  }
  return ExtractPostings(**m);
}

inline void AddTo(Postings* sums, const std::vector<rcl::v1::Posting>& postings) {
  for (const auto& p : postings) {
    int64_t& v = (*sums)[p.account()];
    v += p.amount_cents();
    if (v == 0) sums->erase(p.account());
  }
}

inline int64_t Total(const Postings& sums) {
  int64_t t = 0;
  for (const auto& [account, amount] : sums) t += amount;
  return t;
}

// --- Balances ------------------------------------------------------------------------

// Every amount of a claim a test asserts, plus its status.
// What no real-world sequence can do to one claim: relief and payments
// below zero, patient money stranded on a claim that owes nothing (it must
// be on the account, refundable), balance left behind on a replaced claim.
inline std::vector<std::string> CheckClaimInvariants(const ClaimState& c) {
  std::vector<std::string> problems;
  auto problem = [&](const std::string& what) {
    problems.push_back(absl::StrCat("claim ", c.claim_id, ": ", what));
  };
  if (c.payer_written_off_cents < 0)
    problem(absl::StrCat("payer written off ", c.payer_written_off_cents));
  if (c.patient_written_off_cents < 0)
    problem(absl::StrCat("patient written off ", c.patient_written_off_cents));
  for (const auto& [key, amount] : c.write_offs) {
    if (amount <= 0)
      problem(absl::StrCat("write-off (", key.first, ",", key.second, ") of ", amount));
  }
  if (c.patient_paid_cents < 0) problem(absl::StrCat("patient paid ", c.patient_paid_cents));
  if (c.PatientBalance() < 0 && c.patient_paid_cents > 0) {
    problem(absl::StrCat("patient credit ", -c.PatientBalance(), " stranded on the claim (paid ",
                         c.patient_paid_cents, ")"));
  }
  if (c.PatientBalance() < 0 && c.patient_written_off_cents > 0) {
    problem(absl::StrCat("patient write-off ", c.patient_written_off_cents,
                         " outlived a balance of ", c.PatientBalance()));
  }
  if (c.PayerBalance() < 0 && c.payer_written_off_cents > 0) {
    problem(absl::StrCat("payer write-off ", c.payer_written_off_cents, " outlived a balance of ",
                         c.PayerBalance()));
  }
  if (c.status == ClaimStatus::kReplaced && c.PayerBalance() != 0) {
    problem(absl::StrCat("replaced but holds payer balance ", c.PayerBalance()));
  }
  if (c.opening_balance_cents + c.transferred_in_cents > c.charge_cents) {
    problem(absl::StrCat("billed ", c.opening_balance_cents + c.transferred_in_cents,
                         " above its charge ", c.charge_cents));
  }
  return problems;
}

struct Balances {
  std::string status;
  int64_t payer_paid = 0;
  int64_t contractual = 0;
  int64_t other_adjustment = 0;
  int64_t patient_responsibility = 0;
  int64_t transferred_in = 0;
  int64_t transferred_out = 0;
  int64_t denied = 0;
  int64_t patient_paid = 0;
  int64_t payer_written_off = 0;
  int64_t patient_written_off = 0;
  int64_t moved_out = 0;
  int64_t payer_balance = 0;
  int64_t patient_balance = 0;
  bool operator==(const Balances&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Balances& b) {
  return os << "{status=" << b.status << " payer_paid=" << b.payer_paid
            << " contractual=" << b.contractual << " other_adjustment=" << b.other_adjustment
            << " patient_responsibility=" << b.patient_responsibility
            << " transferred_in=" << b.transferred_in << " transferred_out=" << b.transferred_out
            << " denied=" << b.denied << " patient_paid=" << b.patient_paid
            << " payer_written_off=" << b.payer_written_off
            << " patient_written_off=" << b.patient_written_off << " moved_out=" << b.moved_out
            << " payer_balance=" << b.payer_balance << " patient_balance=" << b.patient_balance
            << "}";
}

inline Balances BalancesOf(const ClaimState& c) {
  Balances b;
  b.status = std::string(ClaimStatusName(c.status));
  b.payer_paid = c.payer_paid_cents;
  b.contractual = c.contractual_cents;
  b.other_adjustment = c.other_adjustment_cents;
  b.patient_responsibility = c.patient_responsibility_cents;
  b.transferred_in = c.transferred_in_cents;
  b.transferred_out = c.transferred_out_cents;
  b.denied = c.denied_cents;
  b.patient_paid = c.patient_paid_cents;
  b.payer_written_off = c.payer_written_off_cents;
  b.patient_written_off = c.patient_written_off_cents;
  b.moved_out = c.moved_out_cents;
  b.payer_balance = c.PayerBalance();
  b.patient_balance = c.PatientBalance();
  return b;
}

// --- The ledger under test ---------------------------------------------------------

class ClaimsLedger {
 public:
  explicit ClaimsLedger(bool sync_writes = false) : sync_writes_(sync_writes) { Open(); }

  Ledger& ledger() { return *ledger_; }
  const EventStore& store() const { return ledger_->store(); }
  const std::string& dir() const { return dir_.path(); }

  absl::StatusOr<CommandResult> Run(const Command& command, const std::string& command_id = "") {
    CommandRequest r;
    r.tenant = kTenant;
    r.command_id = command_id;
    r.actor = "biller@example.test";
    r.command = command;
    return ledger_->Execute(std::move(r));
  }

  // Runs every command, failing the test on the first error.
  void RunAll(const std::vector<Command>& commands) {
    for (const Command& c : commands) {
      auto r = Run(c);
      if (!r.ok()) {
        ADD_FAILURE() << "setup command failed: " << r.status() << "\n" << c.DebugString();
        return;
      }
    }
  }

  uint64_t head() const { return ledger_->head().position; }

  // Every event with position > `after`, in order.
  std::vector<EventRecord> EventsAfter(uint64_t after) const {
    std::vector<EventRecord> out;
    absl::Status s = store().ScanLog(after + 1, UINT64_MAX, SIZE_MAX, [&](const EventRecord& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  absl::StatusOr<StreamState> Stream(const std::string& stream, uint64_t as_of = 0) const {
    return LoadStreamState(store(), kTenant, stream, as_of);
  }

  template <typename T>
  T Aggregate(const std::string& stream, uint64_t as_of) const {
    auto s = Stream(stream, as_of);
    if (!s.ok()) {
      ADD_FAILURE() << stream << ": " << s.status();
      return T{};
    }
    const T* t = std::get_if<T>(&s->aggregate);
    if (t == nullptr) {
      ADD_FAILURE() << stream << " does not hold the expected aggregate";
      return T{};
    }
    return *t;
  }

  ClaimState Claim(const std::string& id, uint64_t as_of = 0) const {
    return Aggregate<ClaimState>(ClaimStream(id), as_of);
  }
  PatientState Patient(const std::string& id, uint64_t as_of = 0) const {
    return Aggregate<PatientState>(PatientStream(id), as_of);
  }
  RemittanceState Remit(const std::string& id, uint64_t as_of = 0) const {
    return Aggregate<RemittanceState>(RemitStream(id), as_of);
  }
  Balances ClaimBalances(const std::string& id, uint64_t as_of = 0) const {
    return BalancesOf(Claim(id, as_of));
  }

  // Stops the ledger and opens it again on the same directory.
  void Reopen() {
    ledger_.reset();
    Open();
  }

  // The books check over the whole log. Returns the problems found (empty
  // when the books are right): an unbalanced event, a non-zero trial
  // balance, or an ar:payer:<P> / ar:patient:<X> account that disagrees with
  // the claims' balances (sum of PayerBalance() over P's claims; sum of
  // PatientBalance() over X's claims minus X's credit).
  std::vector<std::string> CheckBooks(Postings* accounts_out = nullptr) const {
    std::vector<std::string> problems;
    Postings accounts;
    std::set<std::string> claim_streams;
    std::set<std::string> patient_streams;
    std::set<std::string> encounter_streams;
    for (const EventRecord& e : EventsAfter(0)) {
      auto m = DecodePayload(e);
      if (!m.ok()) {
        problems.push_back(absl::StrCat("position ", e.position, ": ", m.status().ToString()));
        continue;
      }
      std::vector<rcl::v1::Posting> postings = ExtractPostings(**m);
      if (absl::Status b = CheckBalanced(postings); !b.ok()) {
        problems.push_back(absl::StrCat("position ", e.position, " ", e.type, ": ", b.ToString()));
      }
      AddTo(&accounts, postings);
      if (e.stream.rfind("claim-", 0) == 0) claim_streams.insert(e.stream);
      if (e.stream.rfind("patient-", 0) == 0) patient_streams.insert(e.stream);
      if (e.stream.rfind("encounter-", 0) == 0) encounter_streams.insert(e.stream);
    }
    if (int64_t t = Total(accounts); t != 0)
      problems.push_back(absl::StrCat("trial balance is ", t, ", not 0"));
    Postings expected;  // what the claims, patients and encounters say the AR accounts hold
    std::map<std::string, int64_t> payer_side_by_encounter;  // payer AR + payer cash + payer relief
    for (const std::string& stream : claim_streams) {
      auto s = Stream(stream);
      const ClaimState* c = s.ok() ? std::get_if<ClaimState>(&s->aggregate) : nullptr;
      if (c == nullptr) {
        problems.push_back(absl::StrCat(stream, " does not load as a claim"));
        continue;
      }
      expected[absl::StrCat("ar:payer:", c->payer_id)] += c->PayerBalance();
      expected[absl::StrCat("ar:patient:", c->patient_id)] += c->PatientBalance();
      payer_side_by_encounter[c->encounter_id] += c->PayerBalance() + c->payer_paid_cents +
                                                  c->contractual_cents + c->other_adjustment_cents +
                                                  c->payer_written_off_cents;
      for (const std::string& p : CheckClaimInvariants(*c)) problems.push_back(p);
    }
    for (const std::string& stream : encounter_streams) {
      auto s = Stream(stream);
      const EncounterState* enc = s.ok() ? std::get_if<EncounterState>(&s->aggregate) : nullptr;
      if (enc == nullptr) {
        problems.push_back(absl::StrCat(stream, " does not load as an encounter"));
        continue;
      }
      expected["ar:unbilled"] += enc->unbilled_cents;
      int64_t charges = 0;
      for (const auto& [n, line] : enc->lines) charges += line.voided ? 0 : line.amount_cents;
      if (enc->unbilled_cents < 0 || enc->unbilled_cents > charges) {
        problems.push_back(
            absl::StrCat(stream, ": unbilled ", enc->unbilled_cents, " outside 0..", charges));
      }
      // No real-world sequence bills a payer (AR + cash + relief) for more
      // than was charged and not billed to the patient.
      int64_t payer_side = payer_side_by_encounter[enc->encounter_id];
      if (payer_side > charges - enc->unbilled_cents) {
        problems.push_back(absl::StrCat(stream, ": payers' AR + cash + relief ", payer_side,
                                        " above billed charges ", charges - enc->unbilled_cents));
      }
    }
    for (const std::string& stream : patient_streams) {
      auto s = Stream(stream);
      const PatientState* p = s.ok() ? std::get_if<PatientState>(&s->aggregate) : nullptr;
      if (p == nullptr) {
        problems.push_back(absl::StrCat(stream, " does not load as a patient"));
        continue;
      }
      expected[absl::StrCat("ar:patient:", p->patient_id)] -= p->credit_cents;
      if (p->credit_cents < 0)
        problems.push_back(absl::StrCat(stream, ": negative credit ", p->credit_cents));
    }
    std::set<std::string> ar_accounts;
    for (const auto& [account, amount] : accounts) {
      if (account.rfind("ar:payer:", 0) == 0 || account.rfind("ar:patient:", 0) == 0 ||
          account == "ar:unbilled") {
        ar_accounts.insert(account);
      }
    }
    for (const auto& [account, amount] : expected) ar_accounts.insert(account);
    for (const std::string& account : ar_accounts) {
      int64_t posted = accounts.contains(account) ? accounts.at(account) : 0;
      int64_t claimed = expected.contains(account) ? expected.at(account) : 0;
      if (posted != claimed) {
        problems.push_back(absl::StrCat(account, ": postings sum to ", posted,
                                        " but the claims' balances say ", claimed));
      }
    }
    if (accounts_out != nullptr) *accounts_out = std::move(accounts);
    return problems;
  }

 private:
  void Open() {
    ledger_ =
        ledger::testing::OpenLedgerOrDie(ledger::testing::LedgerOptions(dir_.path(), sync_writes_));
  }

  bool sync_writes_;
  ledger::testing::ScratchDir dir_{"rcl-claims-test"};
  std::unique_ptr<Ledger> ledger_;
};

inline std::string JoinProblems(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) absl::StrAppend(&out, "\n  ", p);
  return out;
}

}  // namespace rcl::ledger::claims_testing

#endif  // RCL_TESTS_TESTING_CLAIMS_FIXTURE_H_
