#include "ledger/x12/reader.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/x12/text.h"

namespace rcl::x12 {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr size_t kIsaElements = 16;
// The ISA is fixed-width, but some writers do not pad it; scan this far for
// its sixteen element separators.
constexpr size_t kIsaScanMax = 256;
// Characters of a composite that can never act as a separator.
constexpr std::string_view kNeverSeparators = " .-/";

bool IsAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

bool IsIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Control numbers match if identical, or numerically equal when both are
// all digits ("1" and "0001").
bool SameControlNumber(std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (!AllDigits(a) || !AllDigits(b)) return false;
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  return a == b;
}

std::string_view TrimRightSpaces(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

absl::Status SegmentError(const Segment& s, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(SegmentPrefix(s), Av(message)));
}

// Reads one interchange after another; one instance per ReadX12 call.
class Reader {
 public:
  Reader(std::string_view bytes, const ReaderLimits& limits) : bytes_(bytes), limits_(limits) {}

  absl::StatusOr<Document> Run();

 private:
  bool IsLineBreakOrSpace(char c) const;
  void SkipBlank();
  absl::Status ReadInterchange();
  absl::Status ReadIsa(Interchange& ic, size_t* end);
  absl::Status CheckDelimiters(const Segment& isa, Delimiters& d);
  absl::StatusOr<bool> NextSegment(const Delimiters& d, Segment* out);
  absl::Status CheckShape(const Segment& s, const Delimiters& d) const;
  absl::Status Consume(const Segment& s, Interchange& ic, bool* done);
  absl::Status OpenTransaction(const Segment& s, FunctionalGroup& group);
  absl::Status CloseTransaction(const Segment& se, TransactionSet& tx);
  absl::Status CloseGroup(const Segment& ge, FunctionalGroup& group);
  absl::Status CloseInterchange(const Segment& iea, const Interchange& ic);
  absl::StatusOr<size_t> Count(const Segment& s, size_t i, std::string_view name) const;

  std::string_view bytes_;
  const ReaderLimits& limits_;
  size_t pos_ = 0;
  uint32_t segments_ = 0;
  Document doc_;
  FunctionalGroup* group_ = nullptr;
  TransactionSet* tx_ = nullptr;
  const Delimiters* delimiters_ = nullptr;  // of the interchange being read
};

bool Reader::IsLineBreakOrSpace(char c) const {
  if (c != '\r' && c != '\n' && c != ' ' && c != '\t') return false;
  if (delimiters_ == nullptr) return true;
  const Delimiters& d = *delimiters_;
  return c != d.element && c != d.component && c != d.repetition && c != d.segment;
}

void Reader::SkipBlank() {
  while (pos_ < bytes_.size() && IsLineBreakOrSpace(bytes_[pos_])) ++pos_;
}

absl::StatusOr<Document> Reader::Run() {
  if (bytes_.size() > limits_.input_bytes_max) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("the file is %d bytes; the limit is %d bytes (%d MiB)", bytes_.size(),
                        limits_.input_bytes_max, limits_.input_bytes_max >> 20));
  }
  if (bytes_.substr(0, kUtf8Bom.size()) == kUtf8Bom) pos_ = kUtf8Bom.size();
  while (true) {
    delimiters_ = nullptr;
    SkipBlank();
    if (pos_ >= bytes_.size()) break;
    if (auto st = ReadInterchange(); !st.ok()) return st;
  }
  if (doc_.interchanges.empty()) {
    return absl::InvalidArgumentError("the file holds no X12 interchange (no ISA segment)");
  }
  doc_.segment_count = segments_;
  return std::move(doc_);
}

