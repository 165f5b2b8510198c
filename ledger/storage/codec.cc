#include "ledger/storage/codec.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/status.h"

namespace rcl::ledger {
namespace {

// format, position, version, recorded_at, tenant_seq
constexpr size_t kFixedHeaderSize = 1 + 8 + 8 + 8 + 8;
constexpr size_t kStringFieldCount = 10;
constexpr size_t kTrailingHashes = 4;  // prev_hash, hash, tenant_prev_hash, tenant_hash
static_assert(kFixedHeaderSize == 33, "header layout is part of the on-disk format");
static_assert(kHashSize == SHA256_DIGEST_LENGTH, "kHashSize is the size of a SHA-256 digest");

// The strings of a record, in their order on disk (part of the format), with
// their limits, as EventRecord's members and RecordView's. The encoder, both
// decoders and the conversions between the two all walk this one list.
struct StringField {
  std::string EventRecord::*member;
  std::string_view RecordView::*view;
  const char* name;
  size_t size_max;
};
constexpr StringField kStringFields[] = {
    {&EventRecord::tenant, &RecordView::tenant, "tenant", kEnvelopeStringSizeMax},
    {&EventRecord::stream, &RecordView::stream, "stream", kEnvelopeStringSizeMax},
    {&EventRecord::type, &RecordView::type, "type", kEnvelopeStringSizeMax},
    {&EventRecord::event_id, &RecordView::event_id, "event_id", kEnvelopeStringSizeMax},
    {&EventRecord::command_id, &RecordView::command_id, "command_id", kEnvelopeStringSizeMax},
    {&EventRecord::correlation_id, &RecordView::correlation_id, "correlation_id",
     kEnvelopeStringSizeMax},
    {&EventRecord::causation_id, &RecordView::causation_id, "causation_id", kEnvelopeStringSizeMax},
    {&EventRecord::actor, &RecordView::actor, "actor", kEnvelopeStringSizeMax},
    {&EventRecord::effective_date, &RecordView::effective_date, "effective_date",
     kEnvelopeStringSizeMax},
    {&EventRecord::payload, &RecordView::payload, "payload", kPayloadSizeMax},
};
static_assert(std::size(kStringFields) == kStringFieldCount, "docs/STORAGE.md: ten strings");
static_assert(kPayloadSizeMax <= UINT32_MAX && kEnvelopeStringSizeMax <= UINT32_MAX,
              "string lengths are stored as u32");

// The first string of `e` over its limit, if any.
const StringField* OverLimit(const EventRecord& e) {
  for (const StringField& f : kStringFields) {
    if ((e.*f.member).size() > f.size_max) return &f;
  }
  return nullptr;
}

void PutString(std::string* out, std::string_view s) {
  RCL_CHECK(s.size() <= UINT32_MAX) << "a string of " << s.size() << " bytes has no u32 length";
  uint32_t n = static_cast<uint32_t>(s.size());
  char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                 static_cast<char>(n)};
  out->append(len, 4);
  out->append(s);
}

// Reads a u32-length-prefixed string at *pos (a view into `in`); false if it
// runs past the end of `in`.
bool GetString(std::string_view in, size_t* pos, std::string_view* out) {
  if (in.size() - *pos < 4) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(in.data() + *pos);
  uint32_t n = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  *pos += 4;
  if (in.size() - *pos < n) return false;
  *out = in.substr(*pos, n);
  *pos += n;
  return true;
}

}  // namespace

void PutBigEndian64(std::string* out, uint64_t value) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  out->append(buf, 8);
}

uint64_t GetBigEndian64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(in[i]);
  return value;
}

namespace {
// Appends the canonical bytes of `e` to *out, which is first made room for
// them and the four hashes after them (one allocation, or none for a
// buffer reused from the event before).
void AppendCanonicalBytes(const EventRecord& e, std::string* out) {
  size_t strings = 0;
  for (const StringField& f : kStringFields) strings += 4 + (e.*f.member).size();
  out->reserve(out->size() + kFixedHeaderSize + strings + kTrailingHashes * kHashSize);
  out->push_back(static_cast<char>(kRecordFormat));
  PutBigEndian64(out, e.position);
  PutBigEndian64(out, e.version);
  PutBigEndian64(out, static_cast<uint64_t>(e.recorded_at_us));
  PutBigEndian64(out, e.tenant_seq);
  for (const StringField& f : kStringFields) PutString(out, e.*f.member);
}
}  // namespace

std::string CanonicalBytes(const EventRecord& e) {
  std::string out;
  AppendCanonicalBytes(e, &out);
  return out;
}

namespace {

// OpenSSL's SHA-256, fetched once for the process (never freed: it lives as
// long as the library).
const EVP_MD* Sha256Digest() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  RCL_CHECK(md != nullptr) << "OpenSSL has no SHA-256";
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// This thread's digest context, reused by every hash it computes.
EVP_MD_CTX* ThreadDigestContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  RCL_CHECK(ctx != nullptr) << "no memory for a SHA-256 context";
  return ctx.get();
}

}  // namespace

