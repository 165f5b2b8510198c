// The X12 reader: delimiters, line breaks, envelopes, counts, limits
// (ledger/x12/reader.h).
#include "ledger/x12/reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/x12/x12_builder.h"

namespace rcl::x12 {
namespace {

using ::rcl::x12::testing::X12Builder;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Status ReadStatus(const std::string& bytes, const ReaderLimits& limits = {}) {
  return ReadX12(bytes, limits).status();
}

TEST(ReadX12, ReadsTheEnvelopes) {
  const std::string bytes = X12Builder().Str();
  absl::StatusOr<Document> doc = ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->interchanges.size(), 1u);
  const Interchange& ic = doc->interchanges[0];
  EXPECT_EQ(ic.control_number, "000000101");
  EXPECT_EQ(ic.sender, "SENDER");
  EXPECT_EQ(ic.receiver, "RECEIVER");
  EXPECT_EQ(ic.version, "00501");
  EXPECT_EQ(ic.usage, "P");
  EXPECT_EQ(ic.delimiters.element, '*');
  EXPECT_EQ(ic.delimiters.component, ':');
  EXPECT_EQ(ic.delimiters.repetition, '^');
  EXPECT_EQ(ic.delimiters.segment, '~');
  ASSERT_EQ(ic.groups.size(), 1u);
  EXPECT_EQ(ic.groups[0].functional_id, "HP");
  EXPECT_EQ(ic.groups[0].control_number, "7");
  ASSERT_EQ(ic.groups[0].transactions.size(), 1u);
  const TransactionSet& tx = ic.groups[0].transactions[0];
  EXPECT_EQ(tx.id, "835");
  EXPECT_EQ(tx.control_number, "0001");
  EXPECT_EQ(tx.implementation, "005010X221A1");
  EXPECT_EQ(tx.segments.size(), 16u);
  EXPECT_EQ(tx.segments.front().position(), 3u);  // ISA 1, GS 2
  EXPECT_EQ(tx.segments[1].id(), "BPR");
  EXPECT_EQ(tx.segments[1].Element(2), "100");
  EXPECT_EQ(tx.segments[1].Element(11), "");
  EXPECT_EQ(tx.segments[1].Element(99), "");
  EXPECT_EQ(doc->segment_count, 20u);
  EXPECT_TRUE(doc->warnings.empty());
}

TEST(ReadX12, AnyLineBreaksOrNoneReadTheSame) {
  X12Builder b;
  for (const char* breaks : {"", "\n", "\r\n", "\r\n\r\n", "\n  "}) {
    b.line_break = breaks;
    const std::string bytes = b.Str();
    absl::StatusOr<Document> doc = ReadX12(bytes);
    ASSERT_TRUE(doc.ok()) << doc.status();
    const TransactionSet& tx = doc->interchanges[0].groups[0].transactions[0];
    ASSERT_EQ(tx.segments.size(), 16u);
    EXPECT_EQ(tx.segments[7].raw(), "CLP*CL1*1*150*100*20*12*PAYERCLM1*11*1");
  }
}

TEST(ReadX12, SkipsAUtf8ByteOrderMark) {
  const std::string bytes = "\xEF\xBB\xBF" + X12Builder().Str();
  absl::StatusOr<Document> doc = ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->interchanges[0].control_number, "000000101");
}

TEST(ReadX12, TakesCustomDelimitersFromTheIsa) {
  X12Builder b;
  b.element = '|';
  b.component = '>';
  b.repetition = '!';
  b.terminator = '\n';
  b.line_break = "";
  const std::string bytes = b.Str();
  absl::StatusOr<Document> doc = ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const Interchange& ic = doc->interchanges[0];
  EXPECT_EQ(ic.delimiters.element, '|');
  EXPECT_EQ(ic.delimiters.component, '>');
  EXPECT_EQ(ic.delimiters.repetition, '!');
  EXPECT_EQ(ic.delimiters.segment, '\n');
  const Segment& svc = ic.groups[0].transactions[0].segments[9];
  EXPECT_EQ(svc.id(), "SVC");
  Composite c = svc.CompositeAt(1);
  EXPECT_FALSE(c.foreign_separator);
  EXPECT_THAT(c.components, ::testing::ElementsAre("HC", "99213", "25"));
}

