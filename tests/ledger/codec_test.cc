// The on-disk format (docs/STORAGE.md): event records survive an encode/decode
// round trip exactly, the hash covers every field, undecodable bytes are
// DATA_LOSS (never a crash or a half-decoded event), and keys sort the way the
// log and the stream index rely on.
#include "ledger/storage/codec.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/status.h"

namespace rcl::ledger {
namespace {

using ::testing::HasSubstr;

Hash HashOf(uint8_t fill) {
  Hash h;
  h.fill(fill);
  return h;
}

// A record with every field set to something distinctive, including a binary
// payload with NUL and high bytes, and its hash computed as the ledger does.
EventRecord SampleRecord() {
  EventRecord e;
  e.position = 0x0102030405060708ULL;
  e.version = 42;
  e.tenant_seq = 0x1112131415161718ULL;
  e.recorded_at_us = 1'700'000'000'123'456;
  e.tenant = "clinic-1";
  e.stream = "encounter-E1";
  e.type = "ChargeRecorded";
  e.event_id = "3f8a2b8e-5b7c-4d2a-9e1f-0a1b2c3d4e5f";
  e.command_id = "cmd-17";
  e.correlation_id = "corr-9";
  e.causation_id = "cause-8";
  e.actor = "coder@example.test";
  e.effective_date = "2024-03-15";
  e.payload = std::string("\x00\x01\xff\xfe payload \x00", 14);
  e.prev_hash = HashOf(0xab);
  e.hash = ChainHash(e.prev_hash, CanonicalBytes(e));
  e.tenant_prev_hash = HashOf(0xcd);
  e.tenant_hash = ChainHash(e.tenant_prev_hash, CanonicalBytes(e));
  return e;
}

TEST(CodecTest, RecordRoundTripsExactly) {
  EventRecord e = SampleRecord();
  std::string bytes = EncodeRecord(e);
  absl::StatusOr<EventRecord> decoded = DecodeRecord(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, e);
  // Re-encoding the decoded record gives the same bytes (the format is canonical).
  EXPECT_EQ(EncodeRecord(*decoded), bytes);
}

// A reader that only looks (the projections, a subscription's sweep) decodes
// a record in place: every string a view into the record's own bytes, the
// same values DecodeRecord copies out.
TEST(CodecTest, RecordViewReadsTheStringsInPlace) {
  const EventRecord e = SampleRecord();
  const std::string bytes = EncodeRecord(e);
  absl::StatusOr<RecordView> view = DecodeRecordView(bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(ToRecord(*view), e);
  EXPECT_EQ(view->bytes.data(), bytes.data());
  for (std::string_view s : {view->tenant, view->stream, view->type, view->event_id,
                             view->command_id, view->correlation_id, view->causation_id,
                             view->actor, view->effective_date, view->payload}) {
    EXPECT_GE(s.data(), bytes.data());
    EXPECT_LE(s.data() + s.size(), bytes.data() + bytes.size());
  }
  // Moved onto a copy of its bytes, the view no longer needs the original.
  std::string copy = bytes;
  std::string original = bytes;
  absl::StatusOr<RecordView> on_original = DecodeRecordView(original);
  ASSERT_TRUE(on_original.ok());
  const RecordView moved = Rebased(*on_original, copy);
  std::fill(original.begin(), original.end(), '\x5a');
  EXPECT_EQ(moved.bytes.data(), copy.data());
  EXPECT_EQ(ToRecord(moved), e);
  // A bad record is refused the same way by both decoders.
  std::string truncated = bytes.substr(0, bytes.size() - 1);
  EXPECT_EQ(DecodeRecordView(truncated).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CodecTest, EmptyStringsAndExtremeIntegersRoundTrip) {
  EventRecord e;
  e.position = UINT64_MAX;
  e.version = 0;
  e.recorded_at_us = -1;  // stored as BE64 of the int64; must come back negative
  e.hash = HashOf(0xff);
  absl::StatusOr<EventRecord> decoded = DecodeRecord(EncodeRecord(e));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, e);
  EXPECT_EQ(decoded->recorded_at_us, -1);
}

TEST(CodecTest, LargePayloadRoundTrips) {
  EventRecord e = SampleRecord();
  e.payload.assign(kPayloadSizeMax, '\0');
  for (size_t i = 0; i < e.payload.size(); ++i) e.payload[i] = static_cast<char>(i * 131 + 7);
  absl::StatusOr<EventRecord> decoded = DecodeRecord(EncodeRecord(e));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->payload, e.payload);
}

TEST(CodecTest, LayoutMatchesStorageDoc) {
  EventRecord e = SampleRecord();
  std::string bytes = EncodeRecord(e);
  std::string canonical = CanonicalBytes(e);
  ASSERT_EQ(bytes.size(), canonical.size() + 4 * kHashSize);
  EXPECT_EQ(bytes.substr(0, canonical.size()), canonical);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 2);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRecordFormat);
  EXPECT_EQ(GetBigEndian64(bytes.data() + 1), e.position);
  EXPECT_EQ(GetBigEndian64(bytes.data() + 9), e.version);
  EXPECT_EQ(static_cast<int64_t>(GetBigEndian64(bytes.data() + 17)), e.recorded_at_us);
  EXPECT_EQ(GetBigEndian64(bytes.data() + 25), e.tenant_seq);
  // First string (tenant): u32 BE length then bytes, at offset 33.
  EXPECT_EQ(bytes.substr(33, 4), std::string("\0\0\0\x08", 4));
  EXPECT_EQ(bytes.substr(37, 8), "clinic-1");
  auto hash_at = [&](size_t from_end) { return bytes.substr(bytes.size() - from_end, kHashSize); };
  auto str = [](const Hash& h) {
    return std::string(reinterpret_cast<const char*>(h.data()), kHashSize);
  };
  EXPECT_EQ(hash_at(128), str(e.prev_hash));
  EXPECT_EQ(hash_at(96), str(e.hash));
  EXPECT_EQ(hash_at(64), str(e.tenant_prev_hash));
  EXPECT_EQ(hash_at(32), str(e.tenant_hash));
}

