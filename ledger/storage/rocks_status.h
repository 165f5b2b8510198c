// RocksDB statuses as Abseil statuses, for the storage layer's own use.
#ifndef RCL_LEDGER_STORAGE_ROCKS_STATUS_H_
#define RCL_LEDGER_STORAGE_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace rcl::ledger {

// NOT_FOUND, DATA_LOSS (corruption), RESOURCE_EXHAUSTED (no space left on
// the device: the ledger waits for space, see Ledger) or UNAVAILABLE
// (anything else: I/O), prefixed with `what`.
inline absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat(what, ": not found"));
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(what, ": ", s.ToString()));
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(absl::StrCat(what, ": ", s.ToString()));
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_STORAGE_ROCKS_STATUS_H_
