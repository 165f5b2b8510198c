#include "server/config_file.h"

#include <algorithm>
#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/status.h"

namespace rcl::server {

absl::StatusOr<std::vector<ConfigSetting>> ParseConfig(std::string_view text, std::string_view path,
                                                       const std::vector<std::string>& known) {
  std::vector<ConfigSetting> settings;
  absl::flat_hash_set<std::string> seen;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++number;
    auto where = [&] { return absl::StrCat(AbslView(path), " line ", number, ": "); };
    if (line.size() > kConfigLineBytesMax) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "longer than ", kConfigLineBytesMax, " bytes"));
    }
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    size_t eq = trimmed.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "want `name = value`"));
    }
    std::string name(absl::StripAsciiWhitespace(trimmed.substr(0, eq)));
    std::string shown = name;
    std::replace(name.begin(), name.end(), '-', '_');
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "unknown setting '", shown, "' (rcl-server --help lists them)"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "'", shown, "' is set twice"));
    }
    settings.push_back(
        {name, std::string(absl::StripAsciiWhitespace(trimmed.substr(eq + 1))), number});
  }
  return settings;
}

absl::StatusOr<std::vector<ConfigSetting>> ReadConfigFile(const std::string& path,
                                                          const std::vector<std::string>& known) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::string text(kConfigFileBytesMax + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kConfigFileBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", path, " is larger than ", kConfigFileBytesMax, " bytes"));
  }
  return ParseConfig(text, path, known);
}

}  // namespace rcl::server
