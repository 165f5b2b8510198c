// Signed tree heads (ledger/audit/sth.h): the signed bytes are exactly the
// documented layout (docs/AUDIT.md), the signature is standard Ed25519 that
// any verifier can check, any changed byte of a tree head or signature fails,
// and the key file is private, never overwritten, and reloads the same key.
#include "ledger/audit/sth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"  // TempDir

namespace rcl::audit {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Hash CountingHash() {
  Hash h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i);
  return h;
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SthBytes, AreExactlyTheDocumentedLayout) {
  const std::string bytes =
      SthBytes("t1", 0x0102030405060708ULL, CountingHash(), 0x1112131415161718LL);
  std::string expected = "rcl-sth-v1";                                    // 10 bytes of ASCII
  expected += Bytes({0x00, 0x00, 0x00, 0x02});                            // BE32 tenant length
  expected += "t1";                                                       // tenant
  expected += Bytes({0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});    // BE64 tree size
  for (int i = 0; i < 32; ++i) expected.push_back(static_cast<char>(i));  // root
  expected += Bytes({0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18});    // BE64 timestamp_us
  ASSERT_EQ(bytes.size(), 10u + 4 + 2 + 8 + 32 + 8);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(static_cast<uint8_t>(bytes[i]), static_cast<uint8_t>(expected[i])) << "byte " << i;
  }
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(ToHex(bytes),
            "72636c2d7374682d7631"
            "00000002"
            "7431"
            "0102030405060708"
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
            "1112131415161718");

  // An empty tenant, and a timestamp before 1970 (two's complement).
  const std::string empty = SthBytes("", 0, Hash{}, -1);
  EXPECT_EQ(ToHex(empty),
            "72636c2d7374682d7631" + std::string(8 + 16 + 64, '0') + std::string(16, 'f'));
  EXPECT_EQ(SthBytes(TreeHead{"t1", 0x0102030405060708ULL, CountingHash(), 0x1112131415161718LL}),
            bytes);
}

// RFC 8032 section 7.1, test 1: what we sign is plain Ed25519.
TEST(SigningKey, IsStandardEd25519) {
  const std::string secret =
      Bytes({0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
             0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
             0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60});
  EVP_PKEY* raw = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(secret.data()),
      secret.size());
  ASSERT_NE(raw, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, raw, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(raw);

  absl::StatusOr<SigningKey> key = SigningKey::FromPem(pem);
  ASSERT_TRUE(key.ok()) << key.status();
  const absl::StatusOr<std::string> signature = key->Sign("");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(ToHex(*signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
            "701cf9b46bd25bf5f0"
            "595bbe24655141438e7a100b");
  // The public key's DER is the 12-byte Ed25519 SubjectPublicKeyInfo prefix
  // and the 32 public key bytes; its SHA-256 names the key.
  const std::string der = key->verifying_key().Der();
  EXPECT_EQ(
      ToHex(der),
      "302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Hash digest{};
  SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(), digest.data());
  EXPECT_EQ(key->verifying_key().Sha256Hex(), ToHex(digest));
  EXPECT_TRUE(key->verifying_key().Verify("", *signature).ok());
}

TEST(SignedTreeHead, RoundTripsAndAnyChangedByteFails) {
  absl::StatusOr<SigningKey> key = SigningKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status();
  const VerifyingKey public_key = key->verifying_key();
  const TreeHead head{"clinic-1", 1'000'000, LeafHash("root"), 1'700'000'000'123'456};
  absl::StatusOr<SignedTreeHead> sth = SignTreeHead(*key, head);
  ASSERT_TRUE(sth.ok()) << sth.status();
  EXPECT_EQ(sth->head, head);
  ASSERT_EQ(sth->signature.size(), kSignatureSize);
  EXPECT_TRUE(VerifyTreeHead(public_key, *sth).ok());
  EXPECT_TRUE(public_key.Verify(SthBytes(head), sth->signature).ok());

  auto fails = [&](const SignedTreeHead& changed, const std::string& what) {
    const absl::Status s = VerifyTreeHead(public_key, changed);
    EXPECT_TRUE(absl::IsDataLoss(s)) << what << ": " << s;
  };
  SignedTreeHead changed = *sth;
  changed.head.tenant = "clinic-2";
  fails(changed, "tenant");
  changed = *sth;
  changed.head.tenant = "";
  fails(changed, "empty tenant");
  changed = *sth;
  changed.head.tree_size += 1;
  fails(changed, "tree size");
  changed = *sth;
  changed.head.timestamp_us += 1;
  fails(changed, "timestamp");
  for (size_t i = 0; i < kHashSize; ++i) {
    changed = *sth;
    changed.head.root[i] ^= 0x01;
    fails(changed, "root byte " + std::to_string(i));
  }
  for (size_t i = 0; i < kSignatureSize; ++i) {
    changed = *sth;
    changed.signature[i] ^= 0x80;
    fails(changed, "signature byte " + std::to_string(i));
  }
  changed = *sth;
  changed.signature.pop_back();
  fails(changed, "short signature");
  changed = *sth;
  changed.signature.clear();
  fails(changed, "no signature");

  // Any changed byte of the signed bytes themselves.
  const std::string bytes = SthBytes(head);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(public_key.Verify(flipped, sth->signature).ok()) << "byte " << i;
  }
  // Another key's signature.
  absl::StatusOr<SigningKey> other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->verifying_key().Sha256Hex(), public_key.Sha256Hex());
  EXPECT_TRUE(absl::IsDataLoss(VerifyTreeHead(other->verifying_key(), *sth)));

  // A tenant over the limit is refused, not signed.
  TreeHead long_tenant = head;
  long_tenant.tenant.assign(kSthTenantSizeMax + 1, 'x');
  EXPECT_TRUE(absl::IsInvalidArgument(SignTreeHead(*key, long_tenant).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      VerifyTreeHead(public_key, SignedTreeHead{long_tenant, sth->signature})));
}

