// The demo's workflow (Generator methods; see demo_generator.h): the run and
// its day loop (visits in the morning, then the billing office's tasks, then
// the payers' remittances), every command sent through Send (command ids
// "demo-<seed>-<n>" and the positions digest), claim creation, scrubbing,
// submission and acknowledgement, the billing office's tasks (appeals,
// write-offs of upheld denials, replacements, voids and rebills, refunds),
// and the patient account: statements and payments.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "clients/demo_generator.h"
#include "ledger/status.h"

namespace rcl::demo::internal {

rcl::client::CommandOptions Generator::NextOptions() {
  ++sequence_;
  rcl::client::CommandOptions options;
  options.command_id = absl::StrCat("demo-", options_.seed, "-", sequence_);
  return options;
}

absl::StatusOr<rcl::v1::CommandResponse> Generator::Send(const Command& command,
                                                         absl::string_view about) {
  rcl::client::CommandOptions options = NextOptions();
  return Record(command, options, about, sink_.Execute(command, options));
}

absl::Status Generator::SendAll(const std::vector<Command>& commands,
                                const std::vector<std::string>& about) {
  std::vector<rcl::client::CommandOptions> options;
  options.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) options.push_back(NextOptions());
  std::vector<absl::StatusOr<rcl::v1::CommandResponse>> results =
      sink_.ExecuteAll(commands, options);
  RCL_CHECK(results.size() == commands.size()) << "one result per command";
  absl::Status first = absl::OkStatus();
  for (size_t i = 0; i < commands.size(); ++i) {
    absl::Status s = Record(commands[i], options[i], about[i], std::move(results[i])).status();
    if (first.ok()) first = s;
  }
  return first;
}

absl::StatusOr<rcl::v1::CommandResponse> Generator::Record(
    const Command& command, const rcl::client::CommandOptions& options, absl::string_view about,
    absl::StatusOr<rcl::v1::CommandResponse> r) {
  const google::protobuf::FieldDescriptor* field =
      Command::descriptor()->FindFieldByNumber(command.kind_case());
  std::string kind = field == nullptr ? "unknown" : field->name();
  if (!r.ok()) {
    std::string hint;
    if (r.status().code() == absl::StatusCode::kAlreadyExists) {
      hint =
          absl::StrCat(" (this tenant already holds a demo with seed ", options_.seed,
                       " but other --patients, --days or --end: use another --tenant or --seed)");
    }
    return absl::Status(r.status().code(),
                        absl::StrCat("demo: command ", options.command_id, " (", kind, " ", about,
                                     "): ", r.status().message(), hint));
  }
  ++summary_.commands;
  ++summary_.commands_by_type[kind];
  uint64_t position = r->position();
  if (summary_.first_position == 0 || position < summary_.first_position) {
    summary_.first_position = position;
  }
  summary_.last_position = std::max(summary_.last_position, position);
  for (int i = 0; i < 8; ++i) {
    digest_ ^= (position >> (8 * i)) & 0xff;
    digest_ *= 1099511628211ull;
  }
  return r;
}

absl::Status Generator::CreateClaim(absl::CivilDay day, int encounter, const std::string& id,
                                    bool rebill) {
  const Encounter& e = encounters_[static_cast<size_t>(encounter)];
  const Patient& patient = patients_[static_cast<size_t>(e.patient)];
  Command create;
  auto* c = create.mutable_create_claim();
  c->set_claim_id(id);
  c->set_encounter_id(e.id);
  c->set_coverage_id(patient.primary.id);
  RCL_RETURN_IF_ERROR(Send(create, id).status());

  Claim claim;
  claim.id = id;
  claim.patient = e.patient;
  claim.encounter = encounter;
  claim.payer = patient.primary.payer;
  claim.rank = 1;
  claim.frequency = 1;
  claim.coverage_id = patient.primary.id;
  claim.lines = e.lines;
  for (const ChargeLine& line : e.lines) claim.charge += kProcedures[line.proc].amount_cents;
  claim.opening = claim.charge;
  encounters_[static_cast<size_t>(encounter)].unbilled -= claim.charge;
  claim.corrected = rebill;
  claim.may_void = !rebill;
  int index = static_cast<int>(claims_.size());
  claim_index_[id] = index;
  claims_.push_back(std::move(claim));
  patients_[static_cast<size_t>(e.patient)].claims.push_back(index);
  ++summary_.claims;
  return ScrubAndSubmit(day, index);
}

