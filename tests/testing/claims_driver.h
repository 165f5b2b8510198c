// A seeded driver of random, mostly valid claims-to-cash command sequences
// over a few patients, coverages, encounters and claims (see
// tests/ledger/claims_property_test.cc for what it reaches), shared by the
// property tests of the books and of the projections.
#ifndef RCL_TESTS_TESTING_CLAIMS_DRIVER_H_
#define RCL_TESTS_TESTING_CLAIMS_DRIVER_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/claims_fixture.h"

namespace rcl::ledger::claims_testing {

constexpr int kBooksCheckEvery = 20;
const char* const kCpts[] = {"99213", "85025", "80053", "93000", "36415", "99214"};

// Drives one ledger with random commands.
class Driver {
 public:
  Driver(uint64_t seed, ClaimsLedger* books) : rng_(seed), books_(books) {}

  // Runs until `commands` commands were executed or something went wrong.
  void Run(int commands) {
    Setup();
    while (executed_ < commands && !broken_) {
      Step();
      if (executed_ / kBooksCheckEvery != checked_) {
        checked_ = executed_ / kBooksCheckEvery;
        std::vector<std::string> problems = books_->CheckBooks();
        if (!problems.empty()) {
          ADD_FAILURE() << "books wrong after " << executed_ << " commands (last: " << last_ << ")"
                        << JoinProblems(problems);
          broken_ = true;
        }
      }
    }
  }

  const std::vector<std::string>& claims() const { return claims_; }
  const std::vector<std::string>& patients() const { return patients_; }
  bool broken() const { return broken_; }
  std::string Stats() const {
    std::string out;
    for (const auto& [kind, outcomes] : stats_) {
      absl::StrAppend(&out, "\n  ", kind, ":");
      for (const auto& [outcome, n] : outcomes) absl::StrAppend(&out, " ", outcome, "=", n);
    }
    return out;
  }
  int Succeeded(const std::string& kind) const {
    auto it = stats_.find(kind);
    if (it == stats_.end()) return 0;
    auto ok = it->second.find("OK");
    return ok == it->second.end() ? 0 : ok->second;
  }

