// rcl demo (see demo.h): the public helpers (the deterministic random
// generator, NPIs, dollars, the default end date, the client sink), RunDemo,
// which checks the options and runs one Generator (demo_generator.h), and the
// summary for people and as JSON. The workload itself is in the demo_*.cc
// files named in demo_generator.h.
#include "clients/demo.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli_output.h"
#include "clients/demo_generator.h"

namespace rcl::demo {

// ---------------------------------------------------------------------------
// Small public helpers.

int64_t DemoRandom::Uniform(int64_t lo, int64_t hi) {
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  if (range == 0) return static_cast<int64_t>(Next());  // the whole int64 range
  // Reject the first (2^64 mod range) values so every residue is equally likely.
  const uint64_t threshold = (0 - range) % range;
  while (true) {
    uint64_t x = Next();
    if (x >= threshold) return static_cast<int64_t>(static_cast<uint64_t>(lo) + x % range);
  }
}

std::string NpiWithCheckDigit(absl::string_view nine_digits) {
  std::string payload = absl::StrCat("80840", nine_digits);
  int sum = 0;
  bool double_it = true;  // the rightmost payload digit is doubled
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return absl::StrCat(nine_digits, (10 - sum % 10) % 10);
}

std::string FormatDollars(int64_t cents) {
  bool negative = cents < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  std::string whole = absl::StrCat(magnitude / 100);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(whole[i]);
  }
  return absl::StrFormat("%s$%s.%02d", negative ? "-" : "", grouped, magnitude % 100);
}

absl::CivilDay DefaultDemoEnd() {
  return absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) - kSettleDays;
}

absl::StatusOr<rcl::v1::CommandResponse> ClientSink::Execute(
    const rcl::v1::Command& command, const rcl::client::CommandOptions& options) {
  return client_->Execute(command, options);
}

std::vector<absl::StatusOr<rcl::v1::CommandResponse>> DemoSink::ExecuteAll(
    const std::vector<rcl::v1::Command>& commands,
    const std::vector<rcl::client::CommandOptions>& options) {
  std::vector<absl::StatusOr<rcl::v1::CommandResponse>> out;
  out.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) out.push_back(Execute(commands[i], options[i]));
  return out;
}

std::vector<absl::StatusOr<rcl::v1::CommandResponse>> ClientSink::ExecuteAll(
    const std::vector<rcl::v1::Command>& commands,
    const std::vector<rcl::client::CommandOptions>& options) {
  rcl::v1::ExecuteBatchRequest request;
  for (size_t i = 0; i < commands.size(); ++i) {
    rcl::v1::BatchCommand* c = request.add_commands();
    c->mutable_context()->set_command_id(options[i].command_id);
    if (options[i].expected_version.has_value()) {
      c->mutable_context()->set_expected_version(*options[i].expected_version);
    }
    c->mutable_context()->set_correlation_id(options[i].correlation_id);
    c->mutable_context()->set_causation_id(options[i].causation_id);
    *c->mutable_command() = commands[i];
  }
  absl::StatusOr<rcl::v1::ExecuteBatchResponse> r = client_->ExecuteBatch(std::move(request));
  std::vector<absl::StatusOr<rcl::v1::CommandResponse>> out;
  out.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    if (!r.ok()) {
      out.push_back(r.status());
    } else if (static_cast<int>(i) >= r->results_size()) {
      out.push_back(absl::InternalError("ExecuteBatch answered fewer results than commands"));
    } else if (r->results(static_cast<int>(i)).code() != 0) {
      const rcl::v1::BatchResult& b = r->results(static_cast<int>(i));
      out.push_back(absl::Status(static_cast<absl::StatusCode>(b.code()), b.message()));
    } else {
      out.push_back(r->results(static_cast<int>(i)).result());
    }
  }
  return out;
}

absl::StatusOr<rcl::v1::ClaimView> ClientSink::GetClaim(const std::string& claim_id) {
  return client_->GetClaim(claim_id);
}

absl::StatusOr<DemoSummary> RunDemo(const DemoOptions& options, DemoSink& sink,
                                    const DemoProgress& progress) {
  if (options.patients < 1 || options.patients > kPatientsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("--patients: must be an integer from 1 to ", kPatientsMax));
  }
  if (options.days < 1 || options.days > kDaysMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("--days: must be an integer from 1 to ", kDaysMax));
  }
  if (options.end.year() < 1901 || options.end.year() > 2190) {
    return absl::InvalidArgumentError("--end: out of range");
  }
  internal::Generator generator(options, sink, progress);
  return generator.Run();
}

// ---------------------------------------------------------------------------
// The summary.