TEST(CodecTest, ChainHashIsSha256OfPrevHashThenCanonicalBytes) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(HashHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EventRecord e = SampleRecord();
  std::string canonical = CanonicalBytes(e);
  std::string joined(reinterpret_cast<const char*>(e.prev_hash.data()), kHashSize);
  joined += canonical;
  EXPECT_EQ(ChainHash(e.prev_hash, canonical), Sha256(joined));
  EXPECT_EQ(HashHex(HashOf(0)), std::string(64, '0'));
}

TEST(CodecTest, EveryFieldChangesTheHash) {
  const EventRecord base = SampleRecord();
  const Hash base_hash = base.hash;
  struct Mutation {
    std::string field;
    std::function<void(EventRecord&)> apply;
  };
  const std::vector<Mutation> mutations = {
      {"position", [](EventRecord& e) { e.position += 1; }},
      {"version", [](EventRecord& e) { e.version += 1; }},
      {"tenant_seq", [](EventRecord& e) { e.tenant_seq += 1; }},
      {"recorded_at_us", [](EventRecord& e) { e.recorded_at_us += 1; }},
      {"tenant", [](EventRecord& e) { e.tenant = "clinic-2"; }},
      {"stream", [](EventRecord& e) { e.stream = "encounter-E2"; }},
      {"type", [](EventRecord& e) { e.type = "ChargeVoided"; }},
      {"event_id", [](EventRecord& e) { e.event_id.back() = '0'; }},
      {"command_id", [](EventRecord& e) { e.command_id = "cmd-18"; }},
      {"correlation_id", [](EventRecord& e) { e.correlation_id = ""; }},
      {"causation_id", [](EventRecord& e) { e.causation_id = "cause-9"; }},
      {"actor", [](EventRecord& e) { e.actor = "other@example.test"; }},
      {"effective_date", [](EventRecord& e) { e.effective_date = "2024-03-16"; }},
      {"payload (one byte)", [](EventRecord& e) { e.payload[3] ^= 0x01; }},
      {"payload (one more byte)", [](EventRecord& e) { e.payload.push_back('\0'); }},
      // Moving a byte from one string to the next must not collide: lengths
      // are part of the canonical bytes.
      {"tenant/stream boundary",
       [](EventRecord& e) {
         e.stream = e.tenant.back() + e.stream;
         e.tenant.pop_back();
       }},
      {"actor/effective_date boundary",
       [](EventRecord& e) {
         e.effective_date = e.actor + e.effective_date;
         e.actor.clear();
       }},
  };
  std::map<Hash, std::string> seen = {{base_hash, "base"}};
  for (const Mutation& m : mutations) {
    SCOPED_TRACE(m.field);
    EventRecord e = base;
    m.apply(e);
    ASSERT_NE(CanonicalBytes(e), CanonicalBytes(base));
    Hash h = ChainHash(e.prev_hash, CanonicalBytes(e));
    EXPECT_NE(h, base_hash);
    auto [it, inserted] = seen.emplace(h, m.field);
    EXPECT_TRUE(inserted) << "same hash as " << it->second;
  }
  // The previous event's hash is covered too (this is what chains the log).
  SCOPED_TRACE("prev_hash");
  for (size_t byte = 0; byte < kHashSize; byte += 7) {
    Hash prev = base.prev_hash;
    prev[byte] ^= 0x80;
    EXPECT_NE(ChainHash(prev, CanonicalBytes(base)), base_hash) << "byte " << byte;
  }
}