int Generator::NewClaimFrom(const Claim& from, std::string id, int frequency) {
  Claim claim;
  claim.id = std::move(id);
  claim.patient = from.patient;
  claim.encounter = from.encounter;
  claim.payer = from.payer;
  claim.rank = from.rank;
  claim.frequency = frequency;
  claim.coverage_id = from.coverage_id;
  claim.lines = from.lines;
  claim.charge = from.charge;
  claim.original = claim_index_.at(from.id);
  int index = static_cast<int>(claims_.size());
  claim_index_[claim.id] = index;
  patients_[static_cast<size_t>(from.patient)].claims.push_back(index);
  claims_.push_back(std::move(claim));
  ++summary_.claims;
  return index;
}

absl::Status Generator::ScrubAndSubmit(absl::CivilDay day, int index) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  Command scrub;
  scrub.mutable_scrub_claim()->set_claim_id(claim.id);
  RCL_RETURN_IF_ERROR(Send(scrub, claim.id).status());
  claim.status = Status::kReady;  // every claim of the demo is clean
  Command submit;
  submit.mutable_submit_claim()->set_claim_id(claim.id);
  submit.mutable_submit_claim()->set_batch_id(absl::StrCat(
      prefix_, "-B", absl::FormatCivilTime(day).substr(0, 4),
      absl::FormatCivilTime(day).substr(5, 2), absl::FormatCivilTime(day).substr(8, 2)));
  RCL_RETURN_IF_ERROR(Send(submit, claim.id).status());
  claim.status = Status::kSubmitted;
  ++claim.submissions;
  Schedule(day + 1, TaskKind::kAck, index);
  return absl::OkStatus();
}

absl::Status Generator::Acknowledge(absl::CivilDay day, int index) {
  Claim& claim = claims_[static_cast<size_t>(index)];
  bool reject = claim.frequency != 8 && claim.submissions == 1 && random_.Percent(4);
  Command ack;
  auto* a = ack.mutable_acknowledge_claim();
  a->set_claim_id(claim.id);
  a->set_accepted(!reject);
  if (reject) {
    a->set_reason(kRejectionReasons[random_.Uniform(0, Count(kRejectionReasons) - 1)]);
  }
  RCL_RETURN_IF_ERROR(Send(ack, claim.id).status());
  if (reject) {
    claim.status = Status::kRejected;
    ++summary_.rejections;
    // Corrected in the practice management system, scrubbed and resubmitted.
    Schedule(day + random_.Uniform(1, 2), TaskKind::kResubmit, index);
    return absl::OkStatus();
  }
  claim.status = Status::kAccepted;
  if (claim.payer_claim_number.empty()) {
    claim.payer_claim_number =
        absl::StrCat(kPayers[claim.payer].id, Pad(random_.Uniform(0, 99999999999LL), 11));
  }
  if (claim.frequency == 8) return absl::OkStatus();  // nothing to adjudicate
  if (claim.may_void && random_.Percent(2)) {
    // Billed in error (wrong rendering provider on the 837): void it and rebill.
    Schedule(day + 1, TaskKind::kVoidAndRebill, index);
    return absl::OkStatus();
  }
  Queue(index, PayerAction::kFirst, day + 2);
  return absl::OkStatus();
}

// --- The patient account -------------------------------------------------------------

