// The content rules of request strings, in one table. Every string field of
// every RPC (commands, their context, and the reads) is checked against one
// of the StringRules below, or against a code format of validation.h (dates,
// ICD-10-CM, CPT, HCPCS, modifiers, NPIs, places of service). docs/API.md
// ("Input validation") lists the same table.
//
// Also here: the bounds on repeated fields (checked before their entries are
// validated one by one) and the UTF-8 check the server runs on every string
// field before a request is parsed.
#ifndef RCL_LEDGER_INPUT_RULES_H_
#define RCL_LEDGER_INPUT_RULES_H_

#include <cstddef>
#include <string_view>

#include "ledger/status.h"

namespace rcl::ledger {

// Lengths are in characters: bytes for the ASCII charsets, Unicode code
// points for kText.
inline constexpr int kIdLengthMax = 64;
inline constexpr int kNameLengthMax = 100;
inline constexpr int kFreeTextLengthMax = 500;
inline constexpr int kReasonLengthMax = kFreeTextLengthMax;
inline constexpr int kPayerIdLengthMax = 80;
inline constexpr int kMemberIdLengthMax = 80;
inline constexpr int kTraceIdLengthMax = 256;  // correlation and causation ids
inline constexpr int kStreamNameLengthMax = 256;
inline constexpr int kEventTypeLengthMax = 64;
inline constexpr int kPayerClaimNumberLengthMax = 50;
inline constexpr int kCarcLengthMax = 5;
inline constexpr int kRarcLengthMax = 10;
inline constexpr int kPlbReasonLengthMax = 2;
inline constexpr int kPlbReferenceLengthMax = 50;
inline constexpr int kPaymentMethodLengthMax = 20;

// Bounds of repeated fields, by entry count.
inline constexpr int kDiagnosesPerCommandMax = 12;  // RecordDiagnoses.icd10_codes
inline constexpr int kModifiersPerLineMax = 4;      // RecordCharge.modifiers
inline constexpr int kPointersPerLineMax = 4;       // RecordCharge.diagnosis_pointers
inline constexpr int kAdjudicatedLinesMax = 999;    // AdjudicateClaim.lines
inline constexpr int kAdjustmentsPerLineMax = 99;   // LineAdjudication.adjustments
inline constexpr int kClaimAdjustmentsMax = 99;     // AdjudicateClaim.claim_adjustments
inline constexpr int kPaymentClaimsMax = 100;       // ReceivePatientPayment.claim_ids
inline constexpr int kEventTypeFiltersMax = 32;     // ReadAll/Subscribe event_types

enum class Charset {
  kId,            // [A-Za-z0-9._-], the first a letter or digit
  kAlnum,         // [A-Za-z0-9]
  kAlnumHyphen,   // [A-Za-z0-9-]
  kStreamName,    // [A-Za-z0-9._-] (e.g. "claim-C1", or a prefix "claim-")
  kVisibleAscii,  // '!'..'~': printable ASCII without spaces
  kText,          // valid UTF-8 without control characters (C0, DEL, C1), not blank
};

struct StringRule {
  std::string_view name;  // as the docs name the rule
  Charset charset;
  int length_max;  // length_min is 1; an optional field may also be empty
};

// The table.
inline constexpr StringRule kIdRule{"id", Charset::kId, kIdLengthMax};
inline constexpr StringRule kPayerIdRule{"payer id", Charset::kAlnum, kPayerIdLengthMax};
// An identifier payers send in 835s (N104, REF*2U, TRN03).
inline constexpr StringRule kX12IdRule{"x12 id", Charset::kAlnumHyphen, kPayerIdLengthMax};
// Claims one 837P export records (each claim's event, and the export's).
inline constexpr int kExportClaimsMax = 4000;
inline constexpr StringRule kMemberIdRule{"member id", Charset::kAlnumHyphen, kMemberIdLengthMax};
inline constexpr StringRule kPayerClaimNumberRule{"payer claim number", Charset::kAlnumHyphen,
                                                  kPayerClaimNumberLengthMax};
inline constexpr StringRule kCarcRule{"adjustment reason code", Charset::kAlnumHyphen,
                                      kCarcLengthMax};
inline constexpr StringRule kRarcRule{"remark code", Charset::kAlnumHyphen, kRarcLengthMax};
inline constexpr StringRule kPlbReasonRule{"provider adjustment reason", Charset::kAlnumHyphen,
                                           kPlbReasonLengthMax};
inline constexpr StringRule kPlbReferenceRule{"provider adjustment reference",
                                              Charset::kAlnumHyphen, kPlbReferenceLengthMax};
inline constexpr StringRule kPaymentMethodRule{"payment method", Charset::kAlnumHyphen,
                                               kPaymentMethodLengthMax};
inline constexpr StringRule kNameRule{"name", Charset::kText, kNameLengthMax};
inline constexpr StringRule kFreeTextRule{"free text", Charset::kText, kFreeTextLengthMax};
inline constexpr StringRule kTraceIdRule{"correlation id", Charset::kVisibleAscii,
                                         kTraceIdLengthMax};
inline constexpr StringRule kStreamNameRule{"stream name", Charset::kStreamName,
                                            kStreamNameLengthMax};
inline constexpr StringRule kEventTypeRule{"event type", Charset::kAlnum, kEventTypeLengthMax};

enum class Presence { kRequired, kOptional };

// True when `value` follows `rule` (1..length_max characters of its charset).
bool FollowsRule(std::string_view value, const StringRule& rule);

// Adds one violation for `field` when `value` breaks `rule`; an optional
// field may also be empty. Never echoes the value.
void CheckString(std::string_view field, std::string_view value, const StringRule& rule,
                 Presence presence, Violations& v);

// A repeated field's entry count. Adds one violation and returns false when
// the count is out of count_min..count_max: then the caller must not check
// the entries one by one.
bool CheckCount(std::string_view field, int count, int count_min, int count_max, Violations& v);

// Well-formed UTF-8 (no overlong forms, surrogates, or code points above
// U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_INPUT_RULES_H_
