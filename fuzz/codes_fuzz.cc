// libFuzzer target over the code formats of requests (ledger/rules/
// validation.h) and the string rules of input_rules.h (CARC, RARC, ids,
// payer ids, member ids, names, free text...). Each predicate is compared
// with an independent reading of its documented shape, both ways: whatever
// is accepted has the shape, and whatever has the shape is accepted.
//   - ICD-10-CM: normalizes to 3..7 upper-case characters (a letter, a digit,
//     then letters or digits), equal to the input upper-cased without its one
//     optional dot after the third character; normalizing again changes
//     nothing;
//   - CPT, HCPCS Level II, modifiers, places of service: their shapes;
//   - NPI: the Luhn check digit computed the CMS way (doubling the 9 digits'
//     alternate positions and adding the constant 24 for the 80840 prefix);
//   - every StringRule: its charset and length (code points for text);
//   - UTF-8: accepted exactly when an independent decoder accepts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "fuzz/fuzz_check.h"
#include "ledger/rules/input_rules.h"
#include "ledger/rules/validation.h"

namespace {

namespace L = rcl::ledger;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlnum(char c) { return IsDigit(c) || IsUpper(c) || IsLower(c); }
char Upper(char c) { return IsLower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

bool AllOf(std::string_view s, bool (*pred)(char)) {
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}

// The ICD-10-CM code `s` stands for, or "" when it is none.
std::string ExpectedIcd10(std::string_view s) {
  std::string code(s);
  if (code.size() > 4 && code[3] == '.') code.erase(3, 1);
  if (code.size() < 3 || code.size() > 7 || !AllOf(code, IsAlnum)) return "";
  for (char& c : code) c = Upper(c);
  if (!IsUpper(code[0]) || !IsDigit(code[1])) return "";
  return code;
}

void CheckIcd10(std::string_view s) {
  const absl::StatusOr<std::string> code = L::NormalizeIcd10(s);
  const std::string expected = ExpectedIcd10(s);
  RCL_FUZZ_REQUIRE(code.ok() == !expected.empty());
  if (!code.ok()) return;
  RCL_FUZZ_REQUIRE(*code == expected);
  const absl::StatusOr<std::string> again = L::NormalizeIcd10(*code);
  RCL_FUZZ_REQUIRE(again.ok() && *again == *code);
}

bool ExpectedNpi(std::string_view s) {
  if (s.size() != 10 || !AllOf(s, IsDigit)) return false;
  int sum = 24;  // the doubled-and-summed digits of the prefix 80840
  for (int i = 0; i < 9; ++i) {
    int d = s[i] - '0';
    if (i % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;  // positions 1, 3, 5, 7, 9
    sum += d;
  }
  return (10 - sum % 10) % 10 == s[9] - '0';
}

void CheckCodes(std::string_view s) {
  const bool five = s.size() == 5;
  RCL_FUZZ_REQUIRE(L::IsValidCpt(s) == (five && AllOf(s.substr(0, 4), IsDigit) &&
                                        (IsDigit(s[4]) || s[4] == 'F' || s[4] == 'T')));
  RCL_FUZZ_REQUIRE(L::IsValidHcpcs(s) ==
                   (five && s[0] >= 'A' && s[0] <= 'V' && AllOf(s.substr(1), IsDigit)));
  RCL_FUZZ_REQUIRE(L::IsValidModifier(s) ==
                   (s.size() == 2 && AllOf(s, [](char c) { return IsUpper(c) || IsDigit(c); })));
  RCL_FUZZ_REQUIRE(L::IsValidPlaceOfService(s) ==
                   (s.size() == 2 && AllOf(s, IsDigit) && s != "00"));
  RCL_FUZZ_REQUIRE(L::IsValidNpi(s) == ExpectedNpi(s));
}

// An independent UTF-8 decoder: whether `s` is well-formed, whether it holds
// a control character (C0, DEL, C1), and its length in code points.
struct Decoded {
  bool valid = true;
  bool control = false;
  int length = 0;
};

Decoded Decode(std::string_view s) {
  Decoded d;
  for (size_t i = 0; i < s.size(); ++d.length) {
    const auto b = static_cast<uint8_t>(s[i]);
    const size_t n = b < 0x80                 ? 1
                     : b >= 0xC2 && b <= 0xDF ? 2
                     : b >= 0xE0 && b <= 0xEF ? 3
                     : b >= 0xF0 && b <= 0xF4 ? 4
                                              : 0;
    if (n == 0 || i + n > s.size()) return {false, d.control, d.length};
    uint32_t cp = n == 1 ? b : b & (0xFF >> (n + 1));
    for (size_t k = 1; k < n; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return {false, d.control, d.length};
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kLeast[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return {false, d.control, d.length};
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) d.control = true;
    i += n;
  }
  return d;
}

bool ExpectedFollows(std::string_view s, const L::StringRule& rule) {
  if (s.empty()) return false;
  const auto in = [&](auto pred) { return AllOf(s, pred); };
  const size_t max = static_cast<size_t>(rule.length_max);
  switch (rule.charset) {
    case L::Charset::kId:
      return s.size() <= max && IsAlnum(s[0]) &&
             in([](char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; });
    case L::Charset::kStreamName:
      return s.size() <= max &&
             in([](char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; });
    case L::Charset::kAlnum: return s.size() <= max && in(IsAlnum);
    case L::Charset::kAlnumHyphen:
      return s.size() <= max && in([](char c) { return IsAlnum(c) || c == '-'; });
    case L::Charset::kVisibleAscii:
      return s.size() <= max && in([](char c) { return c >= '!' && c <= '~'; });
    case L::Charset::kText: {
      const Decoded d = Decode(s);
      const bool blank = in([](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
      return d.valid && !d.control && d.length <= rule.length_max && !blank;
    }
  }
  return false;
}

void CheckRules(std::string_view s) {
  static constexpr const L::StringRule* kRules[] = {
      &L::kIdRule,
      &L::kPayerIdRule,
      &L::kX12IdRule,
      &L::kMemberIdRule,
      &L::kPayerClaimNumberRule,
      &L::kCarcRule,
      &L::kRarcRule,
      &L::kPlbReasonRule,
      &L::kPlbReferenceRule,
      &L::kPaymentMethodRule,
      &L::kNameRule,
      &L::kFreeTextRule,
      &L::kTraceIdRule,
      &L::kStreamNameRule,
      &L::kEventTypeRule,
  };
  for (const L::StringRule* rule : kRules)
    RCL_FUZZ_REQUIRE(L::FollowsRule(s, *rule) == ExpectedFollows(s, *rule));
  RCL_FUZZ_REQUIRE(L::IsValidUtf8(s) == Decode(s).valid);
  RCL_FUZZ_REQUIRE(L::IsValidId(s) == ExpectedFollows(s, L::kIdRule));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Long enough for the longest rule (free text: 500 code points of up to 4
  // bytes each) and some.
  constexpr size_t kInputMax = 4 * L::kFreeTextLengthMax + 16;
  const std::string_view s(reinterpret_cast<const char*>(data),
                           size < kInputMax ? size : kInputMax);
  CheckIcd10(s);
  CheckCodes(s);
  CheckRules(s);
  return 0;
}
