// rcl-bench-x12: the 835 import at scale (ops/bench/x12 runs it).
//
//   rcl-bench-x12 setup --data-dir D --claims N --out FILE
//     opens the ledger in-process on D (no server), creates N submitted
//     claims (one line of 99213 at 1,000.00 each, payer BENCHPAY), posts a
//     prior 835 paying every tenth claim, and writes to FILE an 835 that
//     pays 60% of the claims, adjusts 20% with a PR-2 share, denies 10%,
//     reverses the prior payment of the last 10% and re-pays them corrected,
//     with a PLB (L6 interest and a WO withholding). Prints one JSON object.
//   rcl-bench-x12 run --server ADDR --file FILE
//     times Parse835 of the file in-process (parse_s), then the
//     ImportRemittanceFile RPC to durable through the server (post_s).
//     Prints one JSON object: claims, file_bytes, parse_s, post_s, events.
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/client.h"
#include "ledger/ledger.h"
#include "ledger/x12/remit835.h"

ABSL_FLAG(std::string, data_dir, "", "setup: data directory of the ledger");
ABSL_FLAG(int, claims, 10000, "setup: claims to create and pay");
ABSL_FLAG(std::string, out, "", "setup: where to write the 835");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "run: rcl-server address");
ABSL_FLAG(std::string, file, "", "run: the 835 to import");

