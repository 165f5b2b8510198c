// Bytes on disk: key layout and the event record encoding. See
// docs/STORAGE.md; any change here is a format change and needs a new
// format version.
#ifndef RCL_LEDGER_CODEC_H_
#define RCL_LEDGER_CODEC_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rcl::ledger {

inline constexpr size_t kHashSize = 32;  // SHA-256
using Hash = std::array<uint8_t, kHashSize>;

// Column families.
inline constexpr char kLogFamily[] = "log";  // BE64(position) -> event record
inline constexpr char kStreamIndexFamily[] =
    "streams";  // tenant \0 stream \0 BE64(version) -> BE64(position)
inline constexpr char kCommandFamily[] = "commands";  // tenant \0 command_id -> command record

// Event record format version (first byte of every record).
inline constexpr uint8_t kRecordFormatV1 = 1;

// Limits on one event.
inline constexpr size_t kPayloadSizeMax = 64 * 1024;
inline constexpr size_t kEnvelopeStringSizeMax = 256;  // tenant, stream, ids, actor, type, date

// One event with its full envelope, as stored.
struct EventRecord {
  uint64_t position = 0;  // global, gapless, from 1
  uint64_t version = 0;   // per stream, gapless, from 0
  int64_t recorded_at_us = 0;
  std::string tenant;
  std::string stream;
  std::string type;
  std::string event_id;
  std::string command_id;
  std::string correlation_id;
  std::string causation_id;
  std::string actor;
  std::string effective_date;
  std::string payload;
  Hash prev_hash{};
  Hash hash{};
  bool operator==(const EventRecord&) const = default;
};

// The canonical bytes of an event: everything but the two hashes, in a fixed
// order with fixed-width big-endian integers and u32-length-prefixed strings.
std::string CanonicalBytes(const EventRecord& event);

// SHA-256(prev_hash || canonical).
Hash ChainHash(const Hash& prev_hash, std::string_view canonical);

// Record = canonical || prev_hash || hash.
std::string EncodeRecord(const EventRecord& event);
// DATA_LOSS unless `bytes` is one whole record of a known format whose
// strings are within the limits above.
absl::StatusOr<EventRecord> DecodeRecord(std::string_view bytes);

// The record the sequencer writes for `event`: sets its prev_hash to
// `prev_hash` and its hash to ChainHash(prev_hash, canonical bytes), and
// returns EncodeRecord(*event). Stops the process (RCL_CHECK) if the event has
// no position, tenant, stream, type or event id, or a string over its limit:
// a record DecodeRecord would refuse never reaches the disk.
std::string SealRecord(const Hash& prev_hash, EventRecord* event);

// Keys.
std::string PositionKey(uint64_t position);
absl::StatusOr<uint64_t> DecodePositionKey(std::string_view key);
// tenant \0 stream \0 (prefix of all of a stream's index keys).
std::string StreamPrefix(std::string_view tenant, std::string_view stream);
std::string StreamIndexKey(std::string_view tenant, std::string_view stream, uint64_t version);
std::string CommandKey(std::string_view tenant, std::string_view command_id);

void PutBigEndian64(std::string* out, uint64_t value);
uint64_t GetBigEndian64(const char* in);

std::string HashHex(const Hash& hash);

// Plain SHA-256 of `data`.
Hash Sha256(std::string_view data);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_CODEC_H_