  // Executes `command`; only FAILED_PRECONDITION may refuse it.
  bool Exec(const Command& command, const std::string& kind) {
    ++executed_;
    last_ = kind;
    uint64_t before = books_->head();
    absl::StatusOr<CommandResult> r = books_->Run(command);
    ++stats_[kind][r.ok() ? "OK" : absl::StatusCodeToString(r.status().code())];
    if (!r.ok()) {
      if (r.status().code() != absl::StatusCode::kFailedPrecondition) {
        ADD_FAILURE() << kind << " failed with " << r.status() << "\n" << command.DebugString();
        broken_ = true;
      } else if (books_->head() != before) {
        ADD_FAILURE() << kind << " was refused but wrote events: " << r.status();
        broken_ = true;
      }
      return false;
    }
    Track(before);
    return true;
  }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return Uniform(1, 100) <= percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(0, static_cast<int64_t>(v.size()) - 1))];
  }
  std::string Date(int month_lo, int month_hi) {
    return absl::StrCat("2024-0", Uniform(month_lo, month_hi), "-", Uniform(10, 28));
  }

  // Learns the ids of what the last command created, and refreshes the
  // claims it touched.
  void Track(uint64_t after) {
    std::set<std::string> touched;
    for (const EventRecord& e : books_->EventsAfter(after)) {
      // Every account names its payer or patient.
      if (auto m = DecodePayload(e); m.ok()) {
        for (const rcl::v1::Posting& p : ExtractPostings(**m)) {
          if (p.account().empty() || p.account().back() == ':') {
            ADD_FAILURE() << "after " << executed_ << " commands: " << e.type << " at "
                          << e.position << " posts to account '" << p.account()
                          << "': " << (*m)->ShortDebugString()
                          << History(e.stream.substr(e.stream.find('-') + 1));
            broken_ = true;
          }
        }
      }
      if (e.stream.rfind("claim-", 0) == 0) touched.insert(e.stream.substr(6));
      if (e.type == "ClaimCreated") {
        claims_.push_back(PayloadOf<rcl::v1::ClaimCreated>(e).claim_id());
      } else if (e.type == "RemittanceRecorded") {
        auto r = PayloadOf<rcl::v1::RemittanceRecorded>(e);
        remits_[r.payer_id()].push_back(r.remit_id());
        all_remits_.push_back(r.remit_id());
      } else if (e.type == "AppealFiled" && e.stream.rfind("appeal-", 0) == 0) {
        appeals_.push_back(PayloadOf<rcl::v1::AppealFiled>(e).appeal_id());
        open_appeals_.push_back(appeals_.back());
      } else if (e.type == "AppealDecided" && e.stream.rfind("appeal-", 0) == 0) {
        std::string decided = PayloadOf<rcl::v1::AppealDecided>(e).appeal_id();
        open_appeals_.erase(std::remove(open_appeals_.begin(), open_appeals_.end(), decided),
                            open_appeals_.end());
      }
    }
    for (const std::string& id : touched) {
      claim_states_[id] = books_->Claim(id);
      for (const std::string& p : CheckClaimInvariants(claim_states_[id])) {
        ADD_FAILURE() << "after " << executed_ << " commands (last: " << last_ << "): " << p
                      << History(id) << History(claim_states_[id].original_claim_id);
        broken_ = true;
      }
    }
  }

  // The claim's events, for a failure message.
  std::string History(const std::string& claim_id) const {
    std::string out;
    for (const EventRecord& e : books_->EventsAfter(0)) {
      if (e.stream != ClaimStream(claim_id)) continue;
      auto m = DecodePayload(e);
      absl::StrAppend(&out, "\n  ", e.position, " ", e.type, " [", e.command_id, "] ",
                      m.ok() ? (*m)->ShortDebugString() : "?");
    }
    return out;
  }

  void Setup() {
    const std::vector<std::string> payers = {"PAY1", "PAY2"};
    for (int i = 0; i < 3; ++i) {
      std::string patient = absl::StrCat("PT", i);
      patients_.push_back(patient);
      Exec(RegisterPatient(patient), "RegisterPatient");
      std::string primary = absl::StrCat("CV", i, "-1");
      Exec(AddCoverage(patient, primary, Pick(payers), 1), "AddCoverage");
      coverages_[patient].push_back(primary);
      if (i < 2) {  // PT0 and PT1 have a secondary; PT0 also a tertiary
        std::string secondary = absl::StrCat("CV", i, "-2");
        Exec(AddCoverage(patient, secondary, "PAY3", 2), "AddCoverage");
        coverages_[patient].push_back(secondary);
      }
      if (i == 0) {
        Exec(AddCoverage(patient, "CV0-3", "PAY2", 3), "AddCoverage");
        coverages_[patient].push_back("CV0-3");
      }
    }
    for (int i = 0; i < 4; ++i) NewEncounter();
    for (const char* payer : {"PAY1", "PAY2", "PAY3"}) NewRemittance(payer);
  }

  void NewEncounter() {
    std::string id = absl::StrCat("EN", ++encounter_seq_);
    const std::string& patient = Pick(patients_);
    Exec(OpenEncounter(id, patient, Date(1, 6)), "OpenEncounter");
    Exec(RecordDiagnoses(id, {"E11.9", "I10"}), "RecordDiagnoses");
    int lines = static_cast<int>(Uniform(1, 3));
    size_t first = static_cast<size_t>(Uniform(0, 5));
    for (int n = 1; n <= lines; ++n) {
      Exec(RecordCharge(id, n, Uniform(1, 400) * 100 + Uniform(0, 99), kCpts[(first + n) % 6],
                        {static_cast<int>(Uniform(1, 2))}),
           "RecordCharge");
    }
    if (lines > 1 && Chance(15)) {
      Command v;
      v.mutable_void_charge()->set_encounter_id(id);
      v.mutable_void_charge()->set_line_number(lines);
      v.mutable_void_charge()->set_reason("entered in error");
      Exec(v, "VoidCharge");
    }
    if (Chance(92)) Exec(CompleteCoding(id), "CompleteCoding");
    encounters_.push_back({id, patient});
  }

  void NewRemittance(const std::string& payer) {
    std::string id = absl::StrCat("RM", ++remit_seq_);
    std::string trace = absl::StrCat("TR", remit_seq_);
    if (Chance(5) && remit_seq_ > 1)
      trace = absl::StrCat("TR", Uniform(1, remit_seq_ - 1));  // a duplicate
    Exec(RecordRemittance(id, payer, trace, Uniform(0, 500000), Date(4, 9)), "RecordRemittance");
  }

  // A remittance of the claim's payer (usually), else any.
  std::string RemitFor(const ClaimState& claim) {
    auto it = remits_.find(claim.payer_id);
    if (it == remits_.end() || it->second.empty() || Chance(4)) return Pick(all_remits_);
    return Pick(it->second);
  }

  // A claim, usually one in the given states.
  std::string PickClaim(const std::set<std::string>& preferred_statuses, ClaimState* state) {
    return PickClaimWhere(
        [&](const ClaimState& c) {
          return preferred_statuses.contains(std::string(ClaimStatusName(c.status)));
        },
        state);
  }
  template <typename Predicate>
  std::string PickClaimWhere(Predicate preferred, ClaimState* state) {
    std::vector<std::string> candidates;
    for (const auto& [id, c] : claim_states_) {
      if (preferred(c)) candidates.push_back(id);
    }
    const std::string& id = !candidates.empty() && Chance(90) ? Pick(candidates) : Pick(claims_);
    *state = claim_states_[id];
    return id;
  }

  // A line that balances (charge - paid = its adjustments) unless `mode`
  // picks one of the unbalanced shapes the ledger must refuse. `share` is
  // what this payer was billed for the line (the charge for a primary); the
  // rest is the prior payers' share, reported as CO-23 as payers do.
  rcl::v1::LineAdjudication RandomLine(int number, int64_t charge, int64_t share) {
    std::vector<rcl::v1::Adjustment> prior;
    if (share < charge) prior.push_back(Co("23", charge - share));
    auto with_prior = [&](int64_t paid, std::vector<rcl::v1::Adjustment> adjs,
                          int64_t allowed = -1) {
      adjs.insert(adjs.begin(), prior.begin(), prior.end());
      std::erase_if(adjs, [](const rcl::v1::Adjustment& a) { return a.amount_cents() == 0; });
      return Line(number, paid, adjs, allowed);
    };
    int mode = static_cast<int>(Uniform(0, 99));
    if (mode < 25) return with_prior(share, {});  // paid in full
    if (mode < 70) {                              // paid / CO / PR split
      int64_t paid = Uniform(0, share);
      int64_t co = Uniform(0, share - paid);
      int64_t pr = share - paid - co;
      std::vector<rcl::v1::Adjustment> adjs;
      if (co > 0) adjs.push_back(Chance(80) ? Co("45", co) : Oa("23", co));
      if (pr > 1 && Chance(50)) {
        adjs.push_back(Pr("1", pr / 2));
        adjs.push_back(Pr("2", pr - pr / 2));
      } else if (pr > 0) {
        adjs.push_back(Pr("3", pr));
      }
      return with_prior(paid, adjs);
    }
    if (mode < 80) return with_prior(0, {Co(Chance(50) ? "50" : "197", share)});  // denied
    if (mode < 86) return with_prior(0, {Pr("1", share)});  // all to the patient
    if (mode < 90) {                                        // overpaid, balanced
      int64_t extra = Uniform(1, 3000);
      return with_prior(share + extra, {Co("45", -extra)});
    }
    if (mode < 94) {  // sequestration: allowed above paid + PR by CO-253
      int64_t pr = share / 5, seq = share / 50;
      int64_t paid = share - pr - seq;
      return with_prior(paid, {Co("253", seq), Pr("2", pr)}, paid + pr + seq);
    }
    if (mode < 97)
      return Line(number, Uniform(0, charge), {Co("45", charge)});  // unbalanced: refused
    return Line(number, share, {}, share - 1);                      // paid above allowed: refused
  }

  void Adjudicate() {
    ClaimState claim;
    std::string id = PickClaim({"submitted", "accepted", "adjudicated", "denied"}, &claim);
    // What this payer was billed, spread over the lines (the rest is the
    // prior payers' share); now and then an arbitrary share, as a payer
    // that pays past what was transferred.
    int64_t billed = claim.rank > 1 && Chance(90)
                         ? claim.opening_balance_cents + claim.transferred_in_cents
                         : claim.charge_cents;
    std::vector<rcl::v1::LineAdjudication> lines;
    for (const auto& [number, line] : claim.lines) {
      int64_t charge = line.line.charge_cents();
      int64_t share = std::clamp<int64_t>(billed, 0, charge);
      billed -= share;
      if (Chance(97)) lines.push_back(RandomLine(number, charge, share));
    }
    if (lines.empty()) lines.push_back(Line(1, 100));
    if (Chance(2)) lines.push_back(Line(77, 100));  // not on the claim: refused
    rcl::v1::ClaimPaymentStatus status = claim.rank == 1   ? rcl::v1::CLAIM_PAYMENT_STATUS_PRIMARY
                                         : claim.rank == 2 ? rcl::v1::CLAIM_PAYMENT_STATUS_SECONDARY
                                                           : rcl::v1::CLAIM_PAYMENT_STATUS_TERTIARY;
    int s = static_cast<int>(Uniform(0, 99));
    if (s >= 97) status = rcl::v1::CLAIM_PAYMENT_STATUS_PREDETERMINATION;
    std::vector<rcl::v1::Adjustment> claim_adjustments;
    if (s < 5) {  // a claim-level denial: no lines, the whole charge adjusted at claim level
      lines.clear();
      status = rcl::v1::CLAIM_PAYMENT_STATUS_DENIED;
      claim_adjustments.push_back(Co("50", claim.charge_cents));
    } else if (Chance(3)) {
      claim_adjustments.push_back(Oa("23", Uniform(1, 300)));  // unbalances the claim: refused
    }
    Exec(AdjudicateClaim(id, RemitFor(claim), lines, status, absl::StrCat("PCN", Uniform(1, 99)),
                         claim_adjustments),
         "AdjudicateClaim");
  }

  void Step() {
    if (claims_.empty() && !encounters_.empty()) {
      CreateRandomClaim();
      return;
    }
    int r = static_cast<int>(Uniform(0, 999));
    ClaimState claim;
    if (r < 50) {
      NewEncounter();
    } else if (r < 120) {
      CreateRandomClaim();
    } else if (r < 190) {
      std::string id = PickClaim({"created", "scrub_failed", "rejected"}, &claim);
      Exec(ScrubClaim(id), "ScrubClaim");
    } else if (r < 260) {
      std::string id = PickClaim({"ready"}, &claim);
      Exec(SubmitClaim(id, absl::StrCat("B", Uniform(1, 9))), "SubmitClaim");
    } else if (r < 320) {
      std::string id = PickClaim({"submitted"}, &claim);
      bool accepted = Chance(85);
      Exec(AcknowledgeClaim(id, accepted, accepted ? "" : "subscriber id invalid"),
           "AcknowledgeClaim");
    } else if (r < 360) {
      NewRemittance(Pick(std::vector<std::string>{"PAY1", "PAY2", "PAY3"}));
    } else if (r < 540) {
      Adjudicate();
    } else if (r < 580) {
      std::string id =
          PickClaimWhere([](const ClaimState& c) { return c.adjudication.has_value(); }, &claim);
      Exec(ReverseAdjudication(id, RemitFor(claim)), "ReverseAdjudication");
    } else if (r < 620) {
      std::string id = PickClaim({"adjudicated", "denied", "accepted"}, &claim);
      static const rcl::v1::AdjustmentGroup kGroups[] = {
          rcl::v1::ADJUSTMENT_GROUP_CO, rcl::v1::ADJUSTMENT_GROUP_OA, rcl::v1::ADJUSTMENT_GROUP_PI};
      int64_t amount =
          Uniform(-300, std::max<int64_t>(claim.PayerBalance() + (Chance(10) ? 1 : 0), 1));
      if (amount == 0) amount = 1;
      Exec(AdjustClaim(id, kGroups[Uniform(0, 2)], "45", amount), "AdjustClaim");
    } else if (r < 680) {
      std::string id = PickClaimWhere(
          [](const ClaimState& c) {
            return !c.Closed() && (c.PayerBalance() > 0 || c.PatientBalance() > 0);
          },
          &claim);
      auto reason = static_cast<rcl::v1::WriteOffReason>(Uniform(1, 6));
      auto side = static_cast<rcl::v1::BalanceSide>(Chance(70) ? 0 : Uniform(1, 2));
      bool patient_side = side == rcl::v1::BALANCE_SIDE_PATIENT ||
                          (side == rcl::v1::BALANCE_SIDE_UNSPECIFIED &&
                           (reason == rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE ||
                            reason == rcl::v1::WRITE_OFF_REASON_BAD_DEBT ||
                            reason == rcl::v1::WRITE_OFF_REASON_CHARITY));
      int64_t balance = patient_side ? claim.PatientBalance() : claim.PayerBalance();
      int64_t amount = Uniform(1, std::max<int64_t>(balance + (Chance(10) ? 1 : 0), 1));
      Exec(WriteOffClaim(id, reason, amount, side), "WriteOffClaim");
    } else if (r < 720) {
      std::string id = PickClaimWhere(
          [](const ClaimState& c) {
            return c.adjudication.has_value() && (c.adjudication->denied || c.denied_cents > 0);
          },
          &claim);
      Exec(FileAppeal(absl::StrCat("AP", ++appeal_seq_), id, static_cast<int>(Uniform(1, 3)),
                      "2024-06-01", Chance(50) ? "2024-12-31" : ""),
           "FileAppeal");
    } else if (r < 750) {
      if (appeals_.empty()) return;
      Exec(DecideAppeal(!open_appeals_.empty() && Chance(90) ? Pick(open_appeals_) : Pick(appeals_),
                        static_cast<rcl::v1::AppealOutcome>(Uniform(1, 3)), "2024-07-01"),
           "DecideAppeal");
    } else if (r < 830) {
      PatientPayment();
    } else if (r < 870) {
      const std::string& patient = Pick(patients_);
      int64_t credit = books_->Patient(patient).credit_cents;
      Exec(RefundPatient(patient, Uniform(1, std::max<int64_t>(credit + (Chance(10) ? 1 : 0), 1)),
                         Chance(50) ? absl::StrCat("RF", ++refund_seq_) : ""),
           "RefundPatient");
    } else if (r < 890) {
      Exec(IssuePatientStatement(Pick(patients_), "2024-08-01"), "IssuePatientStatement");
    } else if (r < 920) {
      std::string id =
          PickClaim({"submitted", "accepted", "adjudicated", "denied", "rejected"}, &claim);
      Exec(ReplaceClaim(absl::StrCat("K", ++claim_seq_), id, "PCN7"), "ReplaceClaim");
    } else if (r < 945) {
      std::string id =
          PickClaim({"submitted", "accepted", "adjudicated", "denied", "rejected"}, &claim);
      Exec(VoidClaim(absl::StrCat("K", ++claim_seq_), id, "PCN8"), "VoidClaim");
    } else if (r < 975) {
      if (Chance(50)) {
        Exec(ProviderAdjustment(Pick(all_remits_), "L6", -Uniform(1, 2000), "INT"),
             "RecordProviderAdjustment");
      } else if (Chance(50)) {
        Exec(ProviderAdjustment(Pick(all_remits_), "FB", Uniform(-2000, 2000) | 1, "FWD"),
             "RecordProviderAdjustment");
      } else {
        // Recoupment: waits in suspense, so payer AR still equals the claims.
        Exec(ProviderAdjustment(Pick(all_remits_), "WO", Uniform(1, 2000), "RCP"),
             "RecordProviderAdjustment");
      }
    } else {
      // A claim for the encounter of another patient's coverage: refused.
      const auto& [encounter, patient] = Pick(encounters_);
      const std::string& other = Pick(patients_);
      Exec(CreateClaim(absl::StrCat("K", ++claim_seq_), encounter, Pick(coverages_[other])),
           "CreateClaim");
    }
  }

  void CreateRandomClaim() {
    const auto& [encounter, patient] = Pick(encounters_);
    const std::vector<std::string>& covs = coverages_[patient];
    std::string coverage = Chance(85) ? covs.front() : Pick(covs);
    Exec(CreateClaim(absl::StrCat("K", ++claim_seq_), encounter, coverage), "CreateClaim");
  }

  void PatientPayment() {
    const std::string& patient = Pick(patients_);
    std::vector<std::string> named;
    if (Chance(30)) {
      PatientState p = books_->Patient(patient);
      std::vector<std::string> ids;
      for (const auto& [id, dos] : p.claims) ids.push_back(id);
      if (!ids.empty()) {
        named.push_back(Pick(ids));
        if (ids.size() > 1 && Chance(40)) {
          const std::string& second = Pick(ids);
          if (second != named.front()) named.push_back(second);
        }
      }
    }
    Exec(ReceivePatientPayment(patient, absl::StrCat("PM", ++payment_seq_), Uniform(1, 6000), named,
                               "2024-08-01"),
         "ReceivePatientPayment");
  }

  std::mt19937_64 rng_;
  ClaimsLedger* books_;
  int executed_ = 0;
  int checked_ = 0;
  bool broken_ = false;
  std::string last_;
  std::map<std::string, std::map<std::string, int>> stats_;
  std::vector<std::string> patients_;
  std::map<std::string, std::vector<std::string>> coverages_;
  std::vector<std::pair<std::string, std::string>> encounters_;  // id, patient
  std::vector<std::string> claims_;
  std::map<std::string, ClaimState> claim_states_;          // as of the last command
  std::map<std::string, std::vector<std::string>> remits_;  // by payer
  std::vector<std::string> all_remits_;
  std::vector<std::string> appeals_;
  std::vector<std::string> open_appeals_;
  int encounter_seq_ = 0;
  int remit_seq_ = 0;
  int claim_seq_ = 0;
  int appeal_seq_ = 0;
  int payment_seq_ = 0;
  int refund_seq_ = 0;
};

}  // namespace rcl::ledger::claims_testing

#endif  // RCL_TESTS_TESTING_CLAIMS_DRIVER_H_
