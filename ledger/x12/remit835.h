// The typed 835 (Health Care Claim Payment/Advice) model and its parser:
// one Remittance per ST/SE, versions 005010X221A1 and 004010X091A1 (read
// alike; they differ only in version for what is modeled here). Amounts are
// int64 cents, quantities int64 thousandths; no floating point.
//
// Segments the model does not hold (N3, N4, PER, MIA, MOA, QTY, LQ, TS3, TS2,
// CUR, RDM, ...) are skipped without a warning; a segment in a place it cannot
// be (an SVC before any CLP) is an error. Errors are INVALID_ARGUMENT naming
// the segment's position in the file and the element, never its contents.
//
// PHI: ClaimPayment::people holds patient and insured names and member ids.
// Nothing in this library logs or prints them; callers must keep them out of
// logs and error messages too.
//
// Every type here is a plain value that owns its strings; thread-compatible.
#ifndef RCL_LEDGER_X12_REMIT835_H_
#define RCL_LEDGER_X12_REMIT835_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "ledger/x12/reader.h"

namespace rcl::x12 {

// Implementation guides read as 835s.
inline constexpr std::string_view kVersion835_5010 = "005010X221A1";
inline constexpr std::string_view kVersion835_4010 = "004010X091A1";
// CAS: after the group code, up to six (reason, amount, quantity) triples.
inline constexpr size_t kCasTriplesMax = 6;
// PLB: up to six (reason:reference, amount) pairs per segment.
inline constexpr size_t kPlbPairsMax = 6;
// SVC01 and SVC06: up to four modifiers.
inline constexpr size_t kModifiersMax = 4;

struct Reference {        // REF
  std::string qualifier;  // REF01: 6R line id, EV receiver, 2U payer id, ...
  std::string value;      // REF02
  bool operator==(const Reference&) const = default;
};

struct Amount {           // AMT
  std::string qualifier;  // AMT01: B6 allowed, AU covered, I interest, ...
  int64_t cents = 0;
  bool operator==(const Amount&) const = default;
};

struct Date {             // DTM
  std::string qualifier;  // DTM01: 405 production, 232/233 claim period, 472 service, ...
  absl::CivilDay day;
  bool operator==(const Date&) const = default;
};

// One CAS triple. A positive amount reduces the payment.
struct Adjustment {
  std::string group;   // CAS01: CO, PR, OA, PI (CR in 4010)
  std::string reason;  // CARC: 45, 1, 2, A2, ...
  int64_t cents = 0;
  std::optional<int64_t> quantity_milli;
  bool operator==(const Adjustment&) const = default;
};

// N1 loop (payer PR, payee PE).
struct Party {
  std::string entity_code;            // N101
  std::string name;                   // N102
  std::string id_qualifier;           // N103: XX (NPI), FI (tax id), XV, PI, ...
  std::string id;                     // N104
  std::vector<Reference> references;  // REF in the loop (2U, TJ, PQ, ...)
  bool present = false;
};

// NM1 in a claim: QC patient, IL insured, 74 corrected insured, 82 rendering
// provider, TT crossover carrier, PR corrected payer. PHI: never log.
struct Person {
  std::string entity_code;  // NM101
  std::string last_or_organization;
  std::string first;
  std::string middle;
  std::string id_qualifier;  // NM108: MI member id, HN, XX, ...
  std::string id;            // NM109
};

// A procedure code composite (SVC01, SVC06).
struct Procedure {
  std::string qualifier;               // HC (CPT/HCPCS), AD (dental), NU (revenue), ZZ, ...
  std::string code;                    // may be empty in messy files (warned)
  std::vector<std::string> modifiers;  // at most kModifiersMax, blanks dropped
  bool operator==(const Procedure&) const = default;
};

// An SVC loop.
struct ServiceLine {
  size_t segment_number = 0;  // the SVC's ordinal in its transaction (ST is 1)
  uint32_t file_position = 0;
  Procedure procedure;                          // SVC01
  int64_t charge_cents = 0;                     // SVC02
  int64_t paid_cents = 0;                       // SVC03
  std::string revenue_code;                     // SVC04
  int64_t units_milli = 1000;                   // SVC05, blank means 1
  std::optional<Procedure> original;            // SVC06: the code billed, when the payer changed it
  std::optional<int64_t> original_units_milli;  // SVC07
  std::vector<Date> dates;                      // DTM 472, 150, 151
  std::vector<Adjustment> adjustments;          // line CAS
  std::vector<Reference> references;            // REF (6R, 1B, ...)
  std::vector<Amount> amounts;                  // AMT
  std::string line_id;                          // REF*6R, "" when absent
  std::optional<int64_t> allowed_cents;         // AMT*B6
  int64_t AdjustmentCents() const;
};

// A CLP loop.
struct ClaimPayment {
  size_t segment_number = 0;  // the CLP's ordinal in its transaction (ST is 1)
  uint32_t file_position = 0;
  std::string patient_control_number;                   // CLP01: our claim id
  std::string status_code;                              // CLP02: 1, 2, 3, 4, 19, 20, 21, 22, 23, 25
  int64_t charge_cents = 0;                             // CLP03
  int64_t paid_cents = 0;                               // CLP04
  std::optional<int64_t> patient_responsibility_cents;  // CLP05
  std::string filing_indicator;                         // CLP06: 12, MA, MB, MC, CI, ...
  std::string payer_claim_control_number;               // CLP07
  std::string facility_type;                            // CLP08
  std::string frequency;                                // CLP09
  std::vector<Adjustment> adjustments;                  // claim-level CAS
  std::vector<Person> people;                           // NM1 (PHI)
  std::vector<Date> dates;                              // DTM 232, 233, 050, ...
  std::vector<Amount> amounts;                          // AMT
  std::vector<Reference> references;                    // REF (1K, EA, ...)
  std::vector<ServiceLine> lines;
  bool IsReversal() const { return status_code == "22"; }
  bool IsDenial() const { return status_code == "4"; }
  // Claim-level plus line-level CAS amounts.
  int64_t AdjustmentCents() const;
};

// One PLB (reason, reference) and amount; a positive amount reduces the payment.
struct ProviderAdjustmentItem {
  std::string reason;     // PLB03-1: WO, L6, FB, CV, 72, ...
  std::string reference;  // PLB03-2, "" when absent
  int64_t cents = 0;
  bool operator==(const ProviderAdjustmentItem&) const = default;
};

struct ProviderAdjustment {  // PLB
  size_t segment_number = 0;
  uint32_t file_position = 0;
  std::string provider_id;       // PLB01
  absl::CivilDay fiscal_period;  // PLB02
  std::vector<ProviderAdjustmentItem> items;
  int64_t TotalCents() const;
};

struct Payment {                       // BPR
  std::string handling;                // BPR01: I (remittance and payment), H (advice only), ...
  int64_t total_cents = 0;             // BPR02, never negative
  std::string credit_debit;            // BPR03: C or D
  std::string method;                  // BPR04: ACH, CHK, NON, FWT, BOP
  std::string format;                  // BPR05: CCP, CTX, ""
  std::optional<absl::CivilDay> date;  // BPR16; absent when not a real date (warned)
  // BPR02 with the sign BPR03 gives it: negative for a debit.
  int64_t SignedTotalCents() const { return credit_debit == "D" ? -total_cents : total_cents; }
};

struct Trace {               // TRN
  std::string type;          // TRN01: 1
  std::string trace_number;  // TRN02: check or EFT number
  std::string originator;    // TRN03: payer's 1 + EIN or other id
  std::string reference;     // TRN04
};

// One ST/SE: a payment (or advice) and the claims it pays.
struct Remittance {
  // Where it came from, for events that name their source.
  std::string interchange_control_number;  // ISA13
  std::string group_control_number;        // GS06
  std::string transaction_control_number;  // ST02
  std::string version;                     // ST03 or GS08
  uint32_t file_position = 0;              // of the ST

