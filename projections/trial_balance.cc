#include "projections/trial_balance.h"

#include "absl/strings/str_cat.h"
#include "ledger/status.h"
#include "projections/keys.h"
#include "projections/log_feed.h"
#include "rcl/store/projection_rows.pb.h"

namespace rcl::projections {
namespace {

constexpr char kBalanceTag = 'B';
constexpr char kDayTag = 'D';
constexpr char kTenantTag = 'M';

// As ledger::CheckBalanced, over the parsed payload's own postings.
absl::Status CheckBalanced(const PostingsView& postings) {
  int64_t sum = 0;
  for (int i = 0; i < postings.size(); ++i) {
    const rcl::v1::Posting& p = postings[i];
    if (p.account().empty()) return absl::InternalError("posting without an account");
    if (p.amount_cents() == 0) return absl::InternalError("posting of zero cents");
    if (__builtin_add_overflow(sum, p.amount_cents(), &sum))
      return absl::InternalError("postings overflow");
  }
  if (sum != 0)
    return absl::InternalError(absl::StrCat("postings do not balance: off by ", sum, " cents"));
  return absl::OkStatus();
}

}  // namespace

absl::Status TrialBalanceProjection::Apply(const LogEvent& le, StateTxn& txn) const {
  const ledger::RecordView& e = le.record;
  if (le.undecodable && CarriesPostings(le))
    return absl::DataLossError(absl::StrCat("undecodable ", AbslView(e.type), " payload"));
  const PostingsView postings = PostingsOf(le);
  if (postings.empty()) return absl::OkStatus();
  RCL_RETURN_IF_ERROR(CheckBalanced(postings));
  std::string date = EventDate(e);
  for (int i = 0; i < postings.size(); ++i) {
    const rcl::v1::Posting& p = postings[i];
    RCL_RETURN_IF_ERROR(txn.AddInt64(Key(kBalanceTag, e.tenant, {p.account()}), p.amount_cents()));
    RCL_RETURN_IF_ERROR(
        txn.AddInt64(Key(kDayTag, e.tenant, {p.account(), date}), p.amount_cents()));
  }
  RCL_ASSIGN_OR_RETURN(store::TenantRow * tenant,
                       txn.Mutable<store::TenantRow>(Key(kTenantTag, e.tenant, {})));
  if (date > tenant->max_effective_date()) tenant->set_max_effective_date(date);
  return absl::OkStatus();
}

absl::StatusOr<rcl::v1::TrialBalanceResponse> QueryTrialBalance(const StateReader& reader,
                                                                std::string_view tenant,
                                                                std::string_view as_of_date) {
  rcl::v1::TrialBalanceResponse out;
  out.set_as_of_position(reader.checkpoint());
  out.set_as_of_date(std::string(as_of_date));
  store::TenantRow row;
  RCL_RETURN_IF_ERROR(reader.GetProto(Key(kTenantTag, tenant, {}), &row).status());
  const bool all = as_of_date.empty() || as_of_date >= row.max_effective_date();
  absl::Status decoded;
  int64_t total = 0;
  auto emit = [&](std::string_view account, int64_t balance) {
    if (balance == 0) return;
    auto* a = out.add_accounts();
    a->set_account(std::string(account));
    a->set_balance_cents(balance);
    total += balance;
  };
  if (all) {
    std::string prefix = Key(kBalanceTag, tenant, {}, /*trailing_separator=*/true);
    RCL_RETURN_IF_ERROR(reader.Scan(prefix, "", [&](std::string_view key, std::string_view value) {
      absl::StatusOr<int64_t> v = DecodeInt64(value);
      if (!v.ok()) decoded = v.status();
      emit(key.substr(prefix.size()), v.value_or(0));
      return v.ok();
    }));
  } else {
    // Sum each account's dated postings up to the date (keys sort by
    // account, then date).
    std::string prefix = Key(kDayTag, tenant, {}, /*trailing_separator=*/true);
    std::string account;
    int64_t balance = 0;
    RCL_RETURN_IF_ERROR(reader.Scan(prefix, "", [&](std::string_view key, std::string_view value) {
      std::vector<std::string_view> parts = SplitKey(key, prefix);
      if (parts.size() != 2) {
        decoded = absl::DataLossError("projection store: malformed trial balance key");
        return false;
      }
      if (parts[0] != account) {
        emit(account, balance);
        account = std::string(parts[0]);
        balance = 0;
      }
      if (parts[1] > as_of_date) return true;
      absl::StatusOr<int64_t> v = DecodeInt64(value);
      if (!v.ok()) decoded = v.status();
      balance += v.value_or(0);
      return v.ok();
    }));
    emit(account, balance);
  }
  RCL_RETURN_IF_ERROR(decoded);
  out.set_total_cents(total);
  return out;
}

}  // namespace rcl::projections