void Generator::ScheduleStatement(absl::CivilDay after, int patient) {
  Patient& p = patients_[static_cast<size_t>(patient)];
  if (p.statement_pending) return;
  absl::CivilDay day = NextWeekday(after, p.statement_day);
  if (day > last_day_) return;
  p.statement_pending = true;
  Schedule(day, TaskKind::kStatement, patient);
}

// The patient's claims with a balance (or bad debt a payment recovers),
// oldest date of service first (then by claim id), as the ledger applies a
// payment without named claims.
std::vector<int> Generator::OpenPatientClaims(int patient) const {
  std::vector<std::pair<std::string, std::string>> order;
  for (int c : patients_[static_cast<size_t>(patient)].claims) {
    const Claim& claim = claims_[static_cast<size_t>(c)];
    if (claim.status == Status::kVoided) continue;
    if (claim.PatientBalance() <= 0 &&
        claim.WrittenOff(rcl::v1::BALANCE_SIDE_PATIENT, rcl::v1::WRITE_OFF_REASON_BAD_DEBT) <= 0) {
      continue;
    }
    order.emplace_back(Date(encounters_[static_cast<size_t>(claim.encounter)].dos), claim.id);
  }
  std::sort(order.begin(), order.end());
  std::vector<int> out;
  for (const auto& [dos, id] : order) out.push_back(claim_index_.at(id));
  return out;
}

absl::Status Generator::PatientStatement(absl::CivilDay day, int patient) {
  Patient& p = patients_[static_cast<size_t>(patient)];
  p.statement_pending = false;
  // Small balances left after a payment are written off instead of billed.
  for (int c : OpenPatientClaims(patient)) {
    Claim& claim = claims_[static_cast<size_t>(c)];
    int64_t balance = claim.PatientBalance();
    if (claim.patient_paid == 0 || balance <= 0 || balance > 500) continue;
    Command w;
    auto* o = w.mutable_write_off_claim();
    o->set_claim_id(claim.id);
    o->set_reason(rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE);
    o->set_amount_cents(balance);
    o->set_note("balance under $5.00 after patient payment");
    RCL_RETURN_IF_ERROR(Send(w, claim.id).status());
    WriteOff(c, rcl::v1::BALANCE_SIDE_PATIENT, rcl::v1::WRITE_OFF_REASON_SMALL_BALANCE, balance);
    ++summary_.write_offs;
  }
  std::vector<int> open = OpenPatientClaims(patient);
  if (open.empty()) return absl::OkStatus();
  Command s;
  s.mutable_issue_patient_statement()->set_patient_id(p.id);
  s.mutable_issue_patient_statement()->set_statement_date(Date(day));
  RCL_RETURN_IF_ERROR(Send(s, p.id).status());
  ++summary_.statements;
  int64_t behavior = random_.Uniform(0, 99);
  if (behavior < 55) {
    Schedule(day + random_.Uniform(3, 12), TaskKind::kPay, patient,
             static_cast<int>(PayBehavior::kFull));
  } else if (behavior < 72) {
    Schedule(day + random_.Uniform(3, 12), TaskKind::kPay, patient,
             static_cast<int>(PayBehavior::kWholeDollars));
  } else if (behavior < 80) {
    Schedule(day + random_.Uniform(3, 12), TaskKind::kPay, patient,
             static_cast<int>(PayBehavior::kOverpay));
  }  // else: not paid yet
  return absl::OkStatus();
}