TEST(CodecTest, HashesDoNotDependOnTheStoredHashFields) {
  // The canonical bytes exclude all four hashes, so re-hashing a stored record
  // reproduces its hash.
  EventRecord e = SampleRecord();
  EventRecord other = e;
  other.hash = HashOf(0x11);
  other.prev_hash = HashOf(0x12);
  other.tenant_prev_hash = HashOf(0x13);
  other.tenant_hash = HashOf(0x14);
  EXPECT_EQ(CanonicalBytes(other), CanonicalBytes(e));
}

void ExpectDataLoss(std::string_view bytes, std::string_view what) {
  absl::StatusOr<EventRecord> decoded = DecodeRecord(bytes);
  EXPECT_FALSE(decoded.ok()) << what << " decoded as an event";
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss)
      << what << ": " << decoded.status();
}

TEST(CodecTest, EveryTruncationIsDataLoss) {
  std::string bytes = EncodeRecord(SampleRecord());
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(absl::StrCat("first ", n, " of ", bytes.size(), " bytes"));
    ExpectDataLoss(std::string_view(bytes).substr(0, n), "truncated record");
  }
}

TEST(CodecTest, TrailingBytesAreDataLoss) {
  std::string bytes = EncodeRecord(SampleRecord());
  for (int extra = 1; extra <= 8; ++extra) {
    SCOPED_TRACE(absl::StrCat(extra, " extra bytes"));
    std::string longer = bytes;
    // Insert before the hashes so the hashes are still where a decoder looks.
    longer.insert(longer.size() - 4 * kHashSize, std::string(extra, '\0'));
    ExpectDataLoss(longer, "record with trailing bytes");
    ExpectDataLoss(bytes + std::string(extra, '\x7f'), "record with appended bytes");
  }
}

TEST(CodecTest, UnknownFormatIsDataLoss) {
  std::string bytes = EncodeRecord(SampleRecord());
  for (int format : {0, 1, 3, 0x7f, 0xff}) {
    bytes[0] = static_cast<char>(format);
    absl::StatusOr<EventRecord> decoded = DecodeRecord(bytes);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("format"));
  }
}

TEST(CodecTest, OversizedLengthPrefixIsDataLoss) {
  EventRecord e = SampleRecord();
  std::string bytes = EncodeRecord(e);
  // Each of the ten length prefixes in turn claims 4 GiB - 1 or one byte more
  // than there is.
  size_t offset = 33;
  const std::vector<std::string> fields = {
      e.tenant,         e.stream,       e.type,  e.event_id,       e.command_id,
      e.correlation_id, e.causation_id, e.actor, e.effective_date, e.payload};
  for (size_t i = 0; i < fields.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("string field ", i));
    std::string huge = bytes;
    huge.replace(offset, 4, std::string("\xff\xff\xff\xff", 4));
    ExpectDataLoss(huge, "huge length");
    std::string plus_one = bytes;
    uint32_t n = static_cast<uint32_t>(fields[i].size()) + 1;
    char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                   static_cast<char>(n >> 8), static_cast<char>(n)};
    plus_one.replace(offset, 4, std::string(len, 4));
    ExpectDataLoss(plus_one, "length one too long");
    offset += 4 + fields[i].size();
  }
}