TEST(ReadX12, ControlCharacterDelimitersAreNotWhitespace) {
  X12Builder b;
  b.element = '\x1D';
  b.component = '\x1F';
  b.terminator = '\x1C';
  b.line_break = "\r\n";
  const std::string bytes = b.Str();
  absl::StatusOr<Document> doc = ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const TransactionSet& tx = doc->interchanges[0].groups[0].transactions[0];
  EXPECT_EQ(tx.segments[7].Element(1), "CL1");
  EXPECT_EQ(tx.segments[9].CompositeAt(1).components.size(), 3u);
}

TEST(ReadX12, CarriageReturnAsTerminatorWithLineFeedAfter) {
  X12Builder b;
  b.terminator = '\r';
  b.line_break = "\n";
  const std::string bytes = b.Str();
  absl::StatusOr<Document> doc = ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->interchanges[0].groups[0].transactions[0].segments.size(), 16u);
}

TEST(ReadX12, ReadsTwoInterchangesWithTheirOwnDelimiters) {
  X12Builder first;
  X12Builder second;
  second.isa13 = "000000102";
  second.element = '|';
  second.terminator = '\n';
  second.line_break = "";
  second.st02 = "0002";
  const std::string bytes = first.Str() + "\n\n" + second.Str();
  absl::StatusOr<Document> doc = ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->interchanges.size(), 2u);
  EXPECT_EQ(doc->interchanges[1].control_number, "000000102");
  EXPECT_EQ(doc->interchanges[1].delimiters.element, '|');
  const TransactionSet& tx = doc->interchanges[1].groups[0].transactions[0];
  EXPECT_EQ(tx.control_number, "0002");
  EXPECT_EQ(tx.segments.front().position(), 23u);  // 20 segments in the first
  EXPECT_EQ(tx.segments[7].Element(1), "CL1");
}

TEST(ReadX12, ANameContainingIsaIsNotAnInterchange) {
  X12Builder b;
  b.body[3] = "N1*PR*ISA INSURANCE*XV*87726";
  const std::string bytes = b.Str();
  absl::StatusOr<Document> doc = ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->interchanges.size(), 1u);
}

TEST(ReadX12, ReadsA4010IsaWhereIsa11IsNoSeparator) {
  X12Builder b;
  b.isa12 = "00401";
  b.repetition = 'U';
  b.version = "004010X091A1";
  const std::string bytes = b.Str();
  absl::StatusOr<Document> doc = ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->interchanges[0].delimiters.repetition, '\0');
  EXPECT_EQ(doc->interchanges[0].groups[0].transactions[0].implementation, "004010X091A1");
}

TEST(ReadX12, WrongSegmentCountNamesTheSe) {
  X12Builder b;
  b.se01_delta = 1;
  absl::Status st = ReadStatus(b.Str());
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "segment 18 (SE): SE01 says 17 segments but transaction 0001 has 16 (ST through SE)");
}

TEST(ReadX12, MismatchedControlNumbersNameTheSegment) {
  X12Builder b;
  b.se02 = "0009";
  EXPECT_EQ(ReadStatus(b.Str()).message(), "segment 18 (SE): SE02 0009 does not match ST02 0001");
  b = X12Builder();
  b.ge02 = "8";
  EXPECT_EQ(ReadStatus(b.Str()).message(), "segment 19 (GE): GE02 8 does not match GS06 7");
  b = X12Builder();
  b.iea02 = "000000999";
  EXPECT_EQ(ReadStatus(b.Str()).message(),
            "segment 20 (IEA): IEA02 000000999 does not match ISA13 000000101");
}

TEST(ReadX12, ControlNumbersCompareAsNumbers) {
  X12Builder b;
  b.ge02 = "0007";
  EXPECT_TRUE(ReadStatus(b.Str()).ok());
}

