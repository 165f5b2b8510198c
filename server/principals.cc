#include "server/principals.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/rules/input_rules.h"
#include "ledger/status.h"
#include "rcl/auth/tokens.pb.h"

namespace rcl::server {
namespace {

// A principal's name: what events record as their actor.
bool IsPrincipalName(std::string_view name) {
  if (name.empty() || name.size() > kPrincipalNameLengthMax) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           c == '@';
  });
}

absl::Status ParseHash(std::string_view hex, TokenHash* out) {
  if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), [](char c) {
        return absl::ascii_isxdigit(static_cast<unsigned char>(c));
      })) {
    return absl::InvalidArgumentError("must be 64 hex digits (the SHA-256 of the token)");
  }
  std::string bytes = absl::HexStringToBytes(AbslView(hex));
  std::copy(bytes.begin(), bytes.end(), out->begin());
  return absl::OkStatus();
}

absl::StatusOr<Principal> ToPrincipal(const rcl::auth::PrincipalEntry& e, size_t index) {
  std::string where = absl::StrCat("principals[", index, "]");
  if (!IsPrincipalName(e.name())) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".name: 1 to ", kPrincipalNameLengthMax, " of [A-Za-z0-9._@-]"));
  }
  Principal p;
  p.name = e.name();
  where = absl::StrCat("principal ", e.name());
  if (absl::Status s = ParseHash(e.token_sha256(), &p.token_sha256); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": token_sha256 ", s.message()));
  }
  if (e.roles().empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": no roles"));
  for (const std::string& r : e.roles()) {
    std::optional<Role> role = RoleFromName(r);
    if (!role.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unknown role \"", absl::CEscape(r.substr(0, 32)),
                       "\" (coder, biller, auditor, reporter, admin)"));
    }
    p.roles |= Bit(*role);
  }
  if (static_cast<size_t>(e.tenants_size()) > kTenantsPerPrincipalMax) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": more than ", kTenantsPerPrincipalMax, " tenants"));
  }
  for (const std::string& t : e.tenants()) {
    if (!ledger::FollowsRule(t, ledger::kIdRule)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": a tenant is not a valid id (", ledger::kIdLengthMax,
                       " of [A-Za-z0-9._-], starting with a letter or digit)"));
    }
    p.tenants.push_back(t);
  }
  std::sort(p.tenants.begin(), p.tenants.end());
  return p;
}

}  // namespace

bool Principal::HasTenant(std::string_view tenant) const {
  return std::binary_search(tenants.begin(), tenants.end(), tenant);
}

TokenHash Sha256(std::string_view data) {
  TokenHash h{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h.data());
  return h;
}

absl::StatusOr<PrincipalTable> PrincipalTable::Parse(std::string_view json) {
  if (json.size() > kTokensFileBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("the tokens file is larger than ", kTokensFileBytesMax, " bytes"));
  }
  rcl::auth::TokensFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt key is an error, not a silent default
  auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &file, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a tokens file: ", AbslView(parsed.message().as_string())));
  }
  if (static_cast<size_t>(file.principals_size()) > kPrincipalsMax) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kPrincipalsMax, " principals"));
  }
  PrincipalTable table;
  absl::flat_hash_set<std::string> names;
  absl::flat_hash_set<std::string> hashes;
  for (int i = 0; i < file.principals_size(); ++i) {
    absl::StatusOr<Principal> p = ToPrincipal(file.principals(i), static_cast<size_t>(i));
    if (!p.ok()) return p.status();
    if (!names.insert(p->name).second) {
      return absl::InvalidArgumentError(absl::StrCat("principal ", p->name, " is listed twice"));
    }
    std::string hash(p->token_sha256.begin(), p->token_sha256.end());
    if (!hashes.insert(hash).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("principal ", p->name, " has the token of an earlier principal"));
    }
    table.principals_.push_back(*std::move(p));
  }
  return table;
}

absl::StatusOr<PrincipalTable> PrincipalTable::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the tokens file ", path));
  std::string text(kTokensFileBytesMax + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  absl::StatusOr<PrincipalTable> table = Parse(text);
  if (!table.ok()) {
    return absl::Status(table.status().code(), absl::StrCat(path, ": ", table.status().message()));
  }
  return table;
}

const Principal* PrincipalTable::Find(std::string_view token) const {
  if (token.empty() || token.size() > kTokenLengthMax) return nullptr;
  const TokenHash presented = Sha256(token);
  const Principal* found = nullptr;
  for (const Principal& p : principals_) {
    // Every entry is compared, with OpenSSL's constant-time comparison.
    bool equal = CRYPTO_memcmp(p.token_sha256.data(), presented.data(), presented.size()) == 0;
    if (equal) found = &p;
  }
  return found;
}

}  // namespace rcl::server
