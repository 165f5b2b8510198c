#include "projections/claims_queries.h"

#include <array>
#include <functional>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "ledger/status.h"
#include "projections/claim_row.h"
#include "projections/claims_projection.h"
#include "projections/keys.h"
#include "rcl/store/projection_rows.pb.h"

namespace rcl::projections {
namespace {

uint32_t PageLimit(uint32_t limit) {
  if (limit == 0) return kReportPageDefault;
  return std::min(limit, kReportPageMax);
}

// Page tokens are the hex of the last key returned (after the table's
// tenant prefix); the next page starts after it.
std::string Token(std::string_view key, std::string_view prefix) {
  return absl::BytesToHexString(
      absl::string_view(key.data() + prefix.size(), key.size() - prefix.size()));
}
absl::StatusOr<std::string> StartAfter(std::string_view token, std::string_view prefix) {
  if (token.empty()) return std::string();
  std::string bytes = absl::HexStringToBytes(absl::string_view(token.data(), token.size()));
  if (absl::BytesToHexString(bytes) !=
      absl::AsciiStrToLower(absl::string_view(token.data(), token.size()))) {
    return absl::InvalidArgumentError("page_token: not a token this report returned");
  }
  // The smallest key after prefix + bytes.
  return std::string(prefix) + bytes + std::string(1, '\0');
}

// One page of a dated queue (keys: tag tenant 0x00 date 0x00 id, by date):
// calls `add(date, id)` for each entry after `page_token` whose date is at
// most `last_date`, at most `limit` of them, and returns the next page's
// token ("" when the queue ends here).
absl::StatusOr<std::string> PageDatedQueue(
    const StateReader& reader, char tag, std::string_view tenant, std::string_view page_token,
    std::string_view last_date, uint32_t limit,
    const std::function<absl::Status(std::string_view date, std::string_view id)>& add) {
  std::string prefix = Key(tag, tenant, {}, /*trailing_separator=*/true);
  RCL_ASSIGN_OR_RETURN(std::string start, StartAfter(page_token, prefix));
  uint32_t added = 0;
  std::string last_key;
  std::string next_token;
  absl::Status bad;
  RCL_RETURN_IF_ERROR(reader.Scan(prefix, start, [&](std::string_view key, std::string_view) {
    std::vector<std::string_view> parts = SplitKey(key, prefix);
    if (parts.size() != 2) {
      bad = absl::DataLossError("projection store: malformed queue key");
      return false;
    }
    if (parts[0] > last_date) return false;
    if (added == limit) {
      next_token = Token(last_key, prefix);
      return false;
    }
    bad = add(parts[0], parts[1]);
    if (!bad.ok()) return false;
    ++added;
    last_key = std::string(key);
    return true;
  }));
  RCL_RETURN_IF_ERROR(bad);
  return next_token;
}

int64_t DaysBetween(std::string_view from, std::string_view to) {
  absl::CivilDay a;
  absl::CivilDay b;
  if (!ParseDay(from, &a) || !ParseDay(to, &b)) return 0;
  return b - a;
}

std::string ShiftDays(std::string_view date, int64_t days) {
  absl::CivilDay d;
  if (!ParseDay(date, &d)) return std::string(date);
  return absl::FormatCivilTime(d + days);
}

using Buckets = std::array<int64_t, kAgingBuckets>;

struct AgingTotals {
  std::map<std::string, std::pair<Buckets, int64_t>> rows;  // key -> buckets, credit
  Buckets buckets{};
  int64_t credit = 0;
  void Add(const std::string& key, int64_t age_days, int64_t debit, int64_t credit_cents) {
    auto& row = rows[key];
    if (debit != 0) {
      row.first[AgingBucket(age_days)] += debit;
      buckets[AgingBucket(age_days)] += debit;
    }
    row.second += credit_cents;
    credit += credit_cents;
  }
};

void FillBuckets(const Buckets& b, google::protobuf::RepeatedPtrField<rcl::v1::AgingBucket>* out) {
  for (int i = 0; i < kAgingBuckets; ++i) {
    auto* bucket = out->Add();
    bucket->set_label(kAgingLabels[i]);
    bucket->set_amount_cents(b[i]);
  }
}

// Today's aging from the cells (one per key and basis date).
absl::Status AgingFromCells(const StateReader& reader, std::string_view tenant,
                            std::string_view table, std::string_view as_of, AgingTotals* totals) {
  std::string prefix = Key(kAgingTag, tenant, {table}, /*trailing_separator=*/true);
  absl::Status bad;
  RCL_RETURN_IF_ERROR(reader.Scan(prefix, "", [&](std::string_view key, std::string_view value) {
    std::vector<std::string_view> parts = SplitKey(key, prefix);
    store::AgingCell cell;
    if (parts.size() != 2 || !cell.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      bad = absl::DataLossError("projection store: malformed aging cell");
      return false;
    }
    totals->Add(std::string(parts[0]), DaysBetween(parts[1], as_of), cell.debit_cents(),
                cell.credit_cents());
    return true;
  }));
  return bad;
}

// Aging as of a past date: each claim's balance history up to it (claim
// rows and history entries both sort by claim id: one merged pass).
absl::Status AgingFromHistory(const StateReader& reader, std::string_view tenant,
                              bool submission_basis, bool payer, std::string_view as_of,
                              AgingTotals* totals) {
  std::string claims = Key(kClaimTag, tenant, {}, /*trailing_separator=*/true);
  std::string history = Key(kHistoryTag, tenant, {}, /*trailing_separator=*/true);
  absl::Status bad;
  std::map<std::string, int64_t> balances;  // of one claim at a time
  auto add_claim = [&](std::string_view claim_id, std::string_view row_bytes) -> bool {
    store::ClaimRow row;
    if (!row.ParseFromArray(row_bytes.data(), static_cast<int>(row_bytes.size()))) {
      bad = absl::DataLossError("projection store: undecodable claim row");
      return false;
    }
    // Sum the claim's balance changes effective on or before the date.
    int64_t balance = 0;
    std::string prefix = history + std::string(claim_id) + std::string(1, '\0');
    bad = reader.Scan(prefix, "", [&](std::string_view key, std::string_view value) {
      if (key.substr(prefix.size(), 10) > as_of) return false;
      store::BalanceDelta delta;
      if (!delta.ParseFromArray(value.data(), static_cast<int>(value.size()))) return false;
      balance += payer ? delta.payer_cents() : delta.patient_cents();
      return true;
    });
    if (!bad.ok()) return false;
    if (balance == 0) return true;
    std::string basis = row.date_of_service();
    if (submission_basis && !row.first_submitted_date().empty() &&
        row.first_submitted_date() <= as_of) {
      basis = row.first_submitted_date();
    }
    totals->Add(payer ? row.payer_id() : row.patient_id(), DaysBetween(basis, as_of),
                balance > 0 ? balance : 0, balance < 0 ? balance : 0);
    return true;
  };
  RCL_RETURN_IF_ERROR(reader.Scan(claims, "", [&](std::string_view key, std::string_view value) {
    return add_claim(key.substr(claims.size()), value);
  }));
  return bad;
}

}  // namespace

int AgingBucket(int64_t age_days) {
  if (age_days <= 30) return 0;
  if (age_days <= 60) return 1;
  if (age_days <= 90) return 2;
  if (age_days <= 120) return 3;
  return 4;
}

absl::StatusOr<rcl::v1::BalancesResponse> QueryBalances(const StateReader& reader,
                                                        const rcl::v1::BalancesRequest& request) {
  rcl::v1::BalancesResponse out;
  out.set_as_of_position(reader.checkpoint());
  const std::string& tenant = request.tenant();
  store::BalanceTotals totals;
  if (!request.claim_id().empty()) {
    out.set_scope("claim");
    out.set_key(request.claim_id());
    store::ClaimRow row;
    RCL_ASSIGN_OR_RETURN(bool found,
                         reader.GetProto(Key(kClaimTag, tenant, {request.claim_id()}), &row));
    if (!found)
      return absl::NotFoundError(absl::StrCat("claim ", request.claim_id(), " does not exist"));
    totals = AmountsOf(row);
  } else {
    std::string_view kind = kTenantTotals;
    std::string key;
    out.set_scope("tenant");
    if (!request.patient_id().empty()) {
      kind = kPatientTotals;
      key = request.patient_id();
      out.set_scope("patient");
    } else if (!request.payer_id().empty()) {
      kind = kPayerTotals;
      key = request.payer_id();
      out.set_scope("payer");
    }
    out.set_key(key);
    RCL_RETURN_IF_ERROR(reader.GetProto(Key(kTotalsTag, tenant, {kind, key}), &totals).status());
  }
  ToApi(totals, out.mutable_amounts());
  return out;
}

absl::StatusOr<rcl::v1::ArAgingResponse> QueryAging(const StateReader& reader,
                                                    const rcl::v1::ArAgingRequest& request,
                                                    std::string_view as_of) {
  const std::string& tenant = request.tenant();
  const bool submission = request.basis() == rcl::v1::AGING_BASIS_SUBMISSION;
  const bool payer = request.side() != rcl::v1::AGING_SIDE_PATIENT;
  store::TenantRow tenant_row;
  RCL_RETURN_IF_ERROR(reader.GetProto(Key(kTenantTag, tenant, {}), &tenant_row).status());
  AgingTotals totals;
  if (as_of >= tenant_row.max_effective_date()) {
    std::string table = std::string(submission ? kBasisSubmission : kBasisService) +
                        (payer ? kSidePayer : kSidePatient);
    RCL_RETURN_IF_ERROR(AgingFromCells(reader, tenant, table, as_of, &totals));
  } else {
    RCL_RETURN_IF_ERROR(AgingFromHistory(reader, tenant, submission, payer, as_of, &totals));
  }
  rcl::v1::ArAgingResponse out;
  out.set_as_of_position(reader.checkpoint());
  out.set_as_of_date(std::string(as_of));
  FillBuckets(totals.buckets, out.mutable_buckets());
  int64_t total = 0;
  for (int64_t b : totals.buckets) total += b;
  out.set_total_cents(total);
  out.set_credit_total_cents(totals.credit);
  // Rows by key, paged (the token is the hex of the last key returned).
  std::string after;
  if (!request.page_token().empty()) {
    std::string bytes = absl::HexStringToBytes(request.page_token());
    if (absl::BytesToHexString(bytes) != absl::AsciiStrToLower(request.page_token())) {
      return absl::InvalidArgumentError("page_token: not a token this report returned");
    }
    after = bytes;
  }
  uint32_t limit = PageLimit(request.limit());
  auto it = after.empty() ? totals.rows.begin() : totals.rows.upper_bound(after);
  for (; it != totals.rows.end(); ++it) {
    const auto& [key, row] = *it;
    int64_t row_total = 0;
    for (int64_t b : row.first) row_total += b;
    if (row_total == 0 && row.second == 0) continue;
    if (static_cast<uint32_t>(out.rows_size()) == limit) {
      out.set_next_page_token(absl::BytesToHexString(out.rows(out.rows_size() - 1).key()));
      break;
    }
    rcl::v1::AgingRow* r = out.add_rows();
    r->set_key(key);
    FillBuckets(row.first, r->mutable_buckets());
    r->set_total_cents(row_total);
    r->set_credit_cents(row.second);
  }
  return out;
}

absl::StatusOr<rcl::v1::DenialsResponse> QueryDenials(const StateReader& reader,
                                                      const rcl::v1::DenialsRequest& request) {
  const std::string& tenant = request.tenant();
  std::string prefix = Key(kDenialTag, tenant, {}, /*trailing_separator=*/true);
  RCL_ASSIGN_OR_RETURN(std::string start, StartAfter(request.page_token(), prefix));
  uint32_t limit = PageLimit(request.limit());
  rcl::v1::DenialsResponse out;
  out.set_as_of_position(reader.checkpoint());
  absl::Status bad;
  RCL_RETURN_IF_ERROR(reader.Scan(prefix, start, [&](std::string_view key, std::string_view) {
    std::string claim_id(key.substr(prefix.size()));
    store::ClaimRow row;
    absl::StatusOr<bool> found = reader.GetProto(Key(kClaimTag, tenant, {claim_id}), &row);
    if (!found.ok() || !*found) {
      bad = found.ok() ? absl::DataLossError("projection store: a denial without its claim")
                       : found.status();
      return false;
    }
    if (!request.payer_id().empty() && row.payer_id() != request.payer_id()) return true;
    if (!request.reason_code().empty() &&
        std::find(row.denial_reason_codes().begin(), row.denial_reason_codes().end(),
                  request.reason_code()) == row.denial_reason_codes().end()) {
      return true;
    }
    if (static_cast<uint32_t>(out.denials_size()) == limit) {
      out.set_next_page_token(
          Token(Key(kDenialTag, tenant, {out.denials(limit - 1).claim_id()}), prefix));
      return false;
    }
    rcl::v1::DenialRow* d = out.add_denials();
    d->set_claim_id(claim_id);
    d->set_payer_id(row.payer_id());
    d->set_date_of_service(row.date_of_service());
    d->set_status(std::string(StatusName(row)));
    d->set_denied(row.has_adjudication() && row.adjudication().denied());
    d->set_denied_cents(row.denied_cents());
    d->set_payer_balance_cents(PayerBalance(row));
    *d->mutable_reason_codes() = row.denial_reason_codes();
    d->set_adjudicated_date(row.adjudicated_date());
    d->set_open_appeals(row.open_appeals());
    return true;
  }));
  RCL_RETURN_IF_ERROR(bad);
  out.set_count(out.denials_size());
  return out;
}

absl::StatusOr<rcl::v1::AppealsDueResponse> QueryAppealsDue(
    const StateReader& reader, const rcl::v1::AppealsDueRequest& request, std::string_view as_of) {
  const std::string& tenant = request.tenant();
  uint32_t within = request.within_days() == 0 ? kQueueDaysDefault : request.within_days();
  rcl::v1::AppealsDueResponse out;
  out.set_as_of_position(reader.checkpoint());
  out.set_as_of_date(std::string(as_of));
  auto add = [&](std::string_view deadline, std::string_view appeal_id) -> absl::Status {
    store::AppealRow row;
    RCL_RETURN_IF_ERROR(reader.GetProto(Key(kAppealTag, tenant, {appeal_id}), &row).status());
    rcl::v1::AppealDueRow* a = out.add_appeals();
    a->set_appeal_id(std::string(appeal_id));
    a->set_claim_id(row.claim_id());
    a->set_level(row.level());
    a->set_filed_date(row.filed_date());
    a->set_deadline(std::string(deadline));
    a->set_days_left(static_cast<int32_t>(DaysBetween(as_of, deadline)));
    return absl::OkStatus();
  };
  RCL_ASSIGN_OR_RETURN(*out.mutable_next_page_token(),
                       PageDatedQueue(reader, kAppealDueTag, tenant, request.page_token(),
                                      ShiftDays(as_of, within), PageLimit(request.limit()), add));
  return out;
}

absl::StatusOr<rcl::v1::NoResponseResponse> QueryNoResponse(
    const StateReader& reader, const rcl::v1::NoResponseRequest& request, std::string_view as_of) {
  const std::string& tenant = request.tenant();
  uint32_t days = request.days() == 0 ? kQueueDaysDefault : request.days();
  rcl::v1::NoResponseResponse out;
  out.set_as_of_position(reader.checkpoint());
  out.set_as_of_date(std::string(as_of));
  auto add = [&](std::string_view submitted, std::string_view claim_id) -> absl::Status {
    store::ClaimRow row;
    RCL_RETURN_IF_ERROR(reader.GetProto(Key(kClaimTag, tenant, {claim_id}), &row).status());
    rcl::v1::NoResponseRow* c = out.add_claims();
    c->set_claim_id(std::string(claim_id));
    c->set_payer_id(row.payer_id());
    c->set_submitted_date(std::string(submitted));
    c->set_days(static_cast<int32_t>(DaysBetween(submitted, as_of)));
    c->set_payer_balance_cents(PayerBalance(row));
    return absl::OkStatus();
  };
  RCL_ASSIGN_OR_RETURN(*out.mutable_next_page_token(),
                       PageDatedQueue(reader, kAwaitingTag, tenant, request.page_token(),
                                      ShiftDays(as_of, -static_cast<int64_t>(days)),
                                      PageLimit(request.limit()), add));
  return out;
}

absl::StatusOr<rcl::v1::StatementsDueResponse> QueryStatementsDue(
    const StateReader& reader, const rcl::v1::StatementsDueRequest& request,
    std::string_view as_of) {
  const std::string& tenant = request.tenant();
  uint32_t days = request.days() == 0 ? kQueueDaysDefault : request.days();
  rcl::v1::StatementsDueResponse out;
  out.set_as_of_position(reader.checkpoint());
  out.set_as_of_date(std::string(as_of));
  auto add = [&](std::string_view last_statement, std::string_view patient_id) -> absl::Status {
    store::PatientRow row;
    RCL_RETURN_IF_ERROR(reader.GetProto(Key(kPatientTag, tenant, {patient_id}), &row).status());
    rcl::v1::StatementDueRow* p = out.add_patients();
    p->set_patient_id(std::string(patient_id));
    p->set_patient_balance_cents(row.patient_balance_cents());
    p->set_last_statement_date(std::string(last_statement));
    return absl::OkStatus();
  };
  // No statement after this date ("" = never sorts first).
  RCL_ASSIGN_OR_RETURN(*out.mutable_next_page_token(),
                       PageDatedQueue(reader, kStatementTag, tenant, request.page_token(),
                                      ShiftDays(as_of, -static_cast<int64_t>(days)),
                                      PageLimit(request.limit()), add));
  return out;
}

}  // namespace rcl::projections