TEST(CodecTest, GarbageIsDataLoss) {
  std::mt19937_64 rng(20240315);
  for (int i = 0; i < 2000; ++i) {
    size_t size = rng() % 512;
    std::string garbage(size, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    if (!garbage.empty() && i % 2 == 0) garbage[0] = static_cast<char>(kRecordFormat);
    SCOPED_TRACE(absl::StrCat("garbage #", i, " of ", size, " bytes"));
    ExpectDataLoss(garbage, "random bytes");
  }
}

TEST(CodecTest, StringsOverTheirLimitsAreDataLoss) {
  struct Case {
    std::string field;
    std::function<void(EventRecord&)> apply;
  };
  const std::vector<Case> cases = {
      {"tenant", [](EventRecord& e) { e.tenant.assign(kEnvelopeStringSizeMax + 1, 't'); }},
      {"stream", [](EventRecord& e) { e.stream.assign(kEnvelopeStringSizeMax + 1, 's'); }},
      {"actor", [](EventRecord& e) { e.actor.assign(kEnvelopeStringSizeMax + 1, 'a'); }},
      {"effective_date",
       [](EventRecord& e) { e.effective_date.assign(kEnvelopeStringSizeMax + 1, '2'); }},
      {"payload", [](EventRecord& e) { e.payload.assign(kPayloadSizeMax + 1, '\0'); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    EventRecord e = SampleRecord();
    c.apply(e);
    absl::StatusOr<EventRecord> decoded = DecodeRecord(EncodeRecord(e));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(c.field));
  }
  // Exactly at the limits is fine.
  EventRecord e = SampleRecord();
  e.stream.assign(kEnvelopeStringSizeMax, 's');
  e.payload.assign(kPayloadSizeMax, 'p');
  EXPECT_TRUE(DecodeRecord(EncodeRecord(e)).ok());
}

TEST(CodecTest, SealRecordChainsAndEncodesTheEvent) {
  EventRecord e = SampleRecord();
  e.hash = HashOf(0);
  e.tenant_hash = HashOf(0);
  const Hash prev = HashOf(0x5c);
  const Hash tenant_prev = HashOf(0x3e);
  std::string record = "what the buffer held for the event before";
  const std::string canonical(SealRecord(prev, tenant_prev, &e, &record));
  EXPECT_EQ(canonical, CanonicalBytes(e));
  EXPECT_EQ(e.prev_hash, prev);
  EXPECT_EQ(e.hash, ChainHash(prev, canonical));
  EXPECT_EQ(e.tenant_prev_hash, tenant_prev);
  EXPECT_EQ(e.tenant_hash, ChainHash(tenant_prev, canonical));
  EXPECT_NE(e.hash, e.tenant_hash);
  EXPECT_EQ(record, EncodeRecord(e));
  // The buffer reused for a second event holds that event's record alone.
  EventRecord next = SampleRecord();
  next.position = e.position + 1;
  next.payload = "a shorter payload";
  const std::string next_canonical(SealRecord(e.hash, e.tenant_hash, &next, &record));
  EXPECT_EQ(next_canonical, CanonicalBytes(next));
  EXPECT_EQ(record, EncodeRecord(next));
  absl::StatusOr<EventRecord> decoded = DecodeRecord(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, next);
}

// What the sequencer is about to write must be a record DecodeRecord accepts;
// if not, the process stops instead of writing it.
TEST(CodecDeathTest, SealRecordRefusesToWriteWhatCouldNotBeReadBack) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::string record;
  EventRecord over = SampleRecord();
  over.actor.assign(kEnvelopeStringSizeMax + 1, 'a');
  EXPECT_DEATH(SealRecord(HashOf(1), HashOf(2), &over, &record),
               "RCL_CHECK\\(over == nullptr\\) failed: event at position [0-9]+: "
               "actor of 257 bytes, over its limit of 256");
  EventRecord unnamed = SampleRecord();
  unnamed.stream.clear();
  EXPECT_DEATH(SealRecord(HashOf(1), HashOf(2), &unnamed, &record),
               "lacks a position, tenant sequence, tenant, stream, type or event id");
  EventRecord unsequenced = SampleRecord();
  unsequenced.tenant_seq = 0;
  EXPECT_DEATH(SealRecord(HashOf(1), HashOf(2), &unsequenced, &record),
               "lacks a position, tenant sequence");
}

// --- Keys --------------------------------------------------------------------

std::vector<uint64_t> InterestingNumbers() {
  std::vector<uint64_t> v = {0,
                             1,
                             2,
                             127,
                             128,
                             255,
                             256,
                             257,
                             65535,
                             65536,
                             1'000'000,
                             (1ULL << 31) - 1,
                             1ULL << 31,
                             1ULL << 32,
                             (1ULL << 32) + 1,
                             1ULL << 56,
                             (1ULL << 63) - 1,
                             1ULL << 63,
                             UINT64_MAX - 1,
                             UINT64_MAX};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) v.push_back(rng() >> (rng() % 64));
  return v;
}

