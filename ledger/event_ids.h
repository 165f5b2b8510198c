// Event and command ids: random (version 4) UUIDs in their 36-character
// lowercase text form, e.g. "1b4e28ba-2fa1-41d2-883f-0016d3cca427".
//
// Thread-safety: NewUuid() may be called from any thread; each thread draws
// from its own pool of random bytes.
#ifndef RCL_LEDGER_EVENT_IDS_H_
#define RCL_LEDGER_EVENT_IDS_H_

#include <cstddef>
#include <string>

namespace rcl::ledger {

// Random bytes are drawn from OpenSSL's CSPRNG this many at a time: the
// sequencer makes one id per event, and a RAND_bytes call costs more than
// the 16 bytes an id needs.
inline constexpr size_t kUuidRandomChunk = 4096;

std::string NewUuid();

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_EVENT_IDS_H_