absl::Status Reader::ReadIsa(Interchange& ic, size_t* end) {
  const uint32_t position = segments_ + 1;
  const std::string where = absl::StrCat("segment ", position);
  if (bytes_.substr(pos_, 3) != "ISA") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected ISA (the start of an interchange) at byte ", pos_,
                     ", found other data"));
  }
  if (pos_ + 4 > bytes_.size()) return absl::InvalidArgumentError(where + " (ISA): truncated");
  Delimiters d;
  d.element = bytes_[pos_ + 3];
  size_t seps = 0, i = pos_ + 3;
  const size_t scan_end = std::min(bytes_.size(), pos_ + kIsaScanMax);
  for (; i < scan_end && seps < kIsaElements; ++i) {
    if (bytes_[i] == d.element) ++seps;
  }
  // i is now just past the 16th separator: ISA16, then the terminator.
  if (seps < kIsaElements || i + 1 >= bytes_.size()) {
    return absl::InvalidArgumentError(where + " (ISA): truncated or not 16 elements");
  }
  d.component = bytes_[i];
  d.segment = bytes_[i + 1];
  *end = i + 2;
  if (*end - pos_ != kIsaBytes) {
    doc_.warnings.push_back(
        {position, absl::StrFormat("ISA is %d bytes, not the fixed %d", *end - pos_, kIsaBytes)});
  }
  if (segments_ >= limits_.segments_max) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the file has more than ", limits_.segments_max, " segments"));
  }
  Segment isa(bytes_.substr(pos_, i + 1 - pos_), d, ++segments_);
  if (auto st = CheckDelimiters(isa, d); !st.ok()) return st;
  ic.delimiters = d;
  ic.sender_qualifier = isa.Element(5);
  ic.sender = TrimRightSpaces(isa.Element(6));
  ic.receiver_qualifier = isa.Element(7);
  ic.receiver = TrimRightSpaces(isa.Element(8));
  ic.date = isa.Element(9);
  ic.time = isa.Element(10);
  ic.version = isa.Element(12);
  ic.control_number = isa.Element(13);
  ic.usage = isa.Element(15);
  ic.position = isa.position();
  if (ic.control_number.size() != 9 || !AllDigits(ic.control_number)) {
    return SegmentError(isa, "ISA13 (interchange control number) is not nine digits");
  }
  return CheckShape(isa, d);
}

absl::Status Reader::CheckDelimiters(const Segment& isa, Delimiters& d) {
  const std::string_view isa11 = isa.Element(11);
  const std::string_view version = isa.Element(12);
  // ISA11 is the repetition separator from version 00402 on; before, 'U'.
  d.repetition = '\0';
  if (version >= "00402" && isa11.size() == 1 && !IsAlnum(isa11[0])) d.repetition = isa11[0];
  const char all[] = {d.element, d.component, d.segment, d.repetition};
  for (size_t a = 0; a < 4; ++a) {
    if (all[a] == '\0' && a == 3) continue;
    if (IsAlnum(all[a]) || all[a] == ' ') {
      return SegmentError(isa, "a delimiter is a letter, digit or space");
    }
    for (size_t b = a + 1; b < 4; ++b) {
      if (all[a] == all[b]) return SegmentError(isa, "two delimiters are the same character");
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::CheckShape(const Segment& s, const Delimiters& d) const {
  const std::string_view id = s.id();
  if (id.size() < 2 || id.size() > 3 || !IsIdChar(id[0]) || !IsIdChar(id[1]) ||
      (id.size() == 3 && !IsIdChar(id[2]))) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment ", s.position(), ": not a segment (bad segment id)"));
  }
  size_t elements = 0, length = 0;
  for (char c : s.raw()) {
    if (c == d.element) {
      if (++elements > limits_.elements_per_segment_max) {
        return absl::ResourceExhaustedError(absl::StrCat(
            SegmentPrefix(s), "more than ", limits_.elements_per_segment_max, " elements"));
      }
      length = 0;
    } else if (++length > limits_.element_bytes_max) {
      return absl::ResourceExhaustedError(absl::StrCat(SegmentPrefix(s), "element ", elements,
                                                       " is longer than ",
                                                       limits_.element_bytes_max, " bytes"));
    }
  }
  return absl::OkStatus();
}

// The next non-empty segment of the current interchange; false at the end of
// the input (the rest held only line breaks and spaces).
absl::StatusOr<bool> Reader::NextSegment(const Delimiters& d, Segment* out) {
  while (true) {
    SkipBlank();
    if (pos_ >= bytes_.size()) return false;
    size_t end = bytes_.find(d.segment, pos_);
    if (end == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("segment ", segments_ + 1, ": the file ends inside a segment (truncated?)"));
    }
    std::string_view raw = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    while (!raw.empty() && IsLineBreakOrSpace(raw.back())) raw.remove_suffix(1);
    if (raw.empty()) continue;  // a doubled terminator
    if (segments_ >= limits_.segments_max) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the file has more than ", limits_.segments_max, " segments"));
    }
    *out = Segment(raw, d, ++segments_);
    if (auto st = CheckShape(*out, d); !st.ok()) return st;
    return true;
  }
}