TEST(ReadX12, WrongGroupAndInterchangeCounts) {
  std::string bytes = X12Builder().Str();
  std::string bad_ge = bytes;
  bad_ge.replace(bad_ge.find("GE*1*7"), 6, "GE*2*7");
  EXPECT_EQ(ReadStatus(bad_ge).message(),
            "segment 19 (GE): GE01 says 2 transaction sets but group 7 has 1");
  std::string bad_iea = bytes;
  bad_iea.replace(bad_iea.find("IEA*1*"), 6, "IEA*3*");
  EXPECT_EQ(ReadStatus(bad_iea).message(),
            "segment 20 (IEA): IEA01 says 3 functional groups but interchange 000000101 has 1");
  std::string garbage_count = bytes;
  garbage_count.replace(garbage_count.find("SE*16"), 5, "SE*1x");
  EXPECT_EQ(ReadStatus(garbage_count).message(), "segment 18 (SE): SE01 is not a count");
}

TEST(ReadX12, TruncatedFileIsAnError) {
  const std::string bytes = X12Builder().Str();
  const std::string cut = bytes.substr(0, bytes.find("CAS*CO") + 5);
  absl::Status st = ReadStatus(cut);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "segment 14: the file ends inside a segment (truncated?)");
  // Cut at a segment boundary: the interchange has no IEA.
  const std::string at_boundary = bytes.substr(0, bytes.find("CAS*CO"));
  EXPECT_EQ(ReadStatus(at_boundary).message(),
            "segment 1 (ISA): interchange 000000101 has no IEA; the file ends inside it");
  // Every prefix fails cleanly (no crash, a message).
  for (size_t n = 0; n + 1 < bytes.size(); n += 7) {
    absl::Status prefix = ReadStatus(bytes.substr(0, n));
    EXPECT_FALSE(prefix.ok()) << n;
    EXPECT_FALSE(prefix.message().empty());
  }
}

TEST(ReadX12, MissingIeaBeforeTheNextIsa) {
  std::string one = X12Builder().Str();
  one.erase(one.find("IEA*"));
  X12Builder second;
  second.isa13 = "000000102";
  EXPECT_EQ(ReadStatus(one + second.Str()).message(),
            "segment 20 (ISA): interchange 000000101 has no IEA before this ISA");
}

TEST(ReadX12, MissingSeOrGeOrGs) {
  std::string bytes = X12Builder().Str();
  std::string no_se = bytes;
  no_se.erase(no_se.find("SE*16"), std::string("SE*16*0001~\n").size());
  EXPECT_EQ(ReadStatus(no_se).message(),
            "segment 18 (GE): transaction 0001 has no SE before this segment");
  std::string no_gs = bytes;
  no_gs.erase(no_gs.find("GS*"), no_gs.find("ST*") - no_gs.find("GS*"));
  EXPECT_EQ(ReadStatus(no_gs).message(), "segment 2 (ST): ST outside a functional group (no GS)");
  std::string stray = bytes;
  stray.insert(stray.find("GE*"), "CLP*X*1*1*1~\n");
  EXPECT_EQ(ReadStatus(stray).message(),
            "segment 19 (CLP): segment outside a transaction set (no ST before it)");
}

TEST(ReadX12, EmptyAndGarbageInput) {
  EXPECT_EQ(ReadStatus("").message(), "the file holds no X12 interchange (no ISA segment)");
  EXPECT_EQ(ReadStatus("\r\n \n").message(), "the file holds no X12 interchange (no ISA segment)");
  EXPECT_THAT(std::string(ReadStatus("hello world").message()),
              HasSubstr("expected ISA (the start of an interchange) at byte 0"));
  const std::string bytes = X12Builder().Str();
  EXPECT_THAT(std::string(ReadStatus(bytes + "PATIENT NAME").message()), Not(HasSubstr("PATIENT")));
}

TEST(ReadX12, RefusesAmbiguousDelimiters) {
  X12Builder b;
  b.component = '*';
  EXPECT_THAT(std::string(ReadStatus(b.Str()).message()),
              HasSubstr("two delimiters are the same character"));
  b = X12Builder();
  b.terminator = 'A';
  EXPECT_THAT(std::string(ReadStatus(b.Str()).message()),
              HasSubstr("a delimiter is a letter, digit or space"));
}

