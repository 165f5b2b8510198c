// The 837P (professional claim) writer: from typed claims to one
// 005010X222A1 interchange (ISA/GS/ST ... SE/GE/IEA) with correct control
// numbers and SE01/GE01/IEA01 counts, delimiters * : ^ ~.
//
// Layout: one transaction set; 1000A submitter, 1000B receiver; one 2000A
// billing provider (HL 20); per claim a 2000B subscriber (HL 22, with 2010BA
// subscriber and 2010BB payer) and, when the patient is not the subscriber, a
// 2000C patient (HL 23); 2300 CLM (+ REF*F8 for replacement and void claims,
// HI with ABK/ABF ICD-10 codes); 2400 LX/SV1/DTP*472/REF*6R per line.
//
// Validation refuses (INVALID_ARGUMENT, naming the claim's index and the
// field, never its value) empty required fields, values holding a delimiter,
// a total charge that is not the sum of the line charges, more than
// kDiagnosesMax codes or kLinesMax lines, bad diagnosis pointers, and
// replacement/void claims without the payer's original claim number.
//
// Plain value types; WriteClaims837P is a pure function (thread-safe).
#ifndef RCL_LEDGER_X12_CLAIM837P_H_
#define RCL_LEDGER_X12_CLAIM837P_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace rcl::x12 {

inline constexpr std::string_view kVersion837P = "005010X222A1";
// Implementation limits of the 5010 837P guide.
inline constexpr size_t kDiagnosesMax = 12;
inline constexpr size_t kLinesMax = 50;
inline constexpr size_t kClaimIdMax = 38;  // CLM01; payers may keep only 20
inline constexpr size_t kDiagnosisPointersMax = 4;
inline constexpr size_t kClaimsPerTransactionMax = 5000;
inline constexpr uint32_t kControlNumberMax = 999'999'999;

struct Address {
  std::string line1;
  std::string line2;  // optional
  std::string city;
  std::string state;        // two letters
  std::string postal_code;  // 5 or 9 digits
};

struct BillingProvider {  // 2010AA
  std::string organization_name;
  std::string npi;       // NM109 (XX), 10 digits
  std::string tax_id;    // REF*EI, 9 digits
  std::string taxonomy;  // PRV*BI*PXC, optional
  Address address;
};

// A person on the claim (subscriber or patient). PHI: never log.
struct Person837 {
  std::string last_name;
  std::string first_name;
  std::string middle_name;  // optional
  absl::CivilDay birth_date;
  char gender = 'U';  // M, F or U
  Address address;
};

struct Subscriber {  // 2000B / 2010BA
  Person837 person;
  std::string member_id;                // NM109 (MI)
  std::string group_number;             // SBR03, optional
  char payer_responsibility = 'P';      // SBR01: P, S, T
  std::string filing_indicator = "CI";  // SBR09: CI, MB, MC, BL, ...
};

struct PatientDetail {  // 2000C, when the patient is not the subscriber
  Person837 person;
  std::string relationship = "19";  // PAT01: 01 spouse, 19 child, G8 other
};

struct Payer837 {  // 2010BB
  std::string name;
  std::string payer_id;  // NM109 (PI)
};

struct ServiceLine837 {  // 2400
  std::string procedure_qualifier = "HC";
  std::string procedure_code;          // CPT/HCPCS
  std::vector<std::string> modifiers;  // at most 4
  int64_t charge_cents = 0;
  int64_t units_milli = 1000;                 // SV104, with SV103 = UN
  std::vector<int> diagnosis_pointers = {1};  // 1-based into Claim837::diagnoses, 1 to 4
  absl::CivilDay service_date;
  std::string line_id;  // REF*6R, comes back in the 835; optional
};

struct Claim837 {
  std::string claim_id;                 // CLM01: our claim id, what the 835 returns in CLP01
  int64_t total_charge_cents = 0;       // CLM02 = sum of the line charges
  std::string place_of_service = "11";  // CLM05-1
  char frequency = '1';                 // CLM05-3: 1 original, 7 replacement, 8 void
  std::string original_claim_number;    // REF*F8 (payer's claim number) for 7 and 8
  std::vector<std::string> diagnoses;   // ICD-10, first ABK then ABF; a '.' is dropped
  Subscriber subscriber;
  bool patient_is_subscriber = true;
  PatientDetail patient;  // used when !patient_is_subscriber
  Payer837 payer;
  std::vector<ServiceLine837> lines;
};

// Who sends, who receives, and the numbers of this interchange.
struct Envelope837 {
  std::string sender_qualifier = "ZZ";  // ISA05
  std::string sender_id;                // ISA06 and GS02, at most 15
  std::string receiver_qualifier = "ZZ";
  std::string receiver_id;                          // ISA08 and GS03, at most 15
  uint32_t interchange_control_number = 1;          // ISA13/IEA02, 1..999999999
  uint32_t group_control_number = 1;                // GS06/GE02
  std::string transaction_control_number = "0001";  // ST02/SE02, 4-9 characters
  absl::CivilSecond created;                        // ISA09/10, GS04/05, BHT04/05
  bool production = true;                           // ISA15: P or T
  std::string batch_reference;                      // BHT03, e.g. the export id
  std::string submitter_name;                       // 1000A
  std::string submitter_id;
  std::string contact_name;
  std::string contact_phone;             // 10 digits
  std::string receiver_name;             // 1000B
  bool line_break_after_segment = true;  // "~\n" instead of "~"
};

// INVALID_ARGUMENT naming the first field of `envelope` or `billing` that
// WriteClaims837P would refuse (what a server checks of its settings at
// start).
absl::Status CheckEnvelope837(const Envelope837& envelope, const BillingProvider& billing);

// The interchange for `claims` (1..kClaimsPerTransactionMax) billed by
// `billing`, or INVALID_ARGUMENT naming the first invalid field.
absl::StatusOr<std::string> WriteClaims837P(const Envelope837& envelope,
                                            const BillingProvider& billing,
                                            const std::vector<Claim837>& claims);

}  // namespace rcl::x12

#endif  // RCL_LEDGER_X12_CLAIM837P_H_
