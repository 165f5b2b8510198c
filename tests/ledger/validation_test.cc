#include "ledger/rules/validation.h"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/money.h"
#include "ledger/status.h"
#include "rcl/v1/events.pb.h"

namespace rcl::ledger {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

const absl::CivilDay kToday(2026, 11, 27);

struct PredicateCase {
  std::string input;
  bool valid;
};

void CheckPredicate(const std::function<bool(std::string_view)>& predicate,
                    const std::vector<PredicateCase>& cases) {
  for (const PredicateCase& c : cases) {
    SCOPED_TRACE(absl::StrCat("input \"", c.input, "\""));
    EXPECT_EQ(predicate(c.input), c.valid);
  }
}

// --- Predicates --------------------------------------------------------------

TEST(IsValidIdTest, Table) {
  CheckPredicate(IsValidId, {
                                {"p1", true},
                                {"P", true},
                                {"9", true},
                                {"patient-1.a_b", true},
                                {std::string(64, 'a'), true},
                                {"", false},
                                {std::string(65, 'a'), false},
                                {"-p1", false},
                                {".p1", false},
                                {"_p1", false},
                                {"p 1", false},
                                {"p/1", false},
                                {"p\n", false},
                                {"p\xc3\xa9", false},
                            });
}

TEST(IsValidTenantTest, SameRuleAsIds) {
  CheckPredicate(IsValidTenant, {
                                    {"clinic-a", true},
                                    {"A.b_c-1", true},
                                    {std::string(64, 't'), true},
                                    {"", false},
                                    {std::string(65, 't'), false},
                                    {"_t", false},
                                    {"t:1", false},
                                });
}

struct Icd10Case {
  std::string input;
  std::string normalized;  // Empty: invalid.
};

TEST(NormalizeIcd10Test, Table) {
  const std::vector<Icd10Case> cases = {
      {"E11.9", "E119"},
      {"E119", "E119"},
      {"e119", "E119"},
      {"e11.9", "E119"},
      {"I10", "I10"},
      {"S72.001A", "S72001A"},
      {"s72001a", "S72001A"},
      {"Z3A.01", "Z3A01"},
      {"E1", ""},
      {"", ""},
      {".", ""},
      {"11E9", ""},
      {"EE19", ""},
      {"E11.9.1", ""},
      {"E11..9", ""},
      {"E1.19", ""},
      {"E119.", ""},
      {"E11.", ""},
      {".E119", ""},
      {"E11.99999", ""},
      {"S72001AB", ""},
      {"E11-9", ""},
      {"E11 9", ""},
      {" E119", ""},
  };
  for (const Icd10Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("input \"", c.input, "\""));
    absl::StatusOr<std::string> result = NormalizeIcd10(c.input);
    if (c.normalized.empty()) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    } else {
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(*result, c.normalized);
    }
  }
}

TEST(IsValidCptTest, Table) {
  CheckPredicate(IsValidCpt, {
                                 {"99213", true},
                                 {"00100", true},
                                 {"0001F", true},
                                 {"0042T", true},
                                 {"9921", false},
                                 {"992130", false},
                                 {"99213A", false},
                                 {"0001X", false},
                                 {"0001f", false},  // ValidateCommand upper-cases first.
                                 {"F0001", false},
                                 {"9921A", false},
                                 {"", false},
                             });
}

TEST(IsValidHcpcsTest, Table) {
  CheckPredicate(IsValidHcpcs, {
                                   {"J3301", true},
                                   {"A0425", true},
                                   {"V2020", true},
                                   {"W1234", false},
                                   {"Z1234", false},
                                   {"J330", false},
                                   {"J33010", false},
                                   {"j3301", false},  // ValidateCommand upper-cases first.
                                   {"JJ301", false},
                                   {"13301", false},
                                   {"", false},
                               });
}

TEST(IsValidModifierTest, Table) {
  CheckPredicate(IsValidModifier, {
                                      {"25", true},
                                      {"RT", true},
                                      {"F1", true},
                                      {"5A", true},
                                      {"2", false},
                                      {"259", false},
                                      {"rt", false},  // ValidateCommand upper-cases first.
                                      {"R-", false},
                                      {"", false},
                                  });
}

