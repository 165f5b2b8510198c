// Postings: balanced before they are written, and checked again when read
// back from the log.
#include "ledger/postings.h"

#include <iterator>
#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/replay.h"
#include "ledger/rules/state.h"
#include "ledger/storage/codec.h"
#include "tests/testing/ledger_fixture.h"

namespace rcl::ledger {
namespace {

using testing::kTenant;

rcl::v1::Posting P(const std::string& account, int64_t cents) {
  rcl::v1::Posting p;
  p.set_account(account);
  p.set_amount_cents(cents);
  return p;
}

// A debit and its credit of any int64, INT64_MIN included (its negation wraps
// to itself, so the pair overflows): AddPostingPair takes only amounts > 0.
void AddAnyPair(google::protobuf::RepeatedPtrField<rcl::v1::Posting>* postings,
                const std::string& debit, const std::string& credit, int64_t cents) {
  *postings->Add() = P(debit, cents);
  *postings->Add() = P(credit, static_cast<int64_t>(0 - static_cast<uint64_t>(cents)));
}

TEST(PostingsTest, BalancedMeansNonZeroAmountsOnNamedAccountsSummingToZero) {
  EXPECT_TRUE(CheckBalanced({}).ok());
  EXPECT_TRUE(CheckBalanced({P("ar:unbilled", 15000), P("revenue:gross_charges", -15000)}).ok());
  EXPECT_EQ(CheckBalanced({P("ar:unbilled", 15000), P("revenue:gross_charges", -14999)}).code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(CheckBalanced({P("ar:unbilled", 0)}).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(CheckBalanced({P("", 5), P("x", -5)}).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(CheckBalanced({P("a", INT64_MAX), P("b", 1), P("c", INT64_MIN)}).code(),
            absl::StatusCode::kInternal);
}

TEST(PostingsTest, PayloadCheckParsesFinancialTypesAndIgnoresOthers) {
  rcl::v1::ChargeRecorded charge;
  AddPostingPair(charge.mutable_postings(), "ar:unbilled", "revenue:gross_charges", 2500);
  EXPECT_TRUE(CheckPayloadBalanced("ChargeRecorded", charge.SerializeAsString()).ok());
  charge.mutable_postings(1)->set_amount_cents(-2499);
  absl::Status off = CheckPayloadBalanced("ChargeRecorded", charge.SerializeAsString());
  EXPECT_EQ(off.code(), absl::StatusCode::kInternal);
  EXPECT_NE(off.message().find("off by 1 cents"), std::string::npos) << off;
  EXPECT_EQ(CheckPayloadBalanced("ChargeRecorded", std::string("\xff\xff\xff", 3)).code(),
            absl::StatusCode::kInternal);
  // No postings field, or not an rcl.v1 message at all: nothing to balance.
  EXPECT_TRUE(CheckPayloadBalanced("PatientRegistered", std::string("\xff\xff\xff", 3)).ok());
  EXPECT_TRUE(CheckPayloadBalanced("NoSuchEvent", "anything").ok());
}

// The sealing check reads postings from the wire bytes; it must judge every
// payload exactly as parsing the message and checking its postings would
// (balanced, unbalanced, zero, unnamed, overflowing, truncated, with other
// fields between the postings).
TEST(PostingsTest, WireCheckAgreesWithParsingOnRandomPayloads) {
  std::mt19937_64 rng(20261201);
  const std::string kModifierField = absl::HexStringToBytes("2a023235");
  const int64_t kAmounts[] = {1, -1, 2500, -2500, 0, INT64_MAX, INT64_MIN, 99, -98};
  int disagreements = 0;
  int unbalanced = 0;
  for (int i = 0; i < 5000; ++i) {
    rcl::v1::ChargeRecorded charge;
    charge.set_encounter_id(absl::StrCat("E", i));
    const int n = static_cast<int>(rng() % 5);
    for (int k = 0; k < n; ++k) {
      const int64_t cents = kAmounts[rng() % std::size(kAmounts)];
      if (rng() % 2) {
        AddAnyPair(charge.mutable_postings(), rng() % 9 ? "ar:unbilled" : "", "revenue:x", cents);
      } else {
        *charge.add_postings() = P(rng() % 9 ? "a" : "", cents);
      }
    }
    std::string bytes = charge.SerializeAsString();
    // Another field after the postings (modifiers: "25", field 5).
    if (rng() % 3 == 0) bytes.append(kModifierField);
    if (rng() % 7 == 0 && !bytes.empty()) bytes.resize(rng() % bytes.size());  // truncated
    absl::Status wire = CheckPayloadBalanced("ChargeRecorded", bytes);
    auto parsed = PayloadPostings("ChargeRecorded", bytes);
    absl::Status reference = parsed.ok() ? CheckBalanced(*parsed) : parsed.status();
    if (wire.ok() != reference.ok()) {
      ++disagreements;
      ADD_FAILURE() << "payload " << i << ": wire says " << wire << ", parsing says " << reference;
    }
    // The deciders' check, on the message itself (as emitted), and the
    // folds', on its postings field: the same judgement.
    rcl::v1::ChargeRecorded message;
    if (message.ParseFromString(bytes)) {
      absl::Status emitted = CheckMessageBalanced(message);
      absl::Status folded = CheckBalancedField(message.postings());
      if (emitted.ok() != reference.ok() || folded.ok() != reference.ok()) {
        ++disagreements;
        ADD_FAILURE() << "payload " << i << ": message check says " << emitted
                      << ", field check says " << folded << ", parsing says " << reference;
      }
    }
    if (!reference.ok()) ++unbalanced;
  }
  EXPECT_EQ(disagreements, 0);
  EXPECT_GT(unbalanced, 500);  // the cases above exercised refusals, not only successes
}

// The credit of a pair is the negation of its debit: an amount without one
// (INT64_MIN), or one that is not a debit (zero, negative), is a bug in the
// caller, stopped before it is written.
TEST(PostingsTest, APostingPairOfANonPositiveAmountIsRefusedByItsCheck) {
  rcl::v1::ChargeRecorded charge;
  EXPECT_DEATH(AddPostingPair(charge.mutable_postings(), "a", "b", INT64_MIN),
               "RCL_CHECK\\(amount_cents > 0\\) failed");
  EXPECT_DEATH(AddPostingPair(charge.mutable_postings(), "a", "b", 0), "a posting pair of 0 cents");
  AddPostingPair(charge.mutable_postings(), "a", "b", INT64_MAX);
  ASSERT_EQ(charge.postings_size(), 2);
  EXPECT_EQ(charge.postings(1).amount_cents(), -INT64_MAX);
}

TEST(PostingsTest, ExtractFindsThePostingsOfAnyFinancialPayload) {
  rcl::v1::ChargeRecorded charge;
  AddPostingPair(charge.mutable_postings(), "ar:unbilled", "revenue:gross_charges", 2500);
  auto postings = ExtractPostings(charge);
  ASSERT_EQ(postings.size(), 2u);
  EXPECT_EQ(postings[0].account(), "ar:unbilled");
  EXPECT_EQ(postings[0].amount_cents(), 2500);
  EXPECT_EQ(postings[1].amount_cents(), -2500);
  EXPECT_TRUE(ExtractPostings(rcl::v1::PatientRegistered()).empty());
}

TEST(PostingsTest, AMessageWithoutPostingsIsBalancedAndAnUnbalancedOneIsNot) {
  EXPECT_TRUE(CheckMessageBalanced(rcl::v1::PatientRegistered()).ok());
  rcl::v1::ChargeRecorded charge;
  EXPECT_TRUE(CheckMessageBalanced(charge).ok());
  AddPostingPair(charge.mutable_postings(), "ar:unbilled", "revenue:gross_charges", 2500);
  EXPECT_TRUE(CheckMessageBalanced(charge).ok());
  charge.mutable_postings(1)->set_amount_cents(-2499);
  absl::Status off = CheckMessageBalanced(charge);
  EXPECT_EQ(off.code(), absl::StatusCode::kInternal);
  EXPECT_NE(std::string(off.message()).find("off by 1 cents"), std::string::npos) << off;
}

// A stored charge whose postings were altered so they no longer balance is
// refused when its stream is read back, and by Verify: the books never fold
// bad postings.
TEST(PostingsTest, UnbalancedPostingsReadBackAreDataLoss) {
  testing::ScratchDir dir;
  uint64_t charge_position = 0;
  {
    auto ledger = testing::OpenLedgerOrDie(testing::LedgerOptions(dir.path()));
    ASSERT_TRUE(ledger->Execute(testing::Request(testing::RegisterPatientCommand("P1"))).ok());
    ASSERT_TRUE(ledger->Execute(testing::Request(testing::OpenEncounterCommand("E1", "P1"))).ok());
    ASSERT_TRUE(
        ledger->Execute(testing::Request(testing::RecordDiagnosesCommand("E1", {"E11.9"}))).ok());
    auto charged = ledger->Execute(testing::Request(testing::RecordChargeCommand("E1", 1, 15000)));
    ASSERT_TRUE(charged.ok()) << charged.status();
    charge_position = charged->position;
    ASSERT_TRUE(LoadStreamState(ledger->store(), kTenant, EncounterStream("E1")).ok());

    // Alter the stored payload: the credit no longer matches the debit.
    auto record = ledger->store().ReadEvent(charge_position);
    ASSERT_TRUE(record.ok());
    rcl::v1::ChargeRecorded payload;
    ASSERT_TRUE(payload.ParseFromString(record->payload));
    payload.mutable_postings(1)->set_amount_cents(-1);
    record->payload = payload.SerializeAsString();
    record->hash = ChainHash(record->prev_hash, CanonicalBytes(*record));
    ASSERT_TRUE(ledger->mutable_store_for_testing()
                    ->raw_db()
                    ->Put(rocksdb::WriteOptions(), ledger->store().log_family(),
                          PositionKey(charge_position), EncodeRecord(*record))
                    .ok());
  }
  auto reopened = testing::OpenLedgerOrDie(testing::LedgerOptions(dir.path()));
  // The record was re-hashed, so the chain holds; Verify still reads the
  // postings back and refuses them, at that event.
  auto verified = reopened->store().Verify(1, 0);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_FALSE(verified->ok);
  EXPECT_EQ(verified->first_bad_position, charge_position);
  EXPECT_NE(verified->error.find("ChargeRecorded of clinic-1/encounter-E1"), std::string::npos)
      << verified->error;
  EXPECT_NE(verified->error.find("postings do not balance"), std::string::npos) << verified->error;
  auto state = LoadStreamState(reopened->store(), kTenant, EncounterStream("E1"));
  EXPECT_EQ(state.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(state.status().message().find("postings do not balance"), std::string::npos)
      << state.status();
  // And the sequencer will not decide on top of it.
  auto more = reopened->Execute(testing::Request(testing::RecordChargeCommand("E1", 2, 2500)));
  EXPECT_EQ(more.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(reopened->head().position, charge_position);
}

}  // namespace
}  // namespace rcl::ledger
