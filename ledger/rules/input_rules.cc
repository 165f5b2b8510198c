#include "ledger/rules/input_rules.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace rcl::ledger {
namespace {

// Decodes the next UTF-8 code point of `s` starting at `*pos` and advances
// `*pos`. Returns nullopt on malformed input (truncated sequences, overlong
// encodings, surrogates, code points above U+10FFFF).
std::optional<uint32_t> NextCodePoint(std::string_view s, size_t* pos) {
  const uint8_t lead = static_cast<uint8_t>(s[*pos]);
  if (lead < 0x80) {
    ++*pos;
    return lead;
  }
  int extra;
  uint32_t cp;
  uint32_t min;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (*pos + extra >= s.size()) return std::nullopt;  // Truncated.
  for (int i = 1; i <= extra; ++i) {
    const uint8_t b = static_cast<uint8_t>(s[*pos + i]);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  *pos += extra + 1;
  return cp;
}

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

bool IsAsciiMember(char c, Charset charset) {
  const bool alnum = absl::ascii_isalnum(static_cast<unsigned char>(c));
  switch (charset) {
    case Charset::kId:
    case Charset::kStreamName: return alnum || c == '.' || c == '_' || c == '-';
    case Charset::kAlnum: return alnum;
    case Charset::kAlnumHyphen: return alnum || c == '-';
    case Charset::kVisibleAscii: return c >= '!' && c <= '~';
    case Charset::kText: return false;
  }
  return false;
}

// Free text: valid UTF-8, no control characters, not blank, at most
// `length_max` code points.
bool IsText(std::string_view s, int length_max) {
  if (absl::StripAsciiWhitespace(absl::string_view(s.data(), s.size())).empty()) return false;
  int length = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    std::optional<uint32_t> cp = NextCodePoint(s, &pos);
    if (!cp.has_value() || IsControl(*cp)) return false;
    if (++length > length_max) return false;
  }
  return true;
}

std::string_view CharsetText(Charset charset) {
  switch (charset) {
    case Charset::kId: return "characters of [A-Za-z0-9._-] starting with a letter or digit";
    case Charset::kStreamName: return "characters of [A-Za-z0-9._-]";
    case Charset::kAlnum: return "characters of [A-Za-z0-9]";
    case Charset::kAlnumHyphen: return "characters of [A-Za-z0-9-]";
    case Charset::kVisibleAscii: return "printable ASCII characters without spaces";
    case Charset::kText: return "characters of text: valid UTF-8, no control characters, not blank";
  }
  return "";
}

}  // namespace

bool FollowsRule(std::string_view value, const StringRule& rule) {
  if (value.empty()) return false;
  if (rule.charset == Charset::kText) return IsText(value, rule.length_max);
  if (value.size() > static_cast<size_t>(rule.length_max)) return false;
  if (rule.charset == Charset::kId && !absl::ascii_isalnum(static_cast<unsigned char>(value[0])))
    return false;
  for (char c : value) {
    if (!IsAsciiMember(c, rule.charset)) return false;
  }
  return true;
}

void CheckString(std::string_view field, std::string_view value, const StringRule& rule,
                 Presence presence, Violations& v) {
  if (value.empty() && presence == Presence::kOptional) return;
  if (FollowsRule(value, rule)) return;
  if (value.empty()) {
    v.Add(std::string(field), "must not be empty");
    return;
  }
  v.Add(std::string(field), absl::StrCat("must be 1..", rule.length_max, " ",
                                         absl::string_view(CharsetText(rule.charset).data(),
                                                           CharsetText(rule.charset).size())));
}

bool CheckCount(std::string_view field, int count, int count_min, int count_max, Violations& v) {
  if (count >= count_min && count <= count_max) return true;
  v.Add(std::string(field), count < count_min
                                ? absl::StrCat("must have at least ", count_min, " entries")
                                : absl::StrCat("must have at most ", count_max, " entries"));
  return false;
}

bool IsValidUtf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (!NextCodePoint(s, &pos).has_value()) return false;
  }
  return true;
}

}  // namespace rcl::ledger