TEST(IsValidNpiTest, Table) {
  CheckPredicate(IsValidNpi, {
                                 {"1234567893", true},
                                 {"9876543213", true},
                                 {"1234567890", false},
                                 {"1234567894", false},
                                 {"123456789", false},
                                 {"12345678931", false},
                                 {"123456789A", false},
                                 {"ABCDEFGHIJ", false},
                                 {"12345-7893", false},
                                 {"", false},
                             });
}

TEST(IsValidPlaceOfServiceTest, Table) {
  CheckPredicate(IsValidPlaceOfService, {
                                            {"01", true},
                                            {"11", true},
                                            {"99", true},
                                            {"00", false},
                                            {"1", false},
                                            {"011", false},
                                            {"AB", false},
                                            {"1A", false},
                                            {"", false},
                                        });
}

struct DateCase {
  std::string input;
  bool valid;
};

TEST(ParseCivilDateTest, Table) {
  const std::vector<DateCase> cases = {
      {"2026-11-27", true},
      {"2024-02-29", true},  // Leap year.
      {"2000-02-29", true},  // Divisible by 400.
      {"1900-01-01", true},
      {"2199-12-31", true},
      {"2026-12-31", true},
      {"2026-04-30", true},
      {"2023-02-29", false},
      {"1900-02-29", false},  // Divisible by 100, not 400.
      {"2026-02-30", false},
      {"2026-04-31", false},
      {"2026-13-01", false},
      {"2026-00-10", false},
      {"2026-01-00", false},
      {"2026-01-32", false},
      {"2026-1-1", false},
      {"26-01-01", false},
      {"1899-12-31", false},
      {"2200-01-01", false},
      {"2026/01/01", false},
      {"20260101", false},
      {"2026-01-01T00:00", false},
      {" 2026-01-01", false},
      {"2026-01-0a", false},
      {"+026-01-01", false},
      {"", false},
  };
  for (const DateCase& c : cases) {
    SCOPED_TRACE(absl::StrCat("input \"", c.input, "\""));
    absl::StatusOr<absl::CivilDay> day = ParseCivilDate(c.input);
    EXPECT_EQ(day.ok(), c.valid) << day.status();
    if (day.ok()) {
      EXPECT_EQ(FormatCivilDate(*day), c.input);
    } else {
      EXPECT_EQ(day.status().code(), absl::StatusCode::kInvalidArgument);
      if (!c.input.empty()) {
        EXPECT_THAT(day.status().message(), Not(HasSubstr(c.input)));
      }
    }
  }
}

TEST(ParseCivilDateTest, ParsesFields) {
  absl::StatusOr<absl::CivilDay> day = ParseCivilDate("2024-02-29");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(*day, absl::CivilDay(2024, 2, 29));
}

TEST(FormatCivilDateTest, PadsFields) {
  EXPECT_EQ(FormatCivilDate(absl::CivilDay(2026, 1, 5)), "2026-01-05");
  EXPECT_EQ(FormatCivilDate(absl::CivilDay(1900, 12, 31)), "1900-12-31");
}

// --- ValidateCommand: valid commands -----------------------------------------

v1::Command ValidRegisterPatient() {
  v1::Command command;
  v1::RegisterPatient* c = command.mutable_register_patient();
  c->set_patient_id("p-1");
  c->set_family_name("Doe");
  c->set_given_name("Jane");
  c->set_birth_date("1980-04-12");
  return command;
}

v1::Command ValidAddCoverage() {
  v1::Command command;
  v1::AddCoverage* c = command.mutable_add_coverage();
  c->set_patient_id("p-1");
  c->set_coverage_id("c-1");
  c->set_payer_id("87726");
  c->set_payer_name("Acme Health Plan");
  c->set_member_id("ABC-123456");
  c->set_rank(1);
  c->set_effective_from("2026-01-01");
  return command;
}