  Payment payment;
  Trace trace;
  std::optional<absl::CivilDay> production_date;  // DTM*405
  std::vector<Reference> references;              // header REF (EV, F2)
  Party payer;                                    // N1*PR loop
  Party payee;                                    // N1*PE loop
  std::vector<ClaimPayment> claims;
  std::vector<ProviderAdjustment> provider_adjustments;

  // The payer's identifier: N1*PR N104, else REF*2U, else TRN03.
  std::string PayerIdentifier() const;
  int64_t ClaimsPaidCents() const;          // sum of CLP04
  int64_t ProviderAdjustmentCents() const;  // sum of PLB amounts
};

struct RemittanceFile {
  std::vector<Remittance> remittances;
  std::vector<Warning> warnings;
};

// Parses every 835 transaction of an X12 file. Transactions that are not
// 835s are an error (INVALID_ARGUMENT naming their position), as is an 835 of
// an unsupported version.
absl::StatusOr<RemittanceFile> Parse835(std::string_view bytes, const ReaderLimits& limits = {});
absl::StatusOr<RemittanceFile> Parse835(const Document& document);

// --- Balance (helpers for the importer; the parser does not refuse a file
// that does not balance) ---
// Each returns OK or FAILED_PRECONDITION naming both figures in dollars and
// cents and where (ST02 / the CLP's segment number); no PHI.

// Sum of CLP04 - sum of PLB amounts == BPR02 (negative for BPR03 = D).
absl::Status CheckRemittanceBalance(const Remittance& remittance);
// CLP03 - claim and line CAS == CLP04.
absl::Status CheckClaimBalance(const ClaimPayment& claim);
// SVC02 - line CAS == SVC03.
absl::Status CheckLineBalance(const ServiceLine& line);

}  // namespace rcl::x12

#endif  // RCL_LEDGER_X12_REMIT835_H_