namespace {

using rcl::v1::Command;
constexpr char kTenant[] = "default";
constexpr char kPayer[] = "BENCHPAY";

std::string ClaimId(int i) { return absl::StrCat("XB", i); }

// Runs `commands` concurrently (group commit), at most `window` queued at a
// time; exits on the first failure.
void RunAll(rcl::ledger::Ledger& ledger, const std::vector<Command>& commands) {
  constexpr size_t kWindow = 2048;
  for (size_t start = 0; start < commands.size(); start += kWindow) {
    const size_t end = std::min(commands.size(), start + kWindow);
    absl::BlockingCounter done(static_cast<int>(end - start));
    absl::Mutex mu;
    std::string error;
    for (size_t i = start; i < end; ++i) {
      rcl::ledger::CommandRequest req;
      req.tenant = kTenant;
      req.command = commands[i];
      absl::Status queued =
          ledger.Submit(std::move(req), [&](absl::StatusOr<rcl::ledger::CommandResult> r) {
            if (!r.ok()) {
              absl::MutexLock lock(&mu);
              error = r.status().ToString();
            }
            done.DecrementCount();
          });
      if (!queued.ok()) {
        std::fprintf(stderr, "rcl-bench-x12: submit: %s\n", queued.ToString().c_str());
        std::exit(1);
      }
    }
    done.Wait();
    if (!error.empty()) {
      std::fprintf(stderr, "rcl-bench-x12: setup command failed: %s\n", error.c_str());
      std::exit(1);
    }
  }
}

std::string Envelope835(const std::string& total, const std::string& trace,
                        const std::vector<std::string>& body) {
  std::vector<std::string> st = {
      "ST*835*0001",
      absl::StrCat("BPR*I*", total,
                   "*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999999999*DA*654321*20261120"),
      absl::StrCat("TRN*1*", trace, "*1512345678"),
      "DTM*405*20261120",
      absl::StrCat("N1*PR*BENCH PAYER*XV*", kPayer),
      "N1*PE*CLINIC*XX*1234567893"};
  st.insert(st.end(), body.begin(), body.end());
  st.push_back(absl::StrCat("SE*", st.size() + 1, "*0001"));
  std::string out =
      "ISA*00*          *00*          *ZZ*BENCHPAY       *ZZ*CLINIC         *261120*1200*^*00501*"
      "000000001*0*P*:~\nGS*HP*BENCHPAY*CLINIC*20261120*1200*1*X*005010X221A1~\n";
  for (const auto& s : st) absl::StrAppend(&out, s, "~\n");
  absl::StrAppend(&out, "GE*1*1~\nIEA*1*000000001~\n");
  return out;
}

void Append(std::vector<std::string>* body, std::initializer_list<std::string> segments) {
  body->insert(body->end(), segments);
}

// Paid: 1,000.00 charged, 700.00 paid, CO-45 200.00, PR-1 100.00.
void Paid(std::vector<std::string>* body, const std::string& id) {
  Append(body, {absl::StrCat("CLP*", id, "*1*1000*700*100*12*PCN", id), "SVC*HC:99213*1000*700**1",
                "DTM*472*20261102", "CAS*CO*45*200", "CAS*PR*1*100", "REF*6R*1", "AMT*B6*800"});
}

int Setup() {
  const int n = absl::GetFlag(FLAGS_claims);
  rcl::ledger::Ledger::Options options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  absl::StatusOr<std::unique_ptr<rcl::ledger::Ledger>> opened = rcl::ledger::Ledger::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "rcl-bench-x12: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  rcl::ledger::Ledger& ledger = **opened;
  const absl::Time start = absl::Now();
  {
    Command p;
    auto* r = p.mutable_register_patient();
    r->set_patient_id("XP1");
    r->set_family_name("BENCH");
    r->set_given_name("PAT");
    r->set_birth_date("1960-01-01");
    Command c;
    auto* a = c.mutable_add_coverage();
    a->set_patient_id("XP1");
    a->set_coverage_id("XC1");
    a->set_payer_id(kPayer);
    a->set_payer_name("BENCH PAYER");
    a->set_member_id("W123456789");
    a->set_rank(1);
    a->set_effective_from("2026-01-01");
    RunAll(ledger, {p});
    RunAll(ledger, {c});
  }
  // One stage at a time: every claim's encounter, then its diagnoses, ...
  for (int stage = 0; stage < 7; ++stage) {
    std::vector<Command> commands(n);
    for (int i = 0; i < n; ++i) {
      const std::string enc = absl::StrCat("XE", i), id = ClaimId(i);
      Command& c = commands[i];
      switch (stage) {
        case 0: {
          auto* o = c.mutable_open_encounter();
          o->set_encounter_id(enc);
          o->set_patient_id("XP1");
          o->set_rendering_npi("1234567893");
          o->set_billing_npi("1234567893");
          o->set_date_of_service("2026-11-02");
          o->set_place_of_service("11");
          break;
        }
        case 1: {
          auto* d = c.mutable_record_diagnoses();
          d->set_encounter_id(enc);
          d->add_icd10_codes("E11.9");
          break;
        }
        case 2: {
          auto* r = c.mutable_record_charge();
          r->set_encounter_id(enc);
          r->set_line_number(1);
          r->set_cpt("99213");
          r->set_units(1);
          r->set_amount_cents(100'000);
          r->add_diagnosis_pointers(1);
          break;
        }
        case 3: c.mutable_complete_coding()->set_encounter_id(enc); break;
        case 4: {
          auto* x = c.mutable_create_claim();
          x->set_claim_id(id);
          x->set_encounter_id(enc);
          x->set_coverage_id("XC1");
          break;
        }
        case 5: c.mutable_scrub_claim()->set_claim_id(id); break;
        case 6:
          c.mutable_submit_claim()->set_claim_id(id);
          c.mutable_submit_claim()->set_batch_id("XB");
          break;
      }
    }
    RunAll(ledger, commands);
  }
  // The prior remittance: every tenth claim paid, to be reversed.
  std::vector<std::string> prior;
  int64_t prior_total = 0;
  for (int i = 9; i < n; i += 10) {
    Paid(&prior, ClaimId(i));
    prior_total += 700;
  }
  if (!prior.empty()) {
    Command imp;
    imp.mutable_import_remittance_file()->set_x12(
        Envelope835(absl::StrCat(prior_total), "PRIOR", prior));
    RunAll(ledger, {imp});
  }
  const double setup_s = absl::ToDoubleSeconds(absl::Now() - start);

  // The benchmark's file.
  std::vector<std::string> body;
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    const std::string id = ClaimId(i);
    switch (i % 10) {
      case 6:
      case 7:  // adjusted: 1,000.00 - CO-45 300.00 - PR-2 150.00 = 550.00
        Append(&body,
               {absl::StrCat("CLP*", id, "*1*1000*550*150*12*PCN", id), "SVC*HC:99213*1000*550**1",
                "DTM*472*20261102", "CAS*CO*45*300", "CAS*PR*2*150", "REF*6R*1", "AMT*B6*700"});
        total += 550;
        break;
      case 8:  // denied
        Append(&body, {absl::StrCat("CLP*", id, "*4*1000*0*0*12*PCN", id), "SVC*HC:99213*1000*0**1",
                       "CAS*CO*50*1000", "REF*6R*1"});
        break;
      case 9:  // the prior payment reversed, then re-paid corrected
        Append(&body, {absl::StrCat("CLP*", id, "*22*-1000*-700*-100*12*PCN", id),
                       "SVC*HC:99213*-1000*-700**1", "CAS*CO*45*-200", "CAS*PR*1*-100", "REF*6R*1",
                       absl::StrCat("CLP*", id, "*1*1000*800*0*12*PCN", id),
                       "SVC*HC:99213*1000*800**1", "CAS*CO*45*200", "REF*6R*1"});
        total += 100;
        break;
      default: Paid(&body, id); total += 700;
    }
  }
  // PLB: 5.00 interest (negative: adds) and 15.00 withheld.
  body.push_back("PLB*1234567893*20261231*L6*-5*WO:ABC*15");
  total -= 10;
  const std::string file = Envelope835(absl::StrCat(total), "BENCH", body);
  std::ofstream out(absl::GetFlag(FLAGS_out), std::ios::binary);
  out << file;
  out.close();
  if (!out) {
    std::fprintf(stderr, "rcl-bench-x12: cannot write %s\n", absl::GetFlag(FLAGS_out).c_str());
    return 1;
  }
  std::printf("{\"claims\": %d, \"file_bytes\": %zu, \"setup_s\": %.3f, \"head\": %llu}\n", n,
              file.size(), setup_s, static_cast<unsigned long long>(ledger.head().position));
  return 0;
}

int Run() {
  std::ifstream in(absl::GetFlag(FLAGS_file), std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  const std::string bytes = s.str();
  if (bytes.empty()) {
    std::fprintf(stderr, "rcl-bench-x12: cannot read %s\n", absl::GetFlag(FLAGS_file).c_str());
    return 1;
  }
  // Parse alone: the best of three.
  double parse_s = 1e9;
  size_t claims = 0, clp_loops = 0;
  for (int k = 0; k < 3; ++k) {
    const absl::Time t0 = absl::Now();
    absl::StatusOr<rcl::x12::RemittanceFile> parsed = rcl::x12::Parse835(bytes);
    const double t = absl::ToDoubleSeconds(absl::Now() - t0);
    if (!parsed.ok()) {
      std::fprintf(stderr, "rcl-bench-x12: parse: %s\n", parsed.status().ToString().c_str());
      return 1;
    }
    // Claims paid (distinct CLP01); clp_loops counts the reversals too.
    std::set<std::string> ids;
    clp_loops = 0;
    for (const auto& r : parsed->remittances) {
      clp_loops += r.claims.size();
      for (const auto& c : r.claims) ids.insert(c.patient_control_number);
    }
    claims = ids.size();
    parse_s = std::min(parse_s, t);
  }
  rcl::client::Options options;
  options.deadline_ms = 300'000;
  options.connect_timeout_ms = 10'000;
  absl::StatusOr<std::unique_ptr<rcl::client::Client>> client =
      rcl::client::Client::Connect(absl::GetFlag(FLAGS_server), options);
  if (!client.ok()) {
    std::fprintf(stderr, "rcl-bench-x12: %s\n", client.status().ToString().c_str());
    return 1;
  }
  const absl::Time t0 = absl::Now();
  absl::StatusOr<rcl::v1::ImportRemittanceFileResponse> r =
      (*client)->ImportRemittanceFile(bytes, false, false);
  const double post_s = absl::ToDoubleSeconds(absl::Now() - t0);
  if (!r.ok()) {
    std::fprintf(stderr, "rcl-bench-x12: import: %s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "{\"claims\": %zu, \"clp_loops\": %zu, \"file_bytes\": %zu, \"parse_s\": %.4f, "
      "\"post_s\": %.4f, \"events\": %d, \"position\": %llu}\n",
      claims, clp_loops, bytes.size(), parse_s, post_s, r->result().event_ids_size(),
      static_cast<unsigned long long>(r->result().position()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string mode = args.size() > 1 ? args[1] : "";
  if (mode == "setup") return Setup();
  if (mode == "run") return Run();
  std::fprintf(stderr, "usage: rcl-bench-x12 setup|run [flags] (see bench/x12_bench.cc)\n");
  return 2;
}
