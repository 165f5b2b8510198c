// The principals of a tokens file (--tokens-file; format in
// docs/SECURITY.md): who a bearer token stands for, with its roles and
// tenants. Only the SHA-256 of each token is kept; a presented token is
// hashed and compared with every principal's hash in constant time.
//
// Threads: a PrincipalTable is immutable once loaded and shared read-only by
// every gRPC thread (the Authorizer swaps whole tables on reload).
#ifndef RCL_SERVER_PRINCIPALS_H_
#define RCL_SERVER_PRINCIPALS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/permissions.h"

namespace rcl::server {

inline constexpr size_t kPrincipalsMax = 1000;           // principals in one file
inline constexpr size_t kTenantsPerPrincipalMax = 1000;  // tenants of one principal
inline constexpr size_t kTokensFileBytesMax = 4 << 20;   // the file itself
inline constexpr size_t kPrincipalNameLengthMax = 128;   // also the actor's bound
inline constexpr size_t kTokenLengthMax = 4096;          // a presented bearer token

using TokenHash = std::array<uint8_t, 32>;

struct Principal {
  std::string name;
  TokenHash token_sha256{};
  RoleSet roles = 0;
  std::vector<std::string> tenants;  // sorted

  bool HasTenant(std::string_view tenant) const;
};

class PrincipalTable {
 public:
  // Parses and checks the JSON text of a tokens file; the error names the
  // entry and the field (never a hash).
  static absl::StatusOr<PrincipalTable> Parse(std::string_view json);
  static absl::StatusOr<PrincipalTable> Load(const std::string& path);

  // The principal whose token hashes to SHA-256(token), or nullptr. Hashes
  // and compares against every entry whatever matches, so that the time
  // taken says nothing about the stored hashes.
  const Principal* Find(std::string_view token) const;

  size_t size() const { return principals_.size(); }

 private:
  std::vector<Principal> principals_;
};

// SHA-256 of `data`.
TokenHash Sha256(std::string_view data);

}  // namespace rcl::server

#endif  // RCL_SERVER_PRINCIPALS_H_