absl::Status Generator::PatientPayment(absl::CivilDay day, int patient, PayBehavior behavior) {
  Patient& p = patients_[static_cast<size_t>(patient)];
  std::vector<int> open = OpenPatientClaims(patient);
  int64_t balance = 0;
  for (int c : open) balance += claims_[static_cast<size_t>(c)].PatientBalance();
  if (balance <= 0) return absl::OkStatus();
  int64_t amount = balance;
  if (behavior == PayBehavior::kWholeDollars && balance >= 100 && balance % 100 != 0) {
    amount = balance - balance % 100;
  } else if (behavior == PayBehavior::kOverpay) {
    amount = balance + random_.Uniform(5, 40) * 100;
  }
  ++payment_sequence_;
  Command pay;
  auto* c = pay.mutable_receive_patient_payment();
  c->set_patient_id(p.id);
  c->set_payment_id(absl::StrCat(prefix_, "-PP", Pad(payment_sequence_, 6)));
  c->set_amount_cents(amount);
  const char* methods[] = {"card", "card", "check", "cash"};
  c->set_method(methods[random_.Uniform(0, 3)]);
  bool named = random_.Percent(50) && open.size() <= 100;
  if (named) {
    for (int i : open) c->add_claim_ids(claims_[static_cast<size_t>(i)].id);
  }
  c->set_received_date(Date(day));
  RCL_RETURN_IF_ERROR(Send(pay, p.id).status());
  ++summary_.patient_payments;
  summary_.patient_payments_cents += amount;
  // The same allocation the ledger makes (named claims in order, or oldest
  // first): the open balance, then a recovery of bad debt written off.
  int64_t remaining = amount;
  for (int i : open) {
    Claim& claim = claims_[static_cast<size_t>(i)];
    int64_t apply = std::min(remaining, std::max<int64_t>(claim.PatientBalance(), 0));
    int64_t recover = std::min(
        remaining - apply,
        claim.WrittenOff(rcl::v1::BALANCE_SIDE_PATIENT, rcl::v1::WRITE_OFF_REASON_BAD_DEBT));
    if (apply + recover <= 0) continue;
    ReverseWriteOffs(i, rcl::v1::BALANCE_SIDE_PATIENT, recover, rcl::v1::WRITE_OFF_REASON_BAD_DEBT);
    claim.patient_paid += apply + recover;
    remaining -= apply + recover;
  }
  p.credit_cents += remaining;
  if (remaining > 0) Schedule(day + random_.Uniform(4, 9), TaskKind::kRefund, patient);
  if (amount < balance) ScheduleStatement(day, patient);
  return absl::OkStatus();
}

// --- The billing office's tasks ---------------------------------------------------

// Files the appeal appeals_[appeal_index] (level 1) and schedules its decision.
absl::Status Generator::FileAppeal(absl::CivilDay day, int appeal_index) {
  const Appeal& appeal = appeals_[static_cast<size_t>(appeal_index)];
  const Claim& claim = claims_[static_cast<size_t>(appeal.claim)];
  Command file;
  auto* f = file.mutable_file_appeal();
  f->set_appeal_id(appeal.id);
  f->set_claim_id(claim.id);
  f->set_level(1);
  f->set_reason(appeal.carc == "50"
                    ? "medical necessity documented in the attached office notes"
                    : "authorization was obtained before the visit; reference attached");
  f->set_filed_date(Date(day));
  f->set_deadline(Date(day + 180));
  RCL_RETURN_IF_ERROR(Send(file, appeal.id).status());
  ++summary_.appeals_filed;
  Schedule(day + random_.Uniform(4, 10), TaskKind::kDecideAppeal, appeal_index);
  return absl::OkStatus();
}

// The payer's decision on an appeal: overturned (re-adjudicated on the next
// remittance) or upheld (the denial is written off).
absl::Status Generator::DecideAppeal(absl::CivilDay day, int appeal_index) {
  const Appeal& appeal = appeals_[static_cast<size_t>(appeal_index)];
  bool overturned = random_.Percent(appeal.carc == "50" ? 60 : 50);
  Command decide;
  auto* d = decide.mutable_decide_appeal();
  d->set_appeal_id(appeal.id);
  d->set_outcome(overturned ? rcl::v1::APPEAL_OUTCOME_OVERTURNED : rcl::v1::APPEAL_OUTCOME_UPHELD);
  d->set_decided_date(Date(day));
  RCL_RETURN_IF_ERROR(Send(decide, appeal.id).status());
  if (overturned) {
    ++summary_.appeals_overturned;
    Queue(appeal.claim, PayerAction::kOverturned, day + 1);
  } else {
    ++summary_.appeals_upheld;
    Schedule(day + random_.Uniform(1, 3), TaskKind::kWriteOffDenied, appeal.claim);
  }
  return absl::OkStatus();
}