TEST(VerifyingKey, PemRoundTripsAndOnlyEd25519IsAccepted) {
  absl::StatusOr<SigningKey> key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  const std::string pem = key->verifying_key().Pem();
  EXPECT_THAT(pem, StartsWith("-----BEGIN PUBLIC KEY-----\n"));
  absl::StatusOr<VerifyingKey> loaded = VerifyingKey::FromPem(pem);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->Der(), key->verifying_key().Der());
  EXPECT_EQ(loaded->Sha256Hex(), key->verifying_key().Sha256Hex());
  EXPECT_TRUE(loaded->Verify("m", *key->Sign("m")).ok());

  EXPECT_TRUE(absl::IsInvalidArgument(VerifyingKey::FromPem("not a key").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(SigningKey::FromPem("not a key").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(SigningKey::FromPem(pem).status()));  // public, not private
  // A P-256 key is a key, but not ours to accept.
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(ec, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio, ec), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  const std::string ec_pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(ec);
  const absl::Status s = VerifyingKey::FromPem(ec_pem).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("not an Ed25519 key"));
}

TEST(KeyFile, IsPrivateNeverOverwrittenAndReloadsTheSameKey) {
  ::rcl::testing::TempDir dir;
  const std::string path = dir.path() + "/sth-key.pem";
  EXPECT_TRUE(absl::IsNotFound(SigningKey::LoadFile(path).status()));

  absl::StatusOr<SigningKey> created = SigningKey::LoadOrCreateFile(path);
  ASSERT_TRUE(created.ok()) << created.status();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string pem = ReadFile(path);
  EXPECT_THAT(pem, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_EQ(pem, created->PrivatePem());

  absl::StatusOr<SigningKey> loaded = SigningKey::LoadFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->verifying_key().Pem(), created->verifying_key().Pem());
  const TreeHead head{"t", 3, LeafHash("r"), 42};
  EXPECT_TRUE(VerifyTreeHead(created->verifying_key(), *SignTreeHead(*loaded, head)).ok());
  absl::StatusOr<SigningKey> again = SigningKey::LoadOrCreateFile(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verifying_key().Sha256Hex(), created->verifying_key().Sha256Hex());

  // Never overwritten; no temporary file left behind.
  absl::StatusOr<SigningKey> other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  const absl::Status s = other->WriteFile(path);
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  EXPECT_EQ(ReadFile(path), pem);
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
    ++entries;
  EXPECT_EQ(entries, 1);

  // Readable by others: refused.
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  const absl::Status open_key = SigningKey::LoadFile(path).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(open_key)) << open_key;
  EXPECT_THAT(open_key.message(), HasSubstr("mode 0644"));

  // Not a key: refused, naming the file.
  const std::string garbage = dir.path() + "/garbage.pem";
  {
    std::ofstream out(garbage);
    out << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  }
  ASSERT_EQ(::chmod(garbage.c_str(), 0600), 0);
  const absl::Status bad = SigningKey::LoadFile(garbage).status();
  EXPECT_TRUE(absl::IsInvalidArgument(bad)) << bad;
  EXPECT_THAT(bad.message(), HasSubstr(garbage));
}

}  // namespace
}  // namespace rcl::audit
