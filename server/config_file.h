// The server's config file (--config FILE; docs/OPERATIONS.md, "Config
// file"): one setting per line, `name = value`, with the names of the
// command-line flags (dashes or underscores, no leading --); `#` starts a
// comment line; blank lines are ignored; values are taken verbatim after
// trimming (no quotes, no escapes). A name that is not a server setting, a
// line without `=`, or a setting given twice is an error naming the line.
// Flags on the command line override the file.
#ifndef RCL_SERVER_CONFIG_FILE_H_
#define RCL_SERVER_CONFIG_FILE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace rcl::server {

// Largest config file read (bytes) and longest line.
inline constexpr size_t kConfigFileBytesMax = 64 * 1024;
inline constexpr size_t kConfigLineBytesMax = 4096;

struct ConfigSetting {
  std::string name;  // with underscores, as Abseil spells the flag
  std::string value;
  int line = 0;
};

// Parses `text` (from `path`, for messages); `known` lists the settings a
// file may set (underscored names).
absl::StatusOr<std::vector<ConfigSetting>> ParseConfig(std::string_view text, std::string_view path,
                                                       const std::vector<std::string>& known);

// Reads and parses the file at `path`.
absl::StatusOr<std::vector<ConfigSetting>> ReadConfigFile(const std::string& path,
                                                          const std::vector<std::string>& known);

}  // namespace rcl::server

#endif  // RCL_SERVER_CONFIG_FILE_H_