// Writes off the payer balance of a claim whose denial was upheld.
absl::Status Generator::WriteOffDenied(int claim_index) {
  Claim& claim = claims_[static_cast<size_t>(claim_index)];
  int64_t balance = claim.PayerBalance();
  if (balance <= 0) return absl::OkStatus();
  Command w;
  auto* o = w.mutable_write_off_claim();
  o->set_claim_id(claim.id);
  o->set_reason(rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE);
  o->set_amount_cents(balance);
  o->set_note("denial upheld on appeal");
  RCL_RETURN_IF_ERROR(Send(w, claim.id).status());
  WriteOff(claim_index, rcl::v1::BALANCE_SIDE_PAYER, rcl::v1::WRITE_OFF_REASON_ADMINISTRATIVE,
           balance);
  ++summary_.write_offs;
  return absl::OkStatus();
}

// A replacement claim (frequency 7) of a claim denied for missing information.
absl::Status Generator::ReplaceClaim(absl::CivilDay day, int original) {
  std::string id = absl::StrCat(claims_[static_cast<size_t>(original)].id, "-R");
  Command replace;
  auto* r = replace.mutable_replace_claim();
  r->set_claim_id(id);
  r->set_original_claim_id(claims_[static_cast<size_t>(original)].id);
  r->set_payer_claim_number(claims_[static_cast<size_t>(original)].payer_claim_number);
  RCL_RETURN_IF_ERROR(Send(replace, id).status());
  int64_t balance = claims_[static_cast<size_t>(original)].PayerBalance();
  int index = NewClaimFrom(claims_[static_cast<size_t>(original)], id, 7);
  Claim& replacement = claims_[static_cast<size_t>(index)];
  replacement.opening = balance;
  replacement.corrected = true;
  replacement.payer_claim_number = claims_[static_cast<size_t>(original)].payer_claim_number;
  Claim& o = claims_[static_cast<size_t>(original)];
  o.moved_out += balance;
  o.replacement = index;
  o.status = Status::kReplaced;
  ++summary_.replacement_claims;
  return ScrubAndSubmit(day, index);
}

// A void claim (frequency 8) of a claim billed in error, and a new claim
// for the encounter once all of its charge is unbilled again.
absl::Status Generator::VoidAndRebill(absl::CivilDay day, int original) {
  std::string id = absl::StrCat(claims_[static_cast<size_t>(original)].id, "-V");
  Command v;
  auto* o = v.mutable_void_claim();
  o->set_claim_id(id);
  o->set_original_claim_id(claims_[static_cast<size_t>(original)].id);
  o->set_payer_claim_number(claims_[static_cast<size_t>(original)].payer_claim_number);
  RCL_RETURN_IF_ERROR(Send(v, id).status());
  int64_t balance = claims_[static_cast<size_t>(original)].PayerBalance();
  int index = NewClaimFrom(claims_[static_cast<size_t>(original)], id, 8);
  claims_[static_cast<size_t>(index)].payer_claim_number =
      claims_[static_cast<size_t>(original)].payer_claim_number;
  // The balance goes back where it came from (the encounter's unbilled).
  claims_[static_cast<size_t>(original)].status = Status::kVoided;
  MoveOffClosed(original, balance);
  ++summary_.void_claims;
  RCL_RETURN_IF_ERROR(ScrubAndSubmit(day, index));
  // A new claim bills the encounter once all of its charge is unbilled
  // again (what the payer paid on the voided claim, it recoups first).
  const Encounter& e =
      encounters_[static_cast<size_t>(claims_[static_cast<size_t>(original)].encounter)];
  if (e.unbilled != e.charge) return absl::OkStatus();
  return CreateClaim(day, claims_[static_cast<size_t>(original)].encounter,
                     absl::StrCat(claims_[static_cast<size_t>(original)].id, "-B"),
                     /*rebill=*/true);
}