std::string DemoSummaryText(const DemoSummary& s) {
  std::string out = absl::StrCat("demo seed=", s.seed, " patients=", s.patients, " days=", s.days,
                                 " dates of service ", s.first_date, "..", s.last_date,
                                 " (workflow through ", s.through_date, ")\n");
  absl::StrAppend(&out, "commands ", s.commands, "  positions ", s.first_position, "..",
                  s.last_position, "  digest ", s.positions_digest, "\n\n");
  absl::StrAppend(&out, "commands by type:\n");
  for (const auto& [kind, count] : s.commands_by_type) {
    absl::StrAppend(&out, absl::StrFormat("  %-28s %8d\n", kind, count));
  }
  const std::vector<std::pair<const char*, int64_t>> counts = {
      {"coverages", s.coverages},
      {"secondary coverages", s.secondary_coverages},
      {"encounters", s.encounters},
      {"charge lines", s.charge_lines},
      {"claims", s.claims},
      {"secondary claims", s.secondary_claims},
      {"replacement claims", s.replacement_claims},
      {"void claims", s.void_claims},
      {"rejections", s.rejections},
      {"remittances", s.remittances},
      {"adjudications", s.adjudications},
      {"denials", s.denials},
      {"appeals filed", s.appeals_filed},
      {"appeals overturned", s.appeals_overturned},
      {"appeals upheld", s.appeals_upheld},
      {"reversals", s.reversals},
      {"statements", s.statements},
      {"patient payments", s.patient_payments},
      {"refunds", s.refunds},
      {"write-offs", s.write_offs},
      {"claims verified", s.claims_verified},
  };
  absl::StrAppend(&out, "\ncounts:\n");
  for (const auto& [label, n] : counts)
    absl::StrAppend(&out, absl::StrFormat("  %-28s %8d\n", label, n));
  const std::vector<std::pair<const char*, int64_t>> money = {
      {"charges", s.charges_cents},
      {"remitted by payers", s.remitted_cents},
      {"payer payments", s.payer_paid_cents},
      {"contractual adjustments", s.contractual_cents},
      {"other adjustments", s.other_adjustment_cents},
      {"provider adjustments", s.provider_adjustment_cents},
      {"patient responsibility", s.patient_responsibility_cents},
      {"denied", s.denied_cents},
      {"patient payments", s.patient_payments_cents},
      {"refunds", s.refunds_cents},
      {"written off", s.written_off_cents},
      {"open payer AR", s.payer_balance_cents},
      {"open patient AR", s.patient_balance_cents},
      {"patient credit", s.patient_credit_cents},
  };
  absl::StrAppend(&out, "\nmoney:\n");
  for (const auto& [label, cents] : money) {
    absl::StrAppend(&out, absl::StrFormat("  %-28s %16s\n", label, FormatDollars(cents)));
  }
  return out;
}

std::string DemoSummaryJson(const DemoSummary& s) {
  rcl::cli::JsonWriter w;
  w.BeginObject();
  w.Key("seed").Uint(s.seed);
  w.Key("patients").Int(s.patients);
  w.Key("days").Int(s.days);
  w.Key("first_date").String(s.first_date);
  w.Key("last_date").String(s.last_date);
  w.Key("through_date").String(s.through_date);
  w.Key("commands").Int(s.commands);
  w.Key("commands_by_type").BeginObject();
  for (const auto& [kind, count] : s.commands_by_type) w.Key(kind).Int(count);
  w.EndObject();
  w.Key("first_position").Uint(s.first_position);
  w.Key("last_position").Uint(s.last_position);
  w.Key("positions_digest").String(s.positions_digest);
  const std::vector<std::pair<const char*, int64_t>> fields = {
      {"coverages", s.coverages},
      {"secondary_coverages", s.secondary_coverages},
      {"encounters", s.encounters},
      {"charge_lines", s.charge_lines},
      {"claims", s.claims},
      {"secondary_claims", s.secondary_claims},
      {"replacement_claims", s.replacement_claims},
      {"void_claims", s.void_claims},
      {"rejections", s.rejections},
      {"remittances", s.remittances},
      {"adjudications", s.adjudications},
      {"denials", s.denials},
      {"appeals_filed", s.appeals_filed},
      {"appeals_overturned", s.appeals_overturned},
      {"appeals_upheld", s.appeals_upheld},
      {"reversals", s.reversals},
      {"statements", s.statements},
      {"patient_payments", s.patient_payments},
      {"refunds", s.refunds},
      {"write_offs", s.write_offs},
      {"claims_verified", s.claims_verified},
      {"charges_cents", s.charges_cents},
      {"remitted_cents", s.remitted_cents},
      {"payer_paid_cents", s.payer_paid_cents},
      {"contractual_cents", s.contractual_cents},
      {"other_adjustment_cents", s.other_adjustment_cents},
      {"provider_adjustment_cents", s.provider_adjustment_cents},
      {"patient_responsibility_cents", s.patient_responsibility_cents},
      {"denied_cents", s.denied_cents},
      {"patient_payments_cents", s.patient_payments_cents},
      {"refunds_cents", s.refunds_cents},
      {"written_off_cents", s.written_off_cents},
      {"payer_balance_cents", s.payer_balance_cents},
      {"patient_balance_cents", s.patient_balance_cents},
      {"patient_credit_cents", s.patient_credit_cents},
  };
  for (const auto& [key, value] : fields) w.Key(key).Int(value);
  w.EndObject();
  return w.str();
}

}  // namespace rcl::demo
