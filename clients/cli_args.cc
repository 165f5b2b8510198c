#include "clients/cli_args.h"

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "ledger/money.h"

namespace rcl::cli {
namespace {

const FlagSpec* FindSpec(std::span<const FlagSpec> specs, absl::string_view name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

absl::Status FlagError(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", what));
}

}  // namespace

bool ParsedArgs::Has(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return false;
  return it->second.back() != "false";
}

std::optional<std::string> ParsedArgs::Value(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::ValueOr(absl::string_view name, absl::string_view fallback) const {
  std::optional<std::string> v = Value(name);
  return v.has_value() ? *v : std::string(fallback);
}

std::vector<std::string> ParsedArgs::Values(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

void ParsedArgs::Add(absl::string_view name, std::string value) {
  auto it = values_.find(name);
  if (it == values_.end())
    it = values_.emplace(std::string(name), std::vector<std::string>()).first;
  it->second.push_back(std::move(value));
}

void ParsedArgs::Remove(absl::string_view name) {
  auto it = values_.find(name);
  if (it != values_.end()) values_.erase(it);
}

absl::StatusOr<ParsedArgs> ParseFlags(const std::vector<std::string>& args,
                                      std::span<const FlagSpec> specs) {
  ParsedArgs parsed;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || arg.empty() || arg[0] != '-' || arg == "-") {
      if (arg.size() > kArgValueMax) {
        return absl::InvalidArgumentError(absl::StrCat("argument ", parsed.positional().size() + 1,
                                                       " is longer than ", kArgValueMax, " bytes"));
      }
      parsed.AddPositional(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    absl::string_view body(arg);
    if (body.size() > 2 && body.substr(0, 2) == "--") {
      body.remove_prefix(2);
    } else if (body == "-h") {
      body = "help";
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option ", OneLine(arg.substr(0, 64)), " (flags start with --)"));
    }
    absl::string_view name = body;
    std::optional<absl::string_view> inline_value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      inline_value = body.substr(eq + 1);
    }
    std::string flag = absl::StrCat("--", OneLine(name.substr(0, 64)));
    const FlagSpec* spec = FindSpec(specs, name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag));
    }
    if (spec->kind == FlagKind::kBool) {
      if (!inline_value.has_value()) {
        parsed.Remove(name);
        parsed.Add(name, "true");
      } else if (*inline_value == "true" || *inline_value == "false") {
        parsed.Remove(name);
        parsed.Add(name, std::string(*inline_value));
      } else {
        return FlagError(flag, "takes no value (or =true / =false)");
      }
      continue;
    }
    std::string value;
    if (inline_value.has_value()) {
      value = std::string(*inline_value);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return FlagError(
          flag, absl::StrCat("missing value", spec->value_name.empty()
                                                  ? std::string()
                                                  : absl::StrCat(" (", spec->value_name, ")")));
    }
    if (value.size() > kArgValueMax) {
      return FlagError(flag, absl::StrCat("value is longer than ", kArgValueMax, " bytes"));
    }
    if (spec->kind == FlagKind::kValue && parsed.Value(name).has_value()) {
      return FlagError(flag, "given more than once");
    }
    parsed.Add(name, std::move(value));
  }
  return parsed;
}

absl::Status CheckRequired(const ParsedArgs& args, std::span<const FlagSpec> specs) {
  for (const FlagSpec& spec : specs) {
    if (spec.required && !args.Value(spec.name).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("--", spec.name, " is required"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseIntFlag(absl::string_view flag, absl::string_view text, int64_t min,
                                     int64_t max) {
  std::string range;
  if (min == std::numeric_limits<int64_t>::min() && max == std::numeric_limits<int64_t>::max()) {
    range = "must be an integer";
  } else if (min == std::numeric_limits<int32_t>::min() &&
             max == std::numeric_limits<int32_t>::max()) {
    range = "must be a 32-bit integer";
  } else if (max == std::numeric_limits<int64_t>::max()) {
    range = absl::StrCat("must be an integer >= ", min);
  } else {
    range = absl::StrCat("must be an integer from ", min, " to ", max);
  }
  absl::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && digits.front() == '-') {
    negative = true;
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.size() > 19) return FlagError(flag, range);
  uint64_t magnitude = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return FlagError(flag, range);
    magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
  }
  // 19 digits fit in uint64; check the int64 range before negating.
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (magnitude > kMaxPositive + (negative ? 1 : 0)) return FlagError(flag, range);
  int64_t value = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  if (value < min || value > max) return FlagError(flag, range);
  return value;
}

absl::StatusOr<uint64_t> ParseUintFlag(absl::string_view flag, absl::string_view text,
                                       uint64_t max) {
  std::string range = max == UINT64_MAX ? std::string("must be a non-negative integer")
                                        : absl::StrCat("must be an integer from 0 to ", max);
  if (text.empty() || text.size() > 20) return FlagError(flag, range);
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return FlagError(flag, range);
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return FlagError(flag, range);
    value = value * 10 + digit;
  }
  if (value > max) return FlagError(flag, range);
  return value;
}

absl::StatusOr<int64_t> ParseAmountFlag(absl::string_view flag, absl::string_view text) {
  absl::StatusOr<int64_t> cents = rcl::ParseAmountCents(std::string_view(text.data(), text.size()),
                                                        /*allow_negative=*/false);
  if (!cents.ok()) return FlagError(flag, cents.status().message());
  return *cents;
}

absl::StatusOr<std::vector<int32_t>> ParsePointerList(absl::string_view flag,
                                                      const std::vector<std::string>& values) {
  std::vector<int32_t> out;
  for (const std::string& value : values) {
    for (absl::string_view item : absl::StrSplit(value, ',')) {
      item = absl::StripAsciiWhitespace(item);
      absl::StatusOr<int64_t> pointer = ParseIntFlag(
          flag, item, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
      if (!pointer.ok()) {
        return FlagError(flag, "must be a comma-separated list of diagnosis pointers like 1,2");
      }
      out.push_back(static_cast<int32_t>(*pointer));
    }
  }
  return out;
}

std::string FormatFlagHelp(std::span<const FlagSpec> specs) {
  std::vector<std::string> lefts;
  size_t width = 0;
  for (const FlagSpec& spec : specs) {
    std::string left = absl::StrCat("  --", spec.name);
    if (spec.kind != FlagKind::kBool) {
      absl::StrAppend(&left, " ", spec.value_name.empty() ? "VALUE" : spec.value_name);
    }
    width = std::max(width, left.size());
    lefts.push_back(std::move(left));
  }
  std::string out;
  for (size_t i = 0; i < specs.size(); ++i) {
    const FlagSpec& spec = specs[i];
    std::string help(spec.help);
    if (spec.kind == FlagKind::kRepeated) absl::StrAppend(&help, " (repeatable)");
    if (spec.required) absl::StrAppend(&help, " (required)");
    absl::StrAppend(&out, absl::StrFormat("%-*s  %s\n", static_cast<int>(width), lefts[i], help));
  }
  return out;
}

std::string OneLine(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

}  // namespace rcl::cli
