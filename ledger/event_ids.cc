#include "ledger/event_ids.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "ledger/status.h"

namespace rcl::ledger {

// The id is written as hex by hand: a 16-argument StrFormat cost more than
// everything else here.
static_assert(kUuidRandomChunk % 16 == 0, "a chunk holds whole UUIDs");

std::string NewUuid() {
  thread_local std::array<uint8_t, kUuidRandomChunk> pool;
  thread_local size_t used = kUuidRandomChunk;
  if (used == kUuidRandomChunk) {
    RCL_CHECK(RAND_bytes(pool.data(), static_cast<int>(pool.size())) == 1)
        << "no random bytes for event ids";
    used = 0;
  }
  uint8_t* b = pool.data() + used;
  used += 16;
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t o = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;  // the dashes
    out[o++] = kHex[b[i] >> 4];
    out[o++] = kHex[b[i] & 0x0f];
  }
  RCL_CHECK(o == out.size()) << "a UUID is 36 characters";
  std::fill(b, b + 16, 0);  // an id's bytes are not kept around
  return out;
}

}  // namespace rcl::ledger