v1::Command ValidEndCoverage() {
  v1::Command command;
  v1::EndCoverage* c = command.mutable_end_coverage();
  c->set_patient_id("p-1");
  c->set_coverage_id("c-1");
  c->set_effective_to("2027-12-31");  // The future is fine here.
  return command;
}

v1::Command ValidOpenEncounter() {
  v1::Command command;
  v1::OpenEncounter* c = command.mutable_open_encounter();
  c->set_encounter_id("e-1");
  c->set_patient_id("p-1");
  c->set_rendering_npi("1234567893");
  c->set_billing_npi("9876543213");
  c->set_date_of_service("2026-11-27");  // Today is allowed.
  c->set_place_of_service("11");
  return command;
}

v1::Command ValidRecordDiagnoses() {
  v1::Command command;
  v1::RecordDiagnoses* c = command.mutable_record_diagnoses();
  c->set_encounter_id("e-1");
  c->add_icd10_codes("e11.9");
  c->add_icd10_codes("I10");
  c->add_icd10_codes("S72.001A");
  return command;
}

v1::Command ValidRecordCharge() {
  v1::Command command;
  v1::RecordCharge* c = command.mutable_record_charge();
  c->set_encounter_id("e-1");
  c->set_line_number(1);
  c->set_cpt("99213");
  c->add_modifiers("25");
  c->set_units(1);
  c->set_amount_cents(15000);
  c->add_diagnosis_pointers(1);
  c->add_diagnosis_pointers(2);
  return command;
}

v1::Command ValidVoidCharge() {
  v1::Command command;
  v1::VoidCharge* c = command.mutable_void_charge();
  c->set_encounter_id("e-1");
  c->set_line_number(1);
  c->set_reason("entered in error");
  return command;
}

v1::Command ValidCompleteCoding() {
  v1::Command command;
  command.mutable_complete_coding()->set_encounter_id("e-1");
  return command;
}

v1::Command With(v1::Command command, const std::function<void(v1::Command&)>& change) {
  change(command);
  return command;
}

TEST(ValidateCommandTest, ValidRegisterPatient) {
  v1::Command command = ValidRegisterPatient();
  const v1::Command before = command;
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
  EXPECT_EQ(command.SerializeAsString(), before.SerializeAsString());
}

TEST(ValidateCommandTest, ValidRegisterPatientAtLimits) {
  v1::Command command = With(ValidRegisterPatient(), [](v1::Command& c) {
    std::string name;
    for (int i = 0; i < kNameLengthMax; ++i) name += "\xc3\xa9";  // 100 x U+00E9.
    c.mutable_register_patient()->set_family_name(name);
    c.mutable_register_patient()->set_given_name("Zo\xc3\xab Anne-Marie O'Neil");
    c.mutable_register_patient()->set_birth_date("2026-11-27");
    c.mutable_register_patient()->set_patient_id(std::string(kIdLengthMax, 'p'));
  });
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
}

TEST(ValidateCommandTest, ValidAddCoverage) {
  v1::Command command = ValidAddCoverage();
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());

  command = With(ValidAddCoverage(), [](v1::Command& c) {
    c.mutable_add_coverage()->set_rank(3);
    c.mutable_add_coverage()->set_effective_to("2026-01-01");  // Same day as from.
  });
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());

  command = With(ValidAddCoverage(), [](v1::Command& c) {
    c.mutable_add_coverage()->set_effective_from("2027-01-01");  // Future coverage.
    c.mutable_add_coverage()->set_effective_to("2027-12-31");
  });
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
}

TEST(ValidateCommandTest, ValidEndCoverage) {
  v1::Command command = ValidEndCoverage();
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
}

TEST(ValidateCommandTest, ValidOpenEncounter) {
  v1::Command command = ValidOpenEncounter();
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
}

TEST(ValidateCommandTest, ValidRecordDiagnosesNormalizesCodes) {
  v1::Command command = ValidRecordDiagnoses();
  ASSERT_TRUE(ValidateCommand(&command, kToday).ok());
  EXPECT_THAT(command.record_diagnoses().icd10_codes(), ElementsAre("E119", "I10", "S72001A"));
}

