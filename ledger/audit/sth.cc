#include "ledger/audit/sth.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/status.h"

namespace rcl::audit {
namespace {

// The oldest OpenSSL error on this thread's queue as text (and the queue
// cleared), for a status message.
std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no OpenSSL error reported";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// The bytes a memory BIO holds.
std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, len > 0 ? static_cast<size_t>(len) : 0);
}

BioPtr ReadBio(std::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

absl::Status CheckEd25519(EVP_PKEY* key, const char* what) {
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not an Ed25519 key"));
  }
  return absl::OkStatus();
}

void PutBigEndian(std::string* out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

absl::Status ErrnoStatus(const char* what, const std::string& path) {
  const int err = errno;
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EEXIST) return absl::AlreadyExistsError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

// Writes all of `bytes` to `fd`.
bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string SthBytes(std::string_view tenant, uint64_t tree_size, const Hash& root,
                     int64_t timestamp_us) {
  RCL_CHECK(tenant.size() <= kSthTenantSizeMax)
      << "tenant of " << tenant.size() << " bytes in a tree head";
  std::string out;
  out.reserve(kSthVersionTag.size() + 4 + tenant.size() + 8 + kHashSize + 8);
  out.append(kSthVersionTag);
  PutBigEndian(&out, tenant.size(), 4);
  out.append(tenant);
  PutBigEndian(&out, tree_size, 8);
  out.append(reinterpret_cast<const char*>(root.data()), root.size());
  PutBigEndian(&out, static_cast<uint64_t>(timestamp_us), 8);
  return out;
}

std::string SthBytes(const TreeHead& head) {
  return SthBytes(head.tenant, head.tree_size, head.root, head.timestamp_us);
}

// --- VerifyingKey ---

absl::StatusOr<VerifyingKey> VerifyingKey::FromPem(std::string_view pem) {
  if (pem.size() > kKeyFileSizeMax) return absl::InvalidArgumentError("public key PEM is too long");
  BioPtr bio = ReadBio(pem);
  if (bio == nullptr) return absl::InternalError(absl::StrCat("BIO_new_mem_buf: ", OpenSslError()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("not a PEM public key: ", OpenSslError()));
  }
  std::shared_ptr<EVP_PKEY> owned = Own(key);
  RCL_RETURN_IF_ERROR(CheckEd25519(key, "the public key"));
  return VerifyingKey(std::move(owned));
}

std::string VerifyingKey::Pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  RCL_CHECK(bio != nullptr && PEM_write_bio_PUBKEY(bio.get(), key_.get()) == 1)
      << "writing a public key as PEM: " << OpenSslError();
  return BioContents(bio.get());
}

std::string VerifyingKey::Der() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_.get(), &der);
  RCL_CHECK(len > 0 && der != nullptr) << "writing a public key as DER: " << OpenSslError();
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string VerifyingKey::Sha256Hex() const { return ToHex(Sha256Of(Der())); }

absl::Status VerifyingKey::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kSignatureSize) {
    return absl::DataLossError(
        absl::StrCat("an Ed25519 signature is ", kSignatureSize, " bytes, not ", signature.size()));
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    return absl::InternalError(absl::StrCat("EVP_DigestVerifyInit: ", OpenSslError()));
  }
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (rc != 1) {
    ERR_clear_error();
    return absl::DataLossError(
        absl::StrCat("the signature does not verify under the key with SHA-256 ", Sha256Hex(), " (",
                     message.size(), " signed bytes)"));
  }
  return absl::OkStatus();
}

// --- SigningKey ---

absl::StatusOr<SigningKey> SigningKey::Generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr)
    return absl::InternalError(absl::StrCat("generating an Ed25519 key: ", OpenSslError()));
  return SigningKey(Own(key));
}

absl::StatusOr<SigningKey> SigningKey::FromPem(std::string_view pem) {
  if (pem.size() > kKeyFileSizeMax)
    return absl::InvalidArgumentError("private key PEM is too long");
  BioPtr bio = ReadBio(pem);
  if (bio == nullptr) return absl::InternalError(absl::StrCat("BIO_new_mem_buf: ", OpenSslError()));
  // A null password callback with an empty passphrase: an encrypted key fails
  // here rather than prompting on a terminal.
  char empty[] = "";
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, empty);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an unencrypted PEM private key: ", OpenSslError()));
  }
  std::shared_ptr<EVP_PKEY> owned = Own(key);
  RCL_RETURN_IF_ERROR(CheckEd25519(key, "the private key"));
  return SigningKey(std::move(owned));
}