Hash Sha256Parts(std::initializer_list<std::string_view> parts) {
  Hash out{};
  EVP_MD_CTX* ctx = ThreadDigestContext();
  unsigned int len = 0;
  bool ok = EVP_DigestInit_ex(ctx, Sha256Digest(), nullptr) == 1;
  for (std::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  // SHA-256 cannot fail short of memory exhaustion; a wrong hash would be
  // silent corruption (or a silently wrong proof), so stop hard.
  RCL_CHECK(ok && len == kHashSize) << "SHA-256 failed";
  return out;
}

Hash ChainHash(const Hash& prev_hash, std::string_view canonical) {
  return Sha256Parts(
      {std::string_view(reinterpret_cast<const char*>(prev_hash.data()), prev_hash.size()),
       canonical});
}

Hash Sha256(std::string_view data) { return Sha256Parts({data}); }

namespace {
void AppendHashes(const EventRecord& event, std::string* out) {
  for (const Hash* h :
       {&event.prev_hash, &event.hash, &event.tenant_prev_hash, &event.tenant_hash}) {
    out->append(reinterpret_cast<const char*>(h->data()), kHashSize);
  }
}
}  // namespace

std::string EncodeRecord(const EventRecord& event) {
  std::string out;
  AppendCanonicalBytes(event, &out);
  AppendHashes(event, &out);
  return out;
}

absl::StatusOr<RecordView> DecodeRecordView(std::string_view bytes) {
  if (bytes.size() < kFixedHeaderSize + 4 * kStringFieldCount + kTrailingHashes * kHashSize) {
    return absl::DataLossError("event record too short");
  }
  if (static_cast<uint8_t>(bytes[0]) != kRecordFormat) {
    return absl::DataLossError(
        absl::StrCat("unknown event record format ", int{static_cast<uint8_t>(bytes[0])}));
  }
  RecordView e;
  e.bytes = bytes;
  e.position = GetBigEndian64(bytes.data() + 1);
  e.version = GetBigEndian64(bytes.data() + 9);
  e.recorded_at_us = static_cast<int64_t>(GetBigEndian64(bytes.data() + 17));
  e.tenant_seq = GetBigEndian64(bytes.data() + 25);
  std::string_view body = bytes.substr(0, bytes.size() - kTrailingHashes * kHashSize);
  size_t pos = kFixedHeaderSize;
  for (const StringField& f : kStringFields) {
    if (!GetString(body, &pos, &(e.*f.view)))
      return absl::DataLossError("event record field runs past its end");
  }
  if (pos != body.size()) return absl::DataLossError("event record has trailing bytes");
  for (const StringField& f : kStringFields) {
    if ((e.*f.view).size() > f.size_max) {
      return absl::DataLossError(absl::StrCat("event record's ", f.name, " is ", (e.*f.view).size(),
                                              " bytes, over its limit of ", f.size_max));
    }
  }
  const auto* hashes = reinterpret_cast<const uint8_t*>(bytes.data() + body.size());
  for (Hash* h : {&e.prev_hash, &e.hash, &e.tenant_prev_hash, &e.tenant_hash}) {
    std::copy_n(hashes, kHashSize, h->begin());
    hashes += kHashSize;
  }
  return e;
}

EventRecord ToRecord(const RecordView& view) {
  EventRecord e;
  e.position = view.position;
  e.version = view.version;
  e.tenant_seq = view.tenant_seq;
  e.recorded_at_us = view.recorded_at_us;
  for (const StringField& f : kStringFields) (e.*f.member).assign(view.*f.view);
  e.prev_hash = view.prev_hash;
  e.hash = view.hash;
  e.tenant_prev_hash = view.tenant_prev_hash;
  e.tenant_hash = view.tenant_hash;
  return e;
}

RecordView Rebased(const RecordView& view, std::string_view copy) {
  RCL_CHECK(copy.size() == view.bytes.size())
      << "a copy of " << copy.size() << " bytes of a record of " << view.bytes.size();
  RecordView e = view;
  e.bytes = copy;
  for (const StringField& f : kStringFields) {
    std::string_view s = view.*f.view;
    const char* base = view.bytes.data();
    RCL_CHECK(s.data() >= base && s.data() + s.size() <= base + view.bytes.size())
        << "the record's " << f.name << " is not within its bytes";
    e.*f.view = copy.substr(static_cast<size_t>(s.data() - base), s.size());
  }
  return e;
}

absl::StatusOr<EventRecord> DecodeRecord(std::string_view bytes) {
  RCL_ASSIGN_OR_RETURN(RecordView view, DecodeRecordView(bytes));
  return ToRecord(view);
}

std::string_view SealRecord(const Hash& prev_hash, const Hash& tenant_prev_hash, EventRecord* event,
                            std::string* record) {
  const StringField* over = OverLimit(*event);
  RCL_CHECK(over == nullptr) << "event at position " << event->position << ": " << over->name
                             << " of " << (event->*over->member).size()
                             << " bytes, over its limit of " << over->size_max;
  RCL_CHECK(event->position >= 1 && event->tenant_seq >= 1 && !event->tenant.empty() &&
            !event->stream.empty() && !event->type.empty() && !event->event_id.empty())
      << "event at position " << event->position
      << " lacks a position, tenant sequence, tenant, stream, type or event id";
  event->prev_hash = prev_hash;
  event->tenant_prev_hash = tenant_prev_hash;
  record->clear();
  AppendCanonicalBytes(*event, record);
  const size_t canonical_size = record->size();
  event->hash = ChainHash(prev_hash, *record);
  event->tenant_hash = ChainHash(tenant_prev_hash, *record);
  AppendHashes(*event, record);
  RCL_CHECK(record->size() == canonical_size + kTrailingHashes * kHashSize)
      << "a record of " << record->size() << " bytes after " << canonical_size
      << " canonical bytes";
  return std::string_view(*record).substr(0, canonical_size);
}

std::string PositionKey(uint64_t position) {
  std::string key;
  PutBigEndian64(&key, position);
  return key;
}

absl::StatusOr<uint64_t> DecodePositionKey(std::string_view key) {
  if (key.size() != 8) return absl::DataLossError("log key is not 8 bytes");
  return GetBigEndian64(key.data());
}

namespace {
// Appends tenant \0 stream \0, the start of a stream's index keys.
void AppendStreamPrefix(std::string* key, std::string_view tenant, std::string_view stream) {
  key->append(tenant);
  key->push_back('\0');
  key->append(stream);
  key->push_back('\0');
}
}  // namespace

std::string StreamPrefix(std::string_view tenant, std::string_view stream) {
  std::string key;
  key.reserve(tenant.size() + stream.size() + 2);
  AppendStreamPrefix(&key, tenant, stream);
  return key;
}

std::string StreamIndexKey(std::string_view tenant, std::string_view stream, uint64_t version) {
  std::string key;
  StreamIndexKeyInto(&key, tenant, stream, version);
  return key;
}

void StreamIndexKeyInto(std::string* key, std::string_view tenant, std::string_view stream,
                        uint64_t version) {
  key->clear();
  key->reserve(tenant.size() + stream.size() + 2 + 8);
  AppendStreamPrefix(key, tenant, stream);
  PutBigEndian64(key, version);
}

std::string CommandKey(std::string_view tenant, std::string_view command_id) {
  std::string key;
  key.reserve(tenant.size() + 1 + command_id.size());
  key.append(tenant);
  key.push_back('\0');
  key.append(command_id);
  return key;
}

std::string TenantPrefix(std::string_view tenant) {
  std::string key;
  key.reserve(tenant.size() + 1 + 9);
  key.append(tenant);
  key.push_back('\0');
  return key;
}

std::string TenantIndexKey(std::string_view tenant, uint64_t tenant_seq) {
  std::string key = TenantPrefix(tenant);
  PutBigEndian64(&key, tenant_seq);
  return key;
}

std::string TenantIndexValue(uint64_t position, const Hash* leaf_hash) {
  std::string value;
  TenantIndexValueInto(&value, position, leaf_hash);
  return value;
}

void TenantIndexValueInto(std::string* value, uint64_t position, const Hash* leaf_hash) {
  value->clear();
  value->reserve(kTenantIndexValueWithLeafSize);
  PutBigEndian64(value, position);
  if (leaf_hash != nullptr)
    value->append(reinterpret_cast<const char*>(leaf_hash->data()), kHashSize);
}

absl::StatusOr<TenantIndexEntry> DecodeTenantIndexValue(std::string_view value) {
  if (value.size() != kTenantIndexValueSize && value.size() != kTenantIndexValueWithLeafSize) {
    return absl::DataLossError(
        absl::StrCat("tenant index value of ", value.size(), " bytes, not 8 or 40"));
  }
  TenantIndexEntry entry;
  entry.position = GetBigEndian64(value.data());
  entry.has_leaf = value.size() == kTenantIndexValueWithLeafSize;
  if (entry.has_leaf) std::copy_n(value.data() + 8, kHashSize, entry.leaf_hash.begin());
  return entry;
}

std::string MerkleNodeKey(std::string_view tenant, uint32_t level, uint64_t index) {
  RCL_CHECK(level < 64) << "a tree of 2^64 leaves has no level " << level;
  std::string key = TenantPrefix(tenant);
  key.push_back(static_cast<char>(level));
  PutBigEndian64(&key, index);
  return key;
}

std::string HashHex(const Hash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * kHashSize, '0');
  for (size_t i = 0; i < kHashSize; ++i) {
    out[2 * i] = kDigits[hash[i] >> 4];
    out[2 * i + 1] = kDigits[hash[i] & 0xf];
  }
  return out;
}

}  // namespace rcl::ledger