TEST(ValidateCommandTest, ValidRecordDiagnosesAtLimit) {
  v1::Command command = With(ValidRecordDiagnoses(), [](v1::Command& c) {
    c.mutable_record_diagnoses()->clear_icd10_codes();
    for (int i = 0; i < kDiagnosesPerCommandMax; ++i) {
      c.mutable_record_diagnoses()->add_icd10_codes(absl::StrCat("A", 10 + i));
    }
  });
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
}

TEST(ValidateCommandTest, ValidRecordChargeUpperCasesCodes) {
  v1::Command command = With(ValidRecordCharge(), [](v1::Command& c) {
    c.mutable_record_charge()->set_cpt("0001f");
    c.mutable_record_charge()->clear_modifiers();
    c.mutable_record_charge()->add_modifiers("rt");
    c.mutable_record_charge()->add_modifiers("59");
  });
  ASSERT_TRUE(ValidateCommand(&command, kToday).ok());
  EXPECT_EQ(command.record_charge().cpt(), "0001F");
  EXPECT_THAT(command.record_charge().modifiers(), ElementsAre("RT", "59"));

  command = With(ValidRecordCharge(), [](v1::Command& c) {
    c.mutable_record_charge()->clear_cpt();
    c.mutable_record_charge()->set_hcpcs("j3301");
  });
  ASSERT_TRUE(ValidateCommand(&command, kToday).ok());
  EXPECT_EQ(command.record_charge().hcpcs(), "J3301");
  EXPECT_EQ(command.record_charge().cpt(), "");
}

TEST(ValidateCommandTest, ValidRecordChargeAtLimits) {
  v1::Command command = With(ValidRecordCharge(), [](v1::Command& c) {
    v1::RecordCharge* r = c.mutable_record_charge();
    r->set_line_number(kLineNumberMax);
    r->set_units(kUnitsMax);
    r->set_amount_cents(rcl::kAmountCentsMax);
    r->clear_modifiers();
    for (const char* m : {"25", "59", "RT", "GA"}) r->add_modifiers(m);
    r->clear_diagnosis_pointers();
    for (int p : {12, 1, 5, 7}) r->add_diagnosis_pointers(p);
  });
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());

  command = With(ValidRecordCharge(), [](v1::Command& c) {
    c.mutable_record_charge()->clear_modifiers();  // Modifiers are optional.
  });
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
}

TEST(ValidateCommandTest, ValidVoidCharge) {
  v1::Command command = ValidVoidCharge();
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
  command = With(ValidVoidCharge(), [](v1::Command& c) {
    c.mutable_void_charge()->set_reason(std::string(kReasonLengthMax, 'r'));
  });
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
}

TEST(ValidateCommandTest, ValidCompleteCoding) {
  v1::Command command = ValidCompleteCoding();
  EXPECT_TRUE(ValidateCommand(&command, kToday).ok());
}

// --- ValidateCommand: violations ---------------------------------------------

struct InvalidCase {
  std::string name;
  v1::Command command;
  std::vector<std::string> fields;
};

