// Signed tree heads: a tenant's tree size and root hash at a moment, signed
// with the server's Ed25519 key (OpenSSL EVP). The signed bytes are a
// contract with every verifier (docs/AUDIT.md); never change them without a
// new version tag.
#ifndef RCL_LEDGER_AUDIT_STH_H_
#define RCL_LEDGER_AUDIT_STH_H_

#include <openssl/types.h>  // EVP_PKEY, declared only

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/audit/merkle.h"

namespace rcl::audit {

// The version tag the signed bytes start with (no length, no terminator).
inline constexpr std::string_view kSthVersionTag = "rcl-sth-v1";
static_assert(kSthVersionTag.size() == 10, "docs/AUDIT.md gives the tag's 10 bytes");
// Limits on what SthBytes encodes and Verify accepts.
inline constexpr size_t kSthTenantSizeMax = 256;  // ledger's kEnvelopeStringSizeMax
inline constexpr size_t kSignatureSize = 64;      // Ed25519
inline constexpr size_t kKeyFileSizeMax = 16 * 1024;

// What a tree head says.
struct TreeHead {
  std::string tenant;
  uint64_t tree_size = 0;
  Hash root{};
  int64_t timestamp_us = 0;  // microseconds since the Unix epoch, UTC
  bool operator==(const TreeHead&) const = default;
};

// A tree head and its signature (kSignatureSize bytes).
struct SignedTreeHead {
  TreeHead head;
  std::string signature;
  bool operator==(const SignedTreeHead&) const = default;
};

// The bytes a tree head's signature covers:
//   "rcl-sth-v1" || BE32(len(tenant)) || tenant || BE64(tree_size) || root (32)
//   || BE64(timestamp_us, two's complement)
// Aborts (RCL_CHECK) if the tenant is longer than kSthTenantSizeMax.
std::string SthBytes(std::string_view tenant, uint64_t tree_size, const Hash& root,
                     int64_t timestamp_us);
std::string SthBytes(const TreeHead& head);

// An Ed25519 public key. Copyable (shares the immutable key).
class VerifyingKey {
 public:
  // From a PEM "PUBLIC KEY" (SubjectPublicKeyInfo). INVALID_ARGUMENT if it is
  // not one, or not Ed25519.
  static absl::StatusOr<VerifyingKey> FromPem(std::string_view pem);

  std::string Pem() const;  // "-----BEGIN PUBLIC KEY-----" ...
  std::string Der() const;  // DER SubjectPublicKeyInfo (44 bytes for Ed25519)
  // Lower-case hex SHA-256 of Der(): how an STH file names its key.
  std::string Sha256Hex() const;

  // OK when `signature` is this key's Ed25519 signature of `message`;
  // DATA_LOSS (naming what was checked) otherwise.
  absl::Status Verify(std::string_view message, std::string_view signature) const;

 private:
  explicit VerifyingKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  friend class SigningKey;
  std::shared_ptr<EVP_PKEY> key_;  // never null
};

// An Ed25519 private key. Copyable (shares the immutable key); thread-safe
// for concurrent Sign calls.
class SigningKey {
 public:
  // A fresh key from OpenSSL's CSPRNG. INTERNAL if OpenSSL fails.
  static absl::StatusOr<SigningKey> Generate();
  // From a PEM "PRIVATE KEY" (PKCS#8, unencrypted). INVALID_ARGUMENT if it is
  // not one, or not Ed25519.
  static absl::StatusOr<SigningKey> FromPem(std::string_view pem);

  // Reads a key file. NOT_FOUND if it does not exist; FAILED_PRECONDITION
  // if group or others may read it (it must be mode 0600 or stricter);
  // INVALID_ARGUMENT if it is not an Ed25519 private key PEM.
  static absl::StatusOr<SigningKey> LoadFile(const std::string& path);
  // Writes this key to `path` as PEM, mode 0600, durably (fsync of the file
  // and its directory) and atomically: the file appears whole or not at all.
  // ALREADY_EXISTS if `path` exists: a signing key is never overwritten.
  absl::Status WriteFile(const std::string& path) const;
  // LoadFile, or on NOT_FOUND Generate and WriteFile: the server's start.
  static absl::StatusOr<SigningKey> LoadOrCreateFile(const std::string& path);

  VerifyingKey verifying_key() const { return VerifyingKey(key_); }
  std::string PrivatePem() const;  // "-----BEGIN PRIVATE KEY-----" ...

  // The Ed25519 signature (kSignatureSize bytes) of `message`.
  absl::StatusOr<std::string> Sign(std::string_view message) const;

 private:
  explicit SigningKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;  // never null
};

// Signs SthBytes(head).
absl::StatusOr<SignedTreeHead> SignTreeHead(const SigningKey& key, TreeHead head);
// OK when sth.signature is `key`'s signature of SthBytes(sth.head);
// INVALID_ARGUMENT for a tenant over kSthTenantSizeMax, DATA_LOSS otherwise.
absl::Status VerifyTreeHead(const VerifyingKey& key, const SignedTreeHead& sth);

}  // namespace rcl::audit

#endif  // RCL_LEDGER_AUDIT_STH_H_