absl::Status Reader::ReadInterchange() {
  Interchange& ic = doc_.interchanges.emplace_back();
  size_t end = 0;
  if (auto st = ReadIsa(ic, &end); !st.ok()) return st;
  pos_ = end;
  delimiters_ = &ic.delimiters;
  group_ = nullptr;
  tx_ = nullptr;
  Segment s(std::string_view(), ic.delimiters, 0);
  bool done = false;
  while (!done) {
    absl::StatusOr<bool> more = NextSegment(ic.delimiters, &s);
    if (!more.ok()) return more.status();
    if (!*more) {
      return absl::InvalidArgumentError(
          absl::StrCat("segment ", ic.position, " (ISA): interchange ",
                       Printable(ic.control_number), " has no IEA; the file ends inside it"));
    }
    if (auto st = Consume(s, ic, &done); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status Reader::Consume(const Segment& s, Interchange& ic, bool* done) {
  const std::string_view id = s.id();
  if (tx_ != nullptr) {
    if (id == "ISA" || id == "IEA" || id == "GS" || id == "GE" || id == "ST") {
      return SegmentError(s, absl::StrCat("transaction ", Printable(tx_->control_number),
                                          " has no SE before this segment"));
    }
    tx_->segments.push_back(s);
    if (id == "SE") {
      absl::Status st = CloseTransaction(s, *tx_);
      tx_ = nullptr;
      return st;
    }
    return absl::OkStatus();
  }
  if (id == "ST") {
    if (group_ == nullptr) return SegmentError(s, "ST outside a functional group (no GS)");
    return OpenTransaction(s, *group_);
  }
  if (id == "GS") {
    if (group_ != nullptr) {
      return SegmentError(s, absl::StrCat("group ", Printable(group_->control_number),
                                          " has no GE before this GS"));
    }
    FunctionalGroup& g = ic.groups.emplace_back();
    g.functional_id = s.Element(1);
    g.sender = s.Element(2);
    g.receiver = s.Element(3);
    g.date = s.Element(4);
    g.control_number = s.Element(6);
    g.version = s.Element(8);
    g.position = s.position();
    if (g.control_number.empty()) return SegmentError(s, "GS06 (group control number) is empty");
    group_ = &g;
    return absl::OkStatus();
  }
  if (id == "GE") {
    if (group_ == nullptr) return SegmentError(s, "GE without a GS");
    absl::Status st = CloseGroup(s, *group_);
    group_ = nullptr;
    return st;
  }
  if (id == "IEA") {
    if (group_ != nullptr) {
      return SegmentError(s, absl::StrCat("group ", Printable(group_->control_number),
                                          " has no GE before the IEA"));
    }
    *done = true;
    return CloseInterchange(s, ic);
  }
  if (id == "ISA") {
    return SegmentError(s, absl::StrCat("interchange ", Printable(ic.control_number),
                                        " has no IEA before this ISA"));
  }
  return SegmentError(s, "segment outside a transaction set (no ST before it)");
}

absl::Status Reader::OpenTransaction(const Segment& s, FunctionalGroup& group) {
  TransactionSet& tx = group.transactions.emplace_back();
  tx.id = s.Element(1);
  tx.control_number = s.Element(2);
  tx.implementation = s.Element(3).empty() ? group.version : s.Element(3);
  if (tx.id.empty()) return SegmentError(s, "ST01 (transaction set id) is empty");
  if (tx.control_number.empty()) return SegmentError(s, "ST02 (control number) is empty");
  if (!s.Element(3).empty() && !group.version.empty() && s.Element(3) != group.version) {
    doc_.warnings.push_back({s.position(), "ST03 and GS08 name different versions; using ST03"});
  }
  tx.segments.push_back(s);
  tx_ = &tx;
  return absl::OkStatus();
}

absl::StatusOr<size_t> Reader::Count(const Segment& s, size_t i, std::string_view name) const {
  size_t n = 0;
  const std::string_view text = s.Element(i);
  if (!AllDigits(text) || text.size() > 10 || !absl::SimpleAtoi(Av(text), &n)) {
    return SegmentError(s, absl::StrCat(Av(name), " is not a count"));
  }
  return n;
}

absl::Status Reader::CloseTransaction(const Segment& se, TransactionSet& tx) {
  absl::StatusOr<size_t> count = Count(se, 1, "SE01");
  if (!count.ok()) return count.status();
  if (*count != tx.segments.size()) {
    return SegmentError(se,
                        absl::StrFormat("SE01 says %d segments but transaction %s has %d "
                                        "(ST through SE)",
                                        *count, Printable(tx.control_number), tx.segments.size()));
  }
  if (!SameControlNumber(se.Element(2), tx.control_number)) {
    return SegmentError(se, absl::StrCat("SE02 ", Printable(se.Element(2)), " does not match ST02 ",
                                         Printable(tx.control_number)));
  }
  return absl::OkStatus();
}

absl::Status Reader::CloseGroup(const Segment& ge, FunctionalGroup& group) {
  absl::StatusOr<size_t> count = Count(ge, 1, "GE01");
  if (!count.ok()) return count.status();
  if (*count != group.transactions.size()) {
    return SegmentError(
        ge, absl::StrFormat("GE01 says %d transaction sets but group %s has %d", *count,
                            Printable(group.control_number), group.transactions.size()));
  }
  if (!SameControlNumber(ge.Element(2), group.control_number)) {
    return SegmentError(ge, absl::StrCat("GE02 ", Printable(ge.Element(2)), " does not match GS06 ",
                                         Printable(group.control_number)));
  }
  return absl::OkStatus();
}

absl::Status Reader::CloseInterchange(const Segment& iea, const Interchange& ic) {
  absl::StatusOr<size_t> count = Count(iea, 1, "IEA01");
  if (!count.ok()) return count.status();
  if (*count != ic.groups.size()) {
    return SegmentError(iea,
                        absl::StrFormat("IEA01 says %d functional groups but interchange %s "
                                        "has %d",
                                        *count, Printable(ic.control_number), ic.groups.size()));
  }
  if (!SameControlNumber(iea.Element(2), ic.control_number)) {
    return SegmentError(iea, absl::StrCat("IEA02 ", Printable(iea.Element(2)),
                                          " does not match ISA13 ", Printable(ic.control_number)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view Segment::Element(size_t i) const {
  size_t start = 0;
  for (size_t k = 0; k < i; ++k) {
    const size_t sep = raw_.find(element_, start);
    if (sep == std::string_view::npos) return {};
    start = sep + 1;
  }
  const size_t end = raw_.find(element_, start);
  return raw_.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

size_t Segment::ElementCount() const {
  size_t n = 0;
  for (char c : raw_) n += c == element_ ? 1 : 0;
  return n;
}

Composite Segment::CompositeAt(size_t i) const {
  const std::string_view text = Element(i);
  Composite out;
  out.separator = component_;
  if (text.find(component_) == std::string_view::npos && text.size() >= 4 && IsAlnum(text[0]) &&
      IsAlnum(text[1]) && !IsAlnum(text[2]) &&
      kNeverSeparators.find(text[2]) == std::string_view::npos) {
    out.separator = text[2];
    out.foreign_separator = true;
  }
  size_t start = 0;
  while (true) {
    const size_t sep = text.find(out.separator, start);
    out.components.push_back(
        text.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start));
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  return out;
}

absl::StatusOr<Document> ReadX12(std::string_view bytes, const ReaderLimits& limits) {
  return Reader(bytes, limits).Run();
}

std::string SegmentPrefix(const Segment& segment) {
  return absl::StrCat("segment ", segment.position(), " (", Av(segment.id()), "): ");
}

std::string Printable(std::string_view control_number) {
  if (control_number.empty() || control_number.size() > 15) return "(not shown)";
  for (char c : control_number) {
    if (!IsAlnum(c) && c != ' ') return "(not shown)";
  }
  return std::string(control_number);
}

}  // namespace rcl::x12