std::vector<InvalidCase> InvalidCases() {
  using C = v1::Command;
  const auto patient = [](C& c) { return c.mutable_register_patient(); };
  const auto coverage = [](C& c) { return c.mutable_add_coverage(); };
  const auto end = [](C& c) { return c.mutable_end_coverage(); };
  const auto encounter = [](C& c) { return c.mutable_open_encounter(); };
  const auto diagnoses = [](C& c) { return c.mutable_record_diagnoses(); };
  const auto charge = [](C& c) { return c.mutable_record_charge(); };
  const auto void_charge = [](C& c) { return c.mutable_void_charge(); };

  return {
      {"no kind", C(), {"command"}},

      // RegisterPatient.
      {"patient id empty",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->clear_patient_id(); }),
       {"patient_id"}},
      {"patient id starts with hyphen",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_patient_id("-p1"); }),
       {"patient_id"}},
      {"patient id too long",
       With(ValidRegisterPatient(),
            [&](C& c) { patient(c)->set_patient_id(std::string(kIdLengthMax + 1, 'p')); }),
       {"patient_id"}},
      {"family name empty",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->clear_family_name(); }),
       {"family_name"}},
      {"family name blank",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_family_name("   "); }),
       {"family_name"}},
      {"family name invalid utf8",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_family_name("D\xff"); }),
       {"family_name"}},
      {"family name truncated utf8",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_family_name("Jos\xc3"); }),
       {"family_name"}},
      {"family name overlong utf8",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_family_name("a\xc0\xaf"); }),
       {"family_name"}},
      {"family name utf8 surrogate",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_family_name("a\xed\xa0\x80"); }),
       {"family_name"}},
      {"given name too long",
       With(ValidRegisterPatient(),
            [&](C& c) { patient(c)->set_given_name(std::string(kNameLengthMax + 1, 'j')); }),
       {"given_name"}},
      {"given name control char",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_given_name("Ja\tne"); }),
       {"given_name"}},
      {"given name C1 control char",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_given_name("Ja\xc2\x85ne"); }),
       {"given_name"}},
      {"birth date malformed",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_birth_date("1980-4-12"); }),
       {"birth_date"}},
      {"birth date not a real date",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_birth_date("1981-02-29"); }),
       {"birth_date"}},
      {"birth date in the future",
       With(ValidRegisterPatient(), [&](C& c) { patient(c)->set_birth_date("2026-11-28"); }),
       {"birth_date"}},
      {"register patient all empty",
       With(C(), [&](C& c) { patient(c); }),
       {"patient_id", "family_name", "given_name", "birth_date"}},

      // AddCoverage.
      {"coverage patient id invalid",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_patient_id("p 1"); }),
       {"patient_id"}},
      {"coverage id empty",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->clear_coverage_id(); }),
       {"coverage_id"}},
      {"payer id with hyphen",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_payer_id("877-26"); }),
       {"payer_id"}},
      {"payer id empty",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->clear_payer_id(); }),
       {"payer_id"}},
      {"payer id too long",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_payer_id(std::string(81, '1')); }),
       {"payer_id"}},
      {"payer name empty",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->clear_payer_name(); }),
       {"payer_name"}},
      {"payer name too long",
       With(ValidAddCoverage(),
            [&](C& c) { coverage(c)->set_payer_name(std::string(kNameLengthMax + 1, 'a')); }),
       {"payer_name"}},
      {"payer name control char",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_payer_name("Acme\x7f"); }),
       {"payer_name"}},
      {"member id with space",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_member_id("ABC 123"); }),
       {"member_id"}},
      {"member id empty",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->clear_member_id(); }),
       {"member_id"}},
      {"member id too long",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_member_id(std::string(81, 'M')); }),
       {"member_id"}},
      {"rank zero", With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_rank(0); }), {"rank"}},
      {"rank four", With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_rank(4); }), {"rank"}},
      {"effective from missing",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->clear_effective_from(); }),
       {"effective_from"}},
      {"effective from not a real date",
       With(ValidAddCoverage(),
            [&](C& c) {
              coverage(c)->set_effective_from("2026-02-30");
              coverage(c)->set_effective_to("2026-12-31");
            }),
       {"effective_from"}},
      {"effective to malformed",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_effective_to("2026-12"); }),
       {"effective_to"}},
      {"effective to before from",
       With(ValidAddCoverage(), [&](C& c) { coverage(c)->set_effective_to("2025-12-31"); }),
       {"effective_to"}},

      // EndCoverage.
      {"end coverage patient id invalid",
       With(ValidEndCoverage(), [&](C& c) { end(c)->set_patient_id("p/1"); }),
       {"patient_id"}},
      {"end coverage id invalid",
       With(ValidEndCoverage(), [&](C& c) { end(c)->set_coverage_id("_c"); }),
       {"coverage_id"}},
      {"end coverage date missing",
       With(ValidEndCoverage(), [&](C& c) { end(c)->clear_effective_to(); }),
       {"effective_to"}},
      {"end coverage date bad month",
       With(ValidEndCoverage(), [&](C& c) { end(c)->set_effective_to("2026-13-01"); }),
       {"effective_to"}},

      // OpenEncounter.
      {"encounter id empty",
       With(ValidOpenEncounter(), [&](C& c) { encounter(c)->clear_encounter_id(); }),
       {"encounter_id"}},
      {"encounter patient id invalid",
       With(ValidOpenEncounter(), [&](C& c) { encounter(c)->set_patient_id("p\n1"); }),
       {"patient_id"}},
      {"rendering npi bad check digit",
       With(ValidOpenEncounter(), [&](C& c) { encounter(c)->set_rendering_npi("1234567890"); }),
       {"rendering_npi"}},
      {"billing npi nine digits",
       With(ValidOpenEncounter(), [&](C& c) { encounter(c)->set_billing_npi("123456789"); }),
       {"billing_npi"}},
      {"billing npi letters",
       With(ValidOpenEncounter(), [&](C& c) { encounter(c)->set_billing_npi("12345678AB"); }),
       {"billing_npi"}},
      {"date of service in the future",
       With(ValidOpenEncounter(), [&](C& c) { encounter(c)->set_date_of_service("2026-11-28"); }),
       {"date_of_service"}},
      {"date of service missing",
       With(ValidOpenEncounter(), [&](C& c) { encounter(c)->clear_date_of_service(); }),
       {"date_of_service"}},
      {"place of service 00",
       With(ValidOpenEncounter(), [&](C& c) { encounter(c)->set_place_of_service("00"); }),
       {"place_of_service"}},
      {"place of service one digit",
       With(ValidOpenEncounter(), [&](C& c) { encounter(c)->set_place_of_service("1"); }),
       {"place_of_service"}},
      {"open encounter all empty",
       With(C(), [&](C& c) { encounter(c); }),
       {"encounter_id", "patient_id", "rendering_npi", "billing_npi", "date_of_service",
        "place_of_service"}},

      // RecordDiagnoses.
      {"diagnoses encounter id invalid",
       With(ValidRecordDiagnoses(), [&](C& c) { diagnoses(c)->set_encounter_id("e 1"); }),
       {"encounter_id"}},
      {"no diagnoses",
       With(ValidRecordDiagnoses(), [&](C& c) { diagnoses(c)->clear_icd10_codes(); }),
       {"icd10_codes"}},
      {"too many diagnoses",
       With(ValidRecordDiagnoses(),
            [&](C& c) {
              diagnoses(c)->clear_icd10_codes();
              for (int i = 0; i <= kDiagnosesPerCommandMax; ++i) {
                diagnoses(c)->add_icd10_codes(absl::StrCat("A", 10 + i));
              }
            }),
       {"icd10_codes"}},
      {"invalid diagnosis",
       With(ValidRecordDiagnoses(), [&](C& c) { diagnoses(c)->set_icd10_codes(1, "E1.19"); }),
       {"icd10_codes[1]"}},
      {"several invalid diagnoses",
       With(ValidRecordDiagnoses(),
            [&](C& c) {
              diagnoses(c)->set_icd10_codes(0, "11E9");
              diagnoses(c)->set_icd10_codes(2, "E11.99999");
            }),
       {"icd10_codes[0]", "icd10_codes[2]"}},
      {"duplicate diagnosis after normalization",
       With(ValidRecordDiagnoses(), [&](C& c) { diagnoses(c)->add_icd10_codes("E119"); }),
       {"icd10_codes[3]"}},
      // Over its bound, a repeated field is one violation: its entries are
      // not checked one by one.
      {"too many and invalid diagnoses",
       With(ValidRecordDiagnoses(),
            [&](C& c) {
              for (int i = 0; i < kDiagnosesPerCommandMax; ++i) {
                diagnoses(c)->add_icd10_codes(absl::StrCat("B", 10 + i));
              }
              diagnoses(c)->set_icd10_codes(4, "E1");
            }),
       {"icd10_codes"}},

      // RecordCharge.
      {"charge encounter id empty",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->clear_encounter_id(); }),
       {"encounter_id"}},
      {"line number zero",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_line_number(0); }),
       {"line_number"}},
      {"line number too big",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_line_number(kLineNumberMax + 1); }),
       {"line_number"}},
      {"neither cpt nor hcpcs",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->clear_cpt(); }),
       {"cpt"}},
      {"both cpt and hcpcs",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_hcpcs("J3301"); }),
       {"cpt"}},
      {"cpt four digits",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_cpt("9921"); }),
       {"cpt"}},
      {"cpt bad category letter",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_cpt("0001X"); }),
       {"cpt"}},
      {"hcpcs letter out of range",
       With(ValidRecordCharge(),
            [&](C& c) {
              charge(c)->clear_cpt();
              charge(c)->set_hcpcs("W1234");
            }),
       {"hcpcs"}},
      {"hcpcs too short",
       With(ValidRecordCharge(),
            [&](C& c) {
              charge(c)->clear_cpt();
              charge(c)->set_hcpcs("J330");
            }),
       {"hcpcs"}},
      {"too many modifiers",
       With(ValidRecordCharge(),
            [&](C& c) {
              for (const char* m : {"59", "RT", "GA", "76"}) charge(c)->add_modifiers(m);
            }),
       {"modifiers"}},
      {"modifier one char",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_modifiers(0, "2"); }),
       {"modifiers[0]"}},
      {"modifier punctuation",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->add_modifiers("R-"); }),
       {"modifiers[1]"}},
      {"duplicate modifier after upper-casing",
       With(ValidRecordCharge(),
            [&](C& c) {
              charge(c)->add_modifiers("rt");
              charge(c)->add_modifiers("RT");
            }),
       {"modifiers[2]"}},
      {"units zero", With(ValidRecordCharge(), [&](C& c) { charge(c)->set_units(0); }), {"units"}},
      {"units negative",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_units(-1); }),
       {"units"}},
      {"units too many",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_units(kUnitsMax + 1); }),
       {"units"}},
      {"amount zero",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_amount_cents(0); }),
       {"amount_cents"}},
      {"amount negative",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->set_amount_cents(-100); }),
       {"amount_cents"}},
      {"amount too large",
       With(ValidRecordCharge(),
            [&](C& c) { charge(c)->set_amount_cents(rcl::kAmountCentsMax + 1); }),
       {"amount_cents"}},
      {"no diagnosis pointers",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->clear_diagnosis_pointers(); }),
       {"diagnosis_pointers"}},
      {"too many diagnosis pointers",
       With(ValidRecordCharge(),
            [&](C& c) {
              for (int p : {3, 4, 5}) charge(c)->add_diagnosis_pointers(p);
            }),
       {"diagnosis_pointers"}},
      {"diagnosis pointer zero",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->add_diagnosis_pointers(0); }),
       {"diagnosis_pointers[2]"}},
      {"diagnosis pointer too big",
       With(ValidRecordCharge(),
            [&](C& c) { charge(c)->set_diagnosis_pointers(0, kDiagnosesPerEncounterMax + 1); }),
       {"diagnosis_pointers[0]"}},
      {"duplicate diagnosis pointer",
       With(ValidRecordCharge(), [&](C& c) { charge(c)->add_diagnosis_pointers(1); }),
       {"diagnosis_pointers[2]"}},
      {"record charge all empty",
       With(C(), [&](C& c) { charge(c); }),
       {"encounter_id", "line_number", "cpt", "units", "amount_cents", "diagnosis_pointers"}},

      // VoidCharge.
      {"void encounter id invalid",
       With(ValidVoidCharge(), [&](C& c) { void_charge(c)->set_encounter_id(".e"); }),
       {"encounter_id"}},
      {"void line number zero",
       With(ValidVoidCharge(), [&](C& c) { void_charge(c)->set_line_number(0); }),
       {"line_number"}},
      {"void line number too big",
       With(ValidVoidCharge(), [&](C& c) { void_charge(c)->set_line_number(kLineNumberMax + 1); }),
       {"line_number"}},
      {"void reason empty",
       With(ValidVoidCharge(), [&](C& c) { void_charge(c)->clear_reason(); }),
       {"reason"}},
      {"void reason too long",
       With(ValidVoidCharge(),
            [&](C& c) { void_charge(c)->set_reason(std::string(kReasonLengthMax + 1, 'r')); }),
       {"reason"}},
      {"void reason control char",
       With(ValidVoidCharge(), [&](C& c) { void_charge(c)->set_reason("dup\nline"); }),
       {"reason"}},

      // CompleteCoding.
      {"complete coding encounter id empty",
       With(ValidCompleteCoding(), [](C& c) { c.mutable_complete_coding()->clear_encounter_id(); }),
       {"encounter_id"}},
      {"complete coding encounter id too long",
       With(ValidCompleteCoding(),
            [](C& c) {
              c.mutable_complete_coding()->set_encounter_id(std::string(kIdLengthMax + 1, 'e'));
            }),
       {"encounter_id"}},
  };
}