TEST(ReadX12, WarnsAboutAnIsaThatIsNotFixedWidth) {
  std::string bytes = X12Builder().Str();
  bytes.replace(bytes.find("SENDER         "), 15, "SENDER");
  absl::StatusOr<Document> doc = ReadX12(bytes);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_EQ(doc->warnings.size(), 1u);
  EXPECT_EQ(doc->warnings[0].message, "ISA is 97 bytes, not the fixed 106");
  EXPECT_EQ(doc->interchanges[0].sender, "SENDER");
}

TEST(ReadX12, BadIsaControlNumber) {
  X12Builder b;
  b.isa13 = "12345";
  EXPECT_EQ(ReadStatus(b.Str()).message(),
            "segment 1 (ISA): ISA13 (interchange control number) is not nine digits");
}

TEST(ReadX12, OversizeInputIsResourceExhausted) {
  std::string big(kInputBytesMax + 1, ' ');
  absl::Status st = ReadStatus(big);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(), "the file is 67108865 bytes; the limit is 67108864 bytes (64 MiB)");
  ReaderLimits small;
  small.input_bytes_max = 100;
  EXPECT_EQ(ReadStatus(X12Builder().Str(), small).code(), absl::StatusCode::kResourceExhausted);
}

TEST(ReadX12, SegmentAndElementLimits) {
  ReaderLimits limits;
  limits.segments_max = 10;
  absl::Status st = ReadStatus(X12Builder().Str(), limits);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(), "the file has more than 10 segments");

  X12Builder b;
  b.body[3] = "N1*PR*" + std::string(kElementBytesMax + 1, 'X');
  st = ReadStatus(b.Str());
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(), "segment 7 (N1): element 2 is longer than 512 bytes");

  b = X12Builder();
  b.body[3] = "N1" + std::string(kElementsPerSegmentMax + 1, '*');
  st = ReadStatus(b.Str());
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(), "segment 7 (N1): more than 64 elements");
}

TEST(ReadX12, BadSegmentIdDoesNotEchoTheBytes) {
  X12Builder b;
  b.body[7] = "jane doe*1";
  absl::Status st = ReadStatus(b.Str());
  EXPECT_EQ(st.message(), "segment 11: not a segment (bad segment id)");
}

TEST(Segment, CompositeWithAForeignSeparator) {
  const Delimiters d;
  Segment svc("SVC*HC>12345>26*166.5", d, 9);
  Composite c = svc.CompositeAt(1);
  EXPECT_TRUE(c.foreign_separator);
  EXPECT_EQ(c.separator, '>');
  EXPECT_THAT(c.components, ::testing::ElementsAre("HC", "12345", "26"));
  // Only after a two-character qualifier; ordinary values are one component.
  EXPECT_THAT(svc.CompositeAt(2).components, ::testing::ElementsAre("166.5"));
  EXPECT_FALSE(svc.CompositeAt(2).foreign_separator);
  Segment plain("SVC*HC*1", d, 1);
  EXPECT_THAT(plain.CompositeAt(1).components, ::testing::ElementsAre("HC"));
  EXPECT_THAT(plain.CompositeAt(7).components, ::testing::ElementsAre(""));
  Segment dash("PLB*1*20240101*WO-REF", d, 1);
  EXPECT_FALSE(dash.CompositeAt(3).foreign_separator);
  EXPECT_EQ(SegmentPrefix(svc), "segment 9 (SVC): ");
}

TEST(Printable, ShowsOnlyPlainControlNumbers) {
  EXPECT_EQ(Printable("000000907"), "000000907");
  EXPECT_EQ(Printable(""), "(not shown)");
  EXPECT_EQ(Printable("a*b"), "(not shown)");
  EXPECT_EQ(Printable("0123456789012345"), "(not shown)");
}

}  // namespace
}  // namespace rcl::x12
