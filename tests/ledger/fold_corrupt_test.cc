// Regression tests of record_fuzz (fuzz/record_fuzz.cc) findings: events
// read back from the log are outside input, and a corrupt payload whose
// amounts overflow int64 cents when folded must make the fold DATA_LOSS
// (before the fix the sums overflowed: undefined behaviour, reported by
// UBSan). Each case folds a stream whose earlier events are fine (they must
// fold OK: the same payloads with ordinary amounts are ordinary events) and
// whose last event overflows, from its bytes (as replay does) and from the
// parsed message (as the projections do).
//
// Also the deciders that read a stored amount back: VoidOfStoredChargeTest
// (a finding of the sanitized run, docs/RELIABILITY.md).
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "ledger/rules/commands.h"
#include "ledger/rules/state.h"
#include "rcl/v1/events.pb.h"

namespace rcl::ledger {
namespace {

struct Event {
  std::string type;
  std::string text;  // the payload in protobuf text format
};

struct OverflowCase {
  std::string name;
  std::vector<Event> events;  // all fold OK but the last, which overflows
};

// ctest prints the case's name, not its bytes.
void PrintTo(const OverflowCase& c, std::ostream* os) { *os << c.name; }

std::unique_ptr<google::protobuf::Message> Parse(const Event& e) {
  const google::protobuf::Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName("rcl.v1." + e.type);
  EXPECT_NE(d, nullptr) << e.type;
  std::unique_ptr<google::protobuf::Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(e.text, m.get())) << e.text;
  return m;
}

constexpr char kMax[] = "9223372036854775807";
constexpr char kMin[] = "-9223372036854775808";

std::string With(std::string text, const std::string& amount) {
  const size_t at = text.find('#');
  return text.replace(at, 1, amount);
}

std::vector<OverflowCase> Cases() {
  const std::string charge = "encounter_id: 'E1' line_number: 1 amount_cents: #";
  const std::string charge2 = "encounter_id: 'E1' line_number: 2 amount_cents: #";
  const std::string pr_line =
      "claim_id: 'C1' lines { line_number: 1 adjustments { group: ADJUSTMENT_GROUP_PR "
      "reason_code: '1' amount_cents: # } adjustments { group: ADJUSTMENT_GROUP_PR "
      "reason_code: '2' amount_cents: # } }";
  const std::string write_off =
      "claim_id: 'C1' reason: WRITE_OFF_REASON_SMALL_BALANCE side: BALANCE_SIDE_PAYER "
      "amount_cents: #";
  return {
      {"EncounterClaimedBillsInt64MinFromNothing",
       {{"EncounterClaimed", With("encounter_id: 'E1' claim_id: 'C1' billed_cents: #", kMin)}}},
      {"TwoChargesOfInt64MaxCents",
       {{"ChargeRecorded", With(charge, kMax)}, {"ChargeRecorded", With(charge2, kMax)}}},
      {"TwoPatientResponsibilityAdjustmentsOfInt64MaxOnOneLine",
       {{"ClaimCreated", "claim_id: 'C1' lines { line_number: 1 charge_cents: 100 }"},
        {"ClaimAdjudicated", With(With(pr_line, kMax), kMax)}}},
      {"WriteOffsBelowInt64Min",
       {{"ClaimCreated", "claim_id: 'C1'"},
        {"ClaimWrittenOff", With(write_off, kMin)},
        {"ClaimWrittenOff", With(write_off, "-1")}}},
      // The input record_fuzz found against the unfixed fold (UBSan: "0 -
      // -9223372036854775808 cannot be represented"), kept in
      // fuzz/corpus/record_fuzz/regression_write_off_reversed_overflow.
      {"WriteOffReversedByInt64MinOnNothingWrittenOff",
       {{"ClaimCreated", "claim_id: 'C1'"}, {"ClaimWriteOffReversed", With(write_off, kMin)}}},
      {"PatientCreditAboveInt64Max",
       {{"PatientRegistered", "patient_id: 'P1'"},
        {"PatientPaymentReceived", With("patient_id: 'P1' unapplied_cents: #", kMax)},
        {"PatientPaymentReceived", With("patient_id: 'P1' unapplied_cents: #", "1")}}},
  };
}

class FoldOverflowTest : public testing::TestWithParam<OverflowCase> {};

TEST_P(FoldOverflowTest, IsDataLossFromBytesAndFromParsedMessages) {
  const std::vector<Event>& events = GetParam().events;
  StreamState from_bytes, from_parsed;
  for (size_t i = 0; i < events.size(); ++i) {
    std::unique_ptr<google::protobuf::Message> m = Parse(events[i]);
    const absl::Status a = FoldEvent(&from_bytes, events[i].type, m->SerializeAsString());
    const absl::Status b = FoldParsedEvent(&from_parsed, *m);
    if (i + 1 < events.size()) {
      ASSERT_TRUE(a.ok()) << events[i].type << ": " << a;
      ASSERT_TRUE(b.ok()) << events[i].type << ": " << b;
      continue;
    }
    EXPECT_EQ(a.code(), absl::StatusCode::kDataLoss) << a;
    EXPECT_EQ(b.code(), absl::StatusCode::kDataLoss) << b;
    EXPECT_NE(a.message().find("overflow int64"), absl::string_view::npos) << a;
    EXPECT_NE(a.message().find(events[i].type), absl::string_view::npos) << a;
  }
}

INSTANTIATE_TEST_SUITE_P(StoredAmounts, FoldOverflowTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<OverflowCase>& info) {
                           return info.param.name;
                         });