TEST(ValidateCommandTest, ViolationsTable) {
  for (InvalidCase& c : InvalidCases()) {
    SCOPED_TRACE(c.name);
    absl::Status status = ValidateCommand(&c.command, kToday);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    std::vector<std::string> fields;
    for (const rcl::FieldViolation& v : rcl::GetFieldViolations(status)) {
      fields.push_back(v.field);
      EXPECT_FALSE(v.description.empty()) << v.field;
    }
    EXPECT_THAT(fields, UnorderedElementsAreArray(c.fields)) << status;
  }
}

TEST(ValidateCommandTest, NullCommand) {
  absl::Status status = ValidateCommand(nullptr, kToday);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(rcl::GetFieldViolations(status).size(), 1u);
  EXPECT_EQ(rcl::GetFieldViolations(status)[0].field, "command");
}

TEST(ValidateCommandTest, DescriptionsNeverEchoPhi) {
  v1::Command patient;
  v1::RegisterPatient* p = patient.mutable_register_patient();
  p->set_patient_id("p-1");
  p->set_family_name(std::string(kNameLengthMax, 'x') + "Smithsonian");
  p->set_given_name(
      "Mary\x01"
      "Ellen");
  p->set_birth_date("12/31/1980");
  absl::Status status = ValidateCommand(&patient, kToday);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), Not(HasSubstr("Smithsonian")));
  EXPECT_THAT(status.message(), Not(HasSubstr("Mary")));
  EXPECT_THAT(status.message(), Not(HasSubstr("1980")));
  EXPECT_THAT(status.message(), HasSubstr("must be a civil date YYYY-MM-DD"));

  p->set_birth_date("2031-05-06");
  status = ValidateCommand(&patient, kToday);
  EXPECT_THAT(status.message(), Not(HasSubstr("2031")));
  EXPECT_THAT(status.message(), HasSubstr("must not be in the future"));

  v1::Command coverage = ValidAddCoverage();
  coverage.mutable_add_coverage()->set_member_id("XQ 998877");
  status = ValidateCommand(&coverage, kToday);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), Not(HasSubstr("998877")));
}

TEST(ValidateCommandTest, ReportsEveryViolationWithDescriptions) {
  v1::Command command = With(ValidRecordCharge(), [](v1::Command& c) {
    c.mutable_record_charge()->set_units(0);
    c.mutable_record_charge()->set_amount_cents(0);
    c.mutable_record_charge()->set_modifiers(0, "X");
  });
  absl::Status status = ValidateCommand(&command, kToday);
  EXPECT_THAT(
      rcl::GetFieldViolations(status),
      ElementsAre(
          rcl::FieldViolation{"modifiers[0]", "must be exactly 2 letters or digits"},
          rcl::FieldViolation{"units", "must be between 1 and 9999"},
          rcl::FieldViolation{"amount_cents", "must be greater than 0 and at most 100000000000"}));
}

}  // namespace
}  // namespace rcl::ledger