// Refunds a patient's credit balance.
absl::Status Generator::RefundCredit(int patient) {
  Patient& p = patients_[static_cast<size_t>(patient)];
  if (p.credit_cents <= 0) return absl::OkStatus();
  ++refund_sequence_;
  Command refund;
  auto* r = refund.mutable_refund_patient();
  r->set_patient_id(p.id);
  r->set_amount_cents(p.credit_cents);
  r->set_refund_id(absl::StrCat(prefix_, "-RF", Pad(refund_sequence_, 6)));
  RCL_RETURN_IF_ERROR(Send(refund, p.id).status());
  ++summary_.refunds;
  summary_.refunds_cents += p.credit_cents;
  p.credit_cents = 0;
  return absl::OkStatus();
}

// --- The day loop -------------------------------------------------------------------

absl::Status Generator::RunTask(absl::CivilDay day, const Task& task) {
  switch (task.kind) {
    case TaskKind::kAck: return Acknowledge(day, task.target);
    case TaskKind::kResubmit: return ScrubAndSubmit(day, task.target);
    case TaskKind::kBillSecondary: return ScrubAndSubmit(day, task.target);
    case TaskKind::kFileAppeal: return FileAppeal(day, task.target);
    case TaskKind::kDecideAppeal: return DecideAppeal(day, task.target);
    case TaskKind::kWriteOffDenied: return WriteOffDenied(task.target);
    case TaskKind::kReplace: return ReplaceClaim(day, task.target);
    case TaskKind::kVoidAndRebill: return VoidAndRebill(day, task.target);
    case TaskKind::kStatement: return PatientStatement(day, task.target);
    case TaskKind::kPay:
      return PatientPayment(day, task.target, static_cast<PayBehavior>(task.arg));
    case TaskKind::kRefund: return RefundCredit(task.target);
  }
  return absl::InternalError("demo: unknown task");
}

absl::Status Generator::RunDay(absl::CivilDay day) {
  // Morning: the day's visits are coded and billed.
  if (auto it = visits_.find(day); it != visits_.end()) {
    for (int e : it->second) RCL_RETURN_IF_ERROR(RunEncounter(day, e));
  }
  // The billing office's work queue (tasks may add tasks for later days).
  if (auto it = tasks_.find(day); it != tasks_.end()) {
    for (size_t i = 0; i < tasks_[day].size(); ++i) {
      Task task = tasks_[day][i];
      RCL_RETURN_IF_ERROR(RunTask(day, task));
    }
    tasks_.erase(day);
  }
  // Payers remit once a week each.
  for (int p = 0; p < kPayerCount; ++p) {
    if (absl::GetWeekday(day) == kPayers[p].remit_day) RCL_RETURN_IF_ERROR(RunRemittance(day, p));
  }
  return absl::OkStatus();
}

absl::StatusOr<DemoSummary> Generator::Run() {
  summary_.seed = options_.seed;
  summary_.patients = options_.patients;
  summary_.days = options_.days;
  summary_.first_date = Date(first_day_);
  summary_.last_date = Date(options_.end);
  summary_.through_date = Date(last_day_);
  const int total_days = static_cast<int>(last_day_ - first_day_) + 1;
  Setup();
  RCL_RETURN_IF_ERROR(RegisterPatients());
  if (progress_) progress_(0, total_days, summary_.commands);
  int n = 0;
  for (absl::CivilDay day = first_day_; day <= last_day_; ++day) {
    RCL_RETURN_IF_ERROR(RunDay(day));
    if (progress_) progress_(++n, total_days, summary_.commands);
  }
  RCL_RETURN_IF_ERROR(Verify());
  Summarize();
  return summary_;
}

}  // namespace rcl::demo::internal