TEST(KeysTest, PositionKeyIsBigEndianAndRoundTrips) {
  EXPECT_EQ(PositionKey(1), std::string("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(PositionKey(0x0102030405060708ULL), "\x01\x02\x03\x04\x05\x06\x07\x08");
  for (uint64_t n : InterestingNumbers()) {
    std::string key = PositionKey(n);
    ASSERT_EQ(key.size(), 8u);
    absl::StatusOr<uint64_t> decoded = DecodePositionKey(key);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, n);
  }
}

TEST(KeysTest, MalformedPositionKeysAreDataLoss) {
  for (std::string key :
       {std::string(), std::string(7, '\0'), std::string(9, '\0'), std::string("abc")}) {
    absl::StatusOr<uint64_t> decoded = DecodePositionKey(key);
    ASSERT_FALSE(decoded.ok()) << "key of " << key.size() << " bytes";
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  }
}

// RocksDB's default comparator is bytewise (memcmp); std::string's operator<
// compares the same way (as unsigned char).
TEST(KeysTest, PositionKeysSortNumerically) {
  std::vector<uint64_t> numbers = InterestingNumbers();
  std::vector<std::string> keys;
  for (uint64_t n : numbers) keys.push_back(PositionKey(n));
  std::sort(numbers.begin(), numbers.end());
  std::sort(keys.begin(), keys.end());
  ASSERT_EQ(keys.size(), numbers.size());
  for (size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(GetBigEndian64(keys[i].data()), numbers[i]) << i;
  // Adjacent numbers stay adjacent across byte carries.
  EXPECT_LT(PositionKey(255), PositionKey(256));
  EXPECT_LT(PositionKey(65535), PositionKey(65536));
  EXPECT_LT(PositionKey((1ULL << 63) - 1), PositionKey(1ULL << 63));
}

TEST(KeysTest, StreamIndexKeysSortByVersionAndStreamsDoNotInterleave) {
  // Stream names that are prefixes of each other, and versions whose big-endian
  // bytes are larger than the characters that follow a shorter stream's name.
  const std::vector<std::pair<std::string, std::string>> streams = {{"clinic-1", "patient-1"},
                                                                    {"clinic-1", "patient-10"},
                                                                    {"clinic-1", "patient-1x"},
                                                                    {"clinic-1", "patient-2"},
                                                                    {"clinic-1", "encounter-1"},
                                                                    {"clinic-10", "patient-1"},
                                                                    {"clinic", "-1"},
                                                                    {"clinic-", "1"},
                                                                    {"c", "linic-1"}};
  const std::vector<uint64_t> versions = {0,   1,   2,    9,     10,         45,        48,
                                          255, 256, 1000, 65536, 1ULL << 40, UINT64_MAX};

  struct Entry {
    std::string key;
    size_t stream;
    uint64_t version;
  };
  std::vector<Entry> entries;
  for (size_t s = 0; s < streams.size(); ++s) {
    for (uint64_t v : versions) {
      std::string key = StreamIndexKey(streams[s].first, streams[s].second, v);
      EXPECT_TRUE(key.starts_with(StreamPrefix(streams[s].first, streams[s].second)));
      EXPECT_EQ(key.size(), StreamPrefix(streams[s].first, streams[s].second).size() + 8);
      entries.push_back({std::move(key), s, v});
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key; });
  for (size_t i = 1; i < entries.size(); ++i)
    ASSERT_NE(entries[i - 1].key, entries[i].key) << "duplicate key";

  // Each stream's keys form one contiguous run, in increasing version order.
  std::vector<bool> finished(streams.size(), false);
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    bool continues_run = i > 0 && entries[i - 1].stream == e.stream;
    if (continues_run) {
      EXPECT_LT(entries[i - 1].version, e.version)
          << streams[e.stream].first << "/" << streams[e.stream].second << " out of version order";
    } else {
      EXPECT_FALSE(finished[e.stream]) << streams[e.stream].first << "/" << streams[e.stream].second
                                       << " interleaves with another stream";
      if (i > 0) finished[entries[i - 1].stream] = true;
      EXPECT_EQ(e.version, 0u);
    }
  }

  // No stream's key carries another stream's prefix (ReadStream stops on it).
  for (size_t s = 0; s < streams.size(); ++s) {
    std::string prefix = StreamPrefix(streams[s].first, streams[s].second);
    for (const Entry& e : entries) {
      if (e.stream == s) continue;
      EXPECT_FALSE(e.key.starts_with(prefix) && e.key.size() == prefix.size() + 8)
          << streams[s].second << " would read an event of " << streams[e.stream].second;
    }
  }
}

TEST(KeysTest, CommandKeysAreDistinctAcrossTenantBoundaries) {
  EXPECT_NE(CommandKey("ab", "c"), CommandKey("a", "bc"));
  EXPECT_NE(CommandKey("clinic-1", "cmd-1"), CommandKey("clinic-2", "cmd-1"));
  EXPECT_EQ(CommandKey("clinic-1", "cmd-1"), std::string("clinic-1\0cmd-1", 14));
}

}  // namespace
}  // namespace rcl::ledger