std::string SigningKey::PrivatePem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  RCL_CHECK(bio != nullptr && PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0,
                                                       nullptr, nullptr) == 1)
      << "writing a private key as PEM: " << OpenSslError();
  return BioContents(bio.get());
}

absl::StatusOr<std::string> SigningKey::Sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    return absl::InternalError(absl::StrCat("EVP_DigestSignInit: ", OpenSslError()));
  }
  std::string signature(kSignatureSize, '\0');
  size_t len = signature.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return absl::InternalError(absl::StrCat("EVP_DigestSign: ", OpenSslError()));
  }
  RCL_CHECK(len == kSignatureSize) << "Ed25519 signature of " << len << " bytes";
  return signature;
}

absl::StatusOr<SigningKey> SigningKey::LoadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening the signing key", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    absl::Status status = ErrnoStatus("reading the signing key", path);
    ::close(fd);
    return status;
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrFormat(
        "the signing key %s has mode %04o; group and others may not read it (chmod 600)", path,
        st.st_mode & 0777));
  }
  std::string pem;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoStatus("reading the signing key", path);
      ::close(fd);
      return status;
    }
    if (n == 0) break;
    pem.append(buf, static_cast<size_t>(n));
    if (pem.size() > kKeyFileSizeMax) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat("the signing key ", path, " is over ",
                                                     kKeyFileSizeMax, " bytes: not a key"));
    }
  }
  ::close(fd);
  absl::StatusOr<SigningKey> key = FromPem(pem);
  if (!key.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  return key;
}

absl::Status SigningKey::WriteFile(const std::string& path) const {
  // Write a temporary file beside it, then link() it into place: link fails
  // with EEXIST rather than replace a key, and the key appears whole.
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("creating", temp);
  const std::string pem = PrivatePem();
  const bool written = WriteAll(fd, pem) && ::fsync(fd) == 0;
  absl::Status status = written ? absl::OkStatus() : ErrnoStatus("writing", temp);
  ::close(fd);
  if (status.ok() && ::link(temp.c_str(), path.c_str()) != 0)
    status = ErrnoStatus("creating the signing key", path);
  ::unlink(temp.c_str());
  if (!status.ok()) return status;
  const std::string dir = DirectoryOf(path);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoStatus("opening the directory", dir);
  const bool synced = ::fsync(dir_fd) == 0;
  if (!synced) status = ErrnoStatus("syncing the directory", dir);
  ::close(dir_fd);
  return status;
}

absl::StatusOr<SigningKey> SigningKey::LoadOrCreateFile(const std::string& path) {
  absl::StatusOr<SigningKey> loaded = LoadFile(path);
  if (!absl::IsNotFound(loaded.status())) return loaded;
  RCL_ASSIGN_OR_RETURN(SigningKey key, Generate());
  absl::Status written = key.WriteFile(path);
  // Another process created it first: use theirs.
  if (absl::IsAlreadyExists(written)) return LoadFile(path);
  RCL_RETURN_IF_ERROR(written);
  return key;
}

// --- Tree heads ---

absl::StatusOr<SignedTreeHead> SignTreeHead(const SigningKey& key, TreeHead head) {
  if (head.tenant.size() > kSthTenantSizeMax) {
    return absl::InvalidArgumentError(absl::StrCat("a tenant is at most ", kSthTenantSizeMax,
                                                   " bytes, not ", head.tenant.size()));
  }
  RCL_ASSIGN_OR_RETURN(std::string signature, key.Sign(SthBytes(head)));
  return SignedTreeHead{std::move(head), std::move(signature)};
}

absl::Status VerifyTreeHead(const VerifyingKey& key, const SignedTreeHead& sth) {
  if (sth.head.tenant.size() > kSthTenantSizeMax) {
    return absl::InvalidArgumentError(absl::StrCat("a tenant is at most ", kSthTenantSizeMax,
                                                   " bytes, not ", sth.head.tenant.size()));
  }
  absl::Status status = key.Verify(SthBytes(sth.head), sth.signature);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("tree head (tree size ", sth.head.tree_size, ", root ",
                                            ToHex(sth.head.root), ", timestamp_us ",
                                            sth.head.timestamp_us, "): ", status.message()));
  }
  return absl::OkStatus();
}

}  // namespace rcl::audit
