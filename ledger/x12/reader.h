// The X12 reader: splits a file of one or more interchanges (ISA ... IEA)
// into functional groups (GS ... GE) and transaction sets (ST ... SE), with
// the delimiters each ISA declares, and checks the envelopes: control numbers
// (ISA13 = IEA02, GS06 = GE02, ST02 = SE02) and counts (SE01 segments, GE01
// transactions, IEA01 groups). Knows nothing of any transaction's content;
// remit835.h and claim837p.h give those their types.
//
// Accepts a UTF-8 byte order mark, any CR/LF (and blank lines) between
// segments and interchanges unless CR or LF is itself a delimiter, and
// delimiters of any non-alphanumeric byte, control characters included.
// Bounded by ReaderLimits; a limit exceeded is RESOURCE_EXHAUSTED, anything
// malformed INVALID_ARGUMENT. Every message names the segment's position in
// the file (1-based, the first ISA is segment 1) and its id, and never
// repeats element contents except envelope control numbers (no PHI in
// errors).
//
// A Document holds views into the caller's bytes, which must outlive it.
// Documents are immutable after ReadX12 and thread-compatible.
#ifndef RCL_LEDGER_X12_READER_H_
#define RCL_LEDGER_X12_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rcl::x12 {

// Largest file accepted (the import RPC's bound).
inline constexpr size_t kInputBytesMax = 64 * 1024 * 1024;
// Most segments in one file: a 10,000-claim 835 has about 200,000.
inline constexpr size_t kSegmentsMax = 4'000'000;
// Longest element (X12's longest in 835/837P is 264 bytes, MSG01).
inline constexpr size_t kElementBytesMax = 512;
// Most elements in one segment (CAS has 19, ISA 16).
inline constexpr size_t kElementsPerSegmentMax = 64;
// The fixed length of an ISA segment, terminator included.
inline constexpr size_t kIsaBytes = 106;

struct ReaderLimits {
  size_t input_bytes_max = kInputBytesMax;
  size_t segments_max = kSegmentsMax;
  size_t element_bytes_max = kElementBytesMax;
  size_t elements_per_segment_max = kElementsPerSegmentMax;
};

// The four delimiters of one interchange. `repetition` is '\0' before
// version 00402 (4010 files carry 'U' in ISA11, which is no separator).
struct Delimiters {
  char element = '*';
  char component = ':';
  char repetition = '^';
  char segment = '~';
};

// Something worth telling the user that did not stop the read.
struct Warning {
  size_t segment = 0;  // position in the file, 0 when not about one segment
  std::string message;
};

// A composite element split into its components.
struct Composite {
  std::vector<std::string_view> components;
  // True when the element did not contain ISA16 but a two-character
  // qualifier followed by another separator ("HC>99213" under ISA16 ':'),
  // which was then used as the component separator.
  bool foreign_separator = false;
  char separator = '\0';
};

// One segment: a view of its bytes (terminator and surrounding line breaks
// excluded) and its position. Cheap to copy.
class Segment {
 public:
  Segment(std::string_view raw, const Delimiters& delimiters, uint32_t position)
      : raw_(raw),
        element_(delimiters.element),
        component_(delimiters.component),
        position_(position) {}

  std::string_view id() const { return Element(0); }
  // Element i (1-based: Element(1) is ISA01, CLP01...); "" when absent.
  std::string_view Element(size_t i) const;
  // How many elements follow the id (trailing empty ones are usually omitted).
  size_t ElementCount() const;
  // Element i split by the component separator (see Composite).
  Composite CompositeAt(size_t i) const;
  // 1-based position in the file.
  uint32_t position() const { return position_; }
  std::string_view raw() const { return raw_; }
  char component_separator() const { return component_; }

 private:
  std::string_view raw_;
  char element_;
  char component_;
  uint32_t position_;
};

// ST ... SE, both included in `segments`.
struct TransactionSet {
  std::string_view id;              // ST01: "835", "837"
  std::string_view control_number;  // ST02
  std::string_view implementation;  // ST03 if present, else GS08
  std::vector<Segment> segments;
};

struct FunctionalGroup {
  std::string_view functional_id;   // GS01: "HP" (835), "HC" (837)
  std::string_view sender;          // GS02
  std::string_view receiver;        // GS03
  std::string_view date;            // GS04, CCYYMMDD
  std::string_view control_number;  // GS06
  std::string_view version;         // GS08
  uint32_t position = 0;            // of the GS
  std::vector<TransactionSet> transactions;
};

struct Interchange {
  Delimiters delimiters;
  std::string_view sender_qualifier;  // ISA05
  std::string_view sender;            // ISA06, trailing spaces removed
  std::string_view receiver_qualifier;
  std::string_view receiver;        // ISA08, trailing spaces removed
  std::string_view date;            // ISA09, YYMMDD
  std::string_view time;            // ISA10, HHMM
  std::string_view version;         // ISA12: "00501", "00401"
  std::string_view control_number;  // ISA13
  std::string_view usage;           // ISA15: P or T
  uint32_t position = 0;            // of the ISA
  std::vector<FunctionalGroup> groups;
};

struct Document {
  std::vector<Interchange> interchanges;
  std::vector<Warning> warnings;
  size_t segment_count = 0;  // every segment, envelopes included
};

// Reads every interchange of `bytes`. See the file comment for what is
// accepted; `bytes` must outlive the Document.
absl::StatusOr<Document> ReadX12(std::string_view bytes, const ReaderLimits& limits = {});

// "segment 17 (CLP): " - the prefix of every message about one segment.
std::string SegmentPrefix(const Segment& segment);

// The text if it is a plausible control number (1-15 letters, digits or
// spaces), else "(not shown)": envelope values may be echoed, nothing else.
std::string Printable(std::string_view control_number);

}  // namespace rcl::x12

#endif  // RCL_LEDGER_X12_READER_H_
