// Bytes on disk: key layout and the event record encoding. See
// docs/STORAGE.md; any change here is a format change and needs a new
// format version.
#ifndef RCL_LEDGER_CODEC_H_
#define RCL_LEDGER_CODEC_H_

#include <array>
#include <cstdint>
#include <initializer_list>
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
inline constexpr char kTenantFamily[] = "tenants";  // tenant \0 BE64(tenant_seq) -> BE64(position)
inline constexpr char kMerkleFamily[] =
    "merkle";  // tenant \0 u8(level) BE64(index) -> 32-byte perfect node hash

// Event record format version (first byte of every record). Format 1 (no
// tenant sequence or tenant chain) is no longer read: see docs/STORAGE.md.
inline constexpr uint8_t kRecordFormat = 2;

// Limits on one event.
inline constexpr size_t kPayloadSizeMax = 64 * 1024;
inline constexpr size_t kEnvelopeStringSizeMax = 256;  // tenant, stream, ids, actor, type, date

// One event with its full envelope, as stored.
struct EventRecord {
  uint64_t position = 0;    // global, gapless, from 1
  uint64_t version = 0;     // per stream, gapless, from 0
  uint64_t tenant_seq = 0;  // per tenant, gapless, from 1
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
  Hash prev_hash{};         // the global chain: the previous event's hash
  Hash hash{};              // SHA-256(prev_hash || canonical)
  Hash tenant_prev_hash{};  // the tenant's chain: its previous event's tenant_hash
  Hash tenant_hash{};       // SHA-256(tenant_prev_hash || canonical)
  bool operator==(const EventRecord&) const = default;
};

// One stored event read in place: EventRecord's fields, the strings viewing
// the record's bytes (`bytes`, the whole record), so valid only as long as
// those bytes are. What a reader that only looks at events decodes them to
// (no copy of any string).
struct RecordView {
  uint64_t position = 0;
  uint64_t version = 0;
  uint64_t tenant_seq = 0;
  int64_t recorded_at_us = 0;
  std::string_view tenant;
  std::string_view stream;
  std::string_view type;
  std::string_view event_id;
  std::string_view command_id;
  std::string_view correlation_id;
  std::string_view causation_id;
  std::string_view actor;
  std::string_view effective_date;
  std::string_view payload;
  Hash prev_hash{};
  Hash hash{};
  Hash tenant_prev_hash{};
  Hash tenant_hash{};
  std::string_view bytes;  // the whole record the strings view
};

// The canonical bytes of an event: everything but the four hashes, in a fixed
// order with fixed-width big-endian integers and u32-length-prefixed strings.
// They are also the event's Merkle leaf (docs/AUDIT.md).
std::string CanonicalBytes(const EventRecord& event);

// SHA-256(prev_hash || canonical): both chains, global and per tenant.
Hash ChainHash(const Hash& prev_hash, std::string_view canonical);

// Record = canonical || prev_hash || hash || tenant_prev_hash || tenant_hash.
std::string EncodeRecord(const EventRecord& event);
// DATA_LOSS unless `bytes` is one whole record of a known format whose
// strings are within the limits above.
absl::StatusOr<EventRecord> DecodeRecord(std::string_view bytes);
// The same checks, the strings left in `bytes` (which must outlive the view).
absl::StatusOr<RecordView> DecodeRecordView(std::string_view bytes);
// The view's strings copied: what DecodeRecord(view.bytes) returns.
EventRecord ToRecord(const RecordView& view);
// `view` over `copy`, a copy of its bytes: the same strings at the same
// offsets (no decoding again).
RecordView Rebased(const RecordView& view, std::string_view copy);

// The record the sequencer writes for `event`: sets its prev_hash and
// tenant_prev_hash, its hash to ChainHash(prev_hash, canonical bytes) and its
// tenant_hash to ChainHash(tenant_prev_hash, canonical bytes), sets *record
// to EncodeRecord(*event) (its old contents dropped; its capacity kept, so
// that a buffer reused event after event allocates once), and returns the
// canonical bytes (the Merkle leaf): the record's first part, valid until
// *record changes. Stops the process (RCL_CHECK) if the event has no
// position, tenant sequence, tenant, stream, type or event id, or a string
// over its limit: a record DecodeRecord would refuse never reaches the disk.
std::string_view SealRecord(const Hash& prev_hash, const Hash& tenant_prev_hash, EventRecord* event,
                            std::string* record);

// Keys.
std::string PositionKey(uint64_t position);
absl::StatusOr<uint64_t> DecodePositionKey(std::string_view key);
// tenant \0 stream \0 (prefix of all of a stream's index keys).
std::string StreamPrefix(std::string_view tenant, std::string_view stream);
std::string StreamIndexKey(std::string_view tenant, std::string_view stream, uint64_t version);
// The same into *key (its old contents dropped, its capacity kept).
void StreamIndexKeyInto(std::string* key, std::string_view tenant, std::string_view stream,
                        uint64_t version);
std::string CommandKey(std::string_view tenant, std::string_view command_id);
// tenant \0 (prefix of all of a tenant's index keys, and of its Merkle nodes).
std::string TenantPrefix(std::string_view tenant);
std::string TenantIndexKey(std::string_view tenant, uint64_t tenant_seq);
// The `tenants` value: BE64(position), then, in a directory that keeps
// Merkle trees, the event's 32-byte leaf hash (its stored leaf, level 0).
inline constexpr size_t kTenantIndexValueSize = 8;
inline constexpr size_t kTenantIndexValueWithLeafSize = 8 + kHashSize;
std::string TenantIndexValue(uint64_t position, const Hash* leaf_hash);
// The same into *value (its old contents dropped, its capacity kept).
void TenantIndexValueInto(std::string* value, uint64_t position, const Hash* leaf_hash);
struct TenantIndexEntry {
  uint64_t position = 0;
  bool has_leaf = false;
  Hash leaf_hash{};
};
// DATA_LOSS unless `value` is 8 or 40 bytes.
absl::StatusOr<TenantIndexEntry> DecodeTenantIndexValue(std::string_view value);
// tenant \0 u8(level) BE64(index): the perfect node (level, index) of the
// tenant's tree (levels from kMerkleTileLevel up; see event_store.h).
std::string MerkleNodeKey(std::string_view tenant, uint32_t level, uint64_t index);

void PutBigEndian64(std::string* out, uint64_t value);
uint64_t GetBigEndian64(const char* in);

std::string HashHex(const Hash& hash);

// Plain SHA-256 of `data`.
Hash Sha256(std::string_view data);

// SHA-256 of the concatenation of `parts` (the chains' and the Merkle trees'
// hashes). The digest is fetched from OpenSSL once and each thread reuses
// one context: OpenSSL 3 would otherwise look the algorithm up and allocate
// a context for every hash, which cost the sequencer more than the hashing.
Hash Sha256Parts(std::initializer_list<std::string_view> parts);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_CODEC_H_
