#include "ledger/x12/fields.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/x12/amount.h"
#include "ledger/x12/text.h"

namespace rcl::x12 {
namespace {

constexpr size_t kDateDigits = 8;  // CCYYMMDD

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int Digits(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

}  // namespace

std::string ElementName(const Segment& s, size_t i) {
  return absl::StrFormat("%s%02d", Av(s.id()), i);
}

absl::Status SegmentFail(const Segment& s, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(SegmentPrefix(s), Av(message)));
}

absl::Status ElementFail(const Segment& s, size_t i, std::string_view message) {
  return SegmentFail(s, absl::StrCat(ElementName(s, i), " ", Av(message)));
}

absl::StatusOr<int64_t> CentsAt(const Segment& s, size_t i) {
  if (s.Element(i).empty()) return ElementFail(s, i, "(amount) is empty");
  absl::StatusOr<int64_t> cents = ParseDecimal(s.Element(i), 2, kAmountCentsMax);
  if (!cents.ok()) return ElementFail(s, i, std::string(cents.status().message()));
  return *cents;
}

absl::StatusOr<std::optional<int64_t>> OptionalCentsAt(const Segment& s, size_t i) {
  if (s.Element(i).empty()) return std::nullopt;
  absl::StatusOr<int64_t> cents = CentsAt(s, i);
  if (!cents.ok()) return cents.status();
  return *cents;
}

absl::StatusOr<std::optional<int64_t>> OptionalMilliAt(const Segment& s, size_t i) {
  if (s.Element(i).empty()) return std::nullopt;
  absl::StatusOr<int64_t> milli = ParseDecimal(s.Element(i), 3, kQuantityMilliMax);
  if (!milli.ok()) return ElementFail(s, i, std::string(milli.status().message()));
  return *milli;
}

absl::StatusOr<absl::CivilDay> DateAt(const Segment& s, size_t i) {
  const std::string_view text = s.Element(i);
  if (text.size() != kDateDigits || !AllDigits(text)) {
    return ElementFail(s, i, "is not a date (CCYYMMDD)");
  }
  const int year = Digits(text.substr(0, 4));
  const int month = Digits(text.substr(4, 2));
  const int day = Digits(text.substr(6, 2));
  const absl::CivilDay civil(year, month, day);
  if (civil.month() != month || civil.day() != day) {
    return ElementFail(s, i, "is not a date on the calendar");
  }
  return civil;
}

absl::StatusOr<std::optional<absl::CivilDay>> OptionalDateAt(const Segment& s, size_t i) {
  if (s.Element(i).empty()) return std::nullopt;
  absl::StatusOr<absl::CivilDay> day = DateAt(s, i);
  if (!day.ok()) return day.status();
  return *day;
}

std::string ShowChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7F) return absl::StrFormat("'%c'", c);
  return absl::StrFormat("0x%02X", u);
}

}  // namespace rcl::x12