// The same streams with ordinary amounts fold: the overflow check refuses
// only what overflows.
TEST(FoldOverflowTest, OrdinaryAmountsStillFold) {
  StreamState encounter;
  for (const char* amount : {"15000", "25000"}) {
    rcl::v1::ChargeRecorded e;
    e.set_encounter_id("E1");
    e.set_line_number(amount[0] == '1' ? 1 : 2);
    e.set_amount_cents(std::stoll(amount));
    ASSERT_TRUE(FoldEvent(&encounter, "ChargeRecorded", e.SerializeAsString()).ok());
  }
  rcl::v1::EncounterClaimed claimed;
  claimed.set_encounter_id("E1");
  claimed.set_claim_id("C1");
  claimed.set_billed_cents(40000);
  ASSERT_TRUE(FoldEvent(&encounter, "EncounterClaimed", claimed.SerializeAsString()).ok());
  ASSERT_TRUE(std::holds_alternative<EncounterState>(encounter.aggregate));
  EXPECT_EQ(std::get<EncounterState>(encounter.aggregate).unbilled_cents, 0);
}

// A StateView over streams the test folded; a stream it never folded does
// not exist (version -1).
class FoldedView : public StateView {
 public:
  absl::StatusOr<const StreamState*> Get(const std::string& stream) override {
    return &streams[stream];
  }
  absl::CivilDay Today() const override { return absl::CivilDay(2026, 12, 1); }
  std::map<std::string, StreamState> streams;
};

// Encounter E1, open for coding, with one stored charge line of `cents`.
void FoldEncounterWithCharge(FoldedView& view, int64_t cents) {
  StreamState& encounter = view.streams[EncounterStream("E1")];
  rcl::v1::EncounterOpened opened;
  opened.set_encounter_id("E1");
  opened.set_patient_id("P1");
  opened.set_date_of_service("2026-11-02");
  ASSERT_TRUE(FoldEvent(&encounter, "EncounterOpened", opened.SerializeAsString()).ok());
  rcl::v1::ChargeRecorded charge;
  charge.set_encounter_id("E1");
  charge.set_line_number(1);
  charge.set_amount_cents(cents);
  ASSERT_TRUE(FoldEvent(&encounter, "ChargeRecorded", charge.SerializeAsString()).ok());
  encounter.version = 1;
}

rcl::v1::Command VoidLineOne() {
  rcl::v1::Command command;
  command.mutable_void_charge()->set_encounter_id("E1");
  command.mutable_void_charge()->set_line_number(1);
  command.mutable_void_charge()->set_reason("duplicate");
  return command;
}

// Found by the sanitized run (ops/test --sanitize): voiding a charge negated
// its stored amount for the credit posting, unchecked. A damaged
// ChargeRecorded of INT64_MIN cents folds (one charge overflows no sum), and
// voiding it was undefined behaviour (UBSan: "negation of
// -9223372036854775808 cannot be represented"); zero or negative stored
// amounts gave postings no request could make. Now DATA_LOSS, nothing decided.
class VoidOfStoredChargeTest : public testing::TestWithParam<int64_t> {};

TEST_P(VoidOfStoredChargeTest, ANonPositiveStoredAmountIsDataLoss) {
  FoldedView view;
  ASSERT_NO_FATAL_FAILURE(FoldEncounterWithCharge(view, GetParam()));
  absl::StatusOr<Decision> decided = Decide(VoidLineOne(), view);
  EXPECT_EQ(decided.status().code(), absl::StatusCode::kDataLoss) << decided.status();
  EXPECT_NE(decided.status().message().find("non-positive amount"), absl::string_view::npos)
      << decided.status();
}

INSTANTIATE_TEST_SUITE_P(StoredAmounts, VoidOfStoredChargeTest,
                         testing::Values(INT64_MIN, int64_t{-2500}, int64_t{0}),
                         [](const testing::TestParamInfo<int64_t>& info) -> std::string {
                           if (info.param == INT64_MIN) return "Int64Min";
                           return info.param < 0 ? "Negative" : "Zero";
                         });

TEST(VoidOfStoredChargeTest, APositiveStoredAmountIsVoidedByItsExactNegation) {
  FoldedView view;
  ASSERT_NO_FATAL_FAILURE(FoldEncounterWithCharge(view, 2500));
  absl::StatusOr<Decision> decided = Decide(VoidLineOne(), view);
  ASSERT_TRUE(decided.ok()) << decided.status();
  ASSERT_EQ(decided->events.size(), 1u);
  rcl::v1::ChargeVoided voided;
  ASSERT_TRUE(voided.ParseFromString(decided->events[0].payload));
  EXPECT_EQ(voided.amount_cents(), 2500);
  ASSERT_EQ(voided.postings_size(), 2);
  EXPECT_EQ(voided.postings(0).amount_cents(), 2500);
  EXPECT_EQ(voided.postings(1).amount_cents(), -2500);
}

}  // namespace
}  // namespace rcl::ledger
