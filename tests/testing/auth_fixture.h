// Header-only helpers for the tests of who may do what (docs/SECURITY.md):
// principals and their tokens file, raw gRPC calls of any method by name
// (through grpc::GenericStub, so that every RPC of every service can be
// called from its descriptor alone), and certificates made with the
// `openssl` command line.
//
// Header-only on purpose (see cli_fixture.h). Include it from
// tests/integration only.
#ifndef RCL_TESTS_TESTING_AUTH_FIXTURE_H_
#define RCL_TESTS_TESTING_AUTH_FIXTURE_H_

#include <openssl/sha.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/server_process.h"

namespace rcl::testing {

struct TestPrincipal {
  std::string name;
  std::string token;
  std::vector<std::string> roles;
  std::vector<std::string> tenants;
};

inline std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

inline std::string Quoted(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& s : items) quoted.push_back(absl::StrCat("\"", s, "\""));
  return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
}

// The tokens file of docs/SECURITY.md: names, token hashes, roles, tenants.
inline std::string TokensJson(const std::vector<TestPrincipal>& principals) {
  std::vector<std::string> entries;
  for (const TestPrincipal& p : principals) {
    entries.push_back(absl::StrCat("{\"name\":\"", p.name, "\",\"token_sha256\":\"",
                                   Sha256Hex(p.token), "\",\"roles\":", Quoted(p.roles),
                                   ",\"tenants\":", Quoted(p.tenants), "}"));
  }
  return absl::StrCat("{\"principals\":[", absl::StrJoin(entries, ",\n"), "]}\n");
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sets the string field at `path` ("tenant", "context.tenant"); adds to a
// repeated one.
inline void SetStringAtPath(google::protobuf::Message* m, const std::string& path,
                            const std::string& value) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const google::protobuf::FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    ASSERT_NE(f, nullptr) << m->GetDescriptor()->full_name() << " has no field " << parts[i];
    if (i + 1 < parts.size()) {
      m = m->GetReflection()->MutableMessage(m, f);
    } else {
      ASSERT_EQ(f->cpp_type(), google::protobuf::FieldDescriptor::CPPTYPE_STRING) << path;
      if (f->is_repeated()) {
        m->GetReflection()->AddString(m, f, value);
      } else {
        m->GetReflection()->SetString(m, f, value);
      }
    }
  }
}

struct RawCall {
  std::string token;  // empty: no authorization metadata
  std::vector<std::pair<std::string, std::string>> metadata;
  std::chrono::milliseconds deadline{5000};
  // For streams that would go on: cancel after the first response (the
  // status is then CANCELLED).
  bool cancel_after_first = false;
};

inline RawCall As(std::string token) {
  RawCall call;
  call.token = std::move(token);
  return call;
}

// Calls `method` ("/package.Service/Method"; unary or streaming alike) with
// one serialized request, reads at most one response into `response`, and
// returns the call's status.
inline grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& method, const std::string& request,
                            const RawCall& options, std::string* response = nullptr) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options.deadline);
  if (!options.token.empty()) ctx.AddMetadata("authorization", "Bearer " + options.token);
  for (const auto& [k, v] : options.metadata) ctx.AddMetadata(k, v);
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(&ctx, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  if (ok) {
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
    if (ok) {
      call->WritesDone(reinterpret_cast<void*>(3));
      cq.Next(&tag, &ok);
    }
    grpc::ByteBuffer out;
    call->Read(&out, reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
    if (ok) {
      if (response != nullptr) {
        std::vector<grpc::Slice> slices;
        (void)out.Dump(&slices);
        response->clear();
        for (const grpc::Slice& s : slices) {
          response->append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
      }
      if (options.cancel_after_first) ctx.TryCancel();
    }
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

inline std::shared_ptr<grpc::Channel> PlainChannel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

// A test PKI made with the openssl command line in `dir`: ca.pem,
// server.pem/server.key (SAN 127.0.0.1 and localhost), client.pem/client.key
// signed by the CA, and other-ca.pem with a client signed by it
// (other-client.pem/.key).
inline void MakeCertificates(const std::string& dir) {
  auto run = [](const std::vector<std::string>& argv) {
    CommandResult r = RunCommand(argv, 60);
    ASSERT_EQ(r.exit_code, 0) << absl::StrJoin(argv, " ") << "\n" << r.err;
  };
  auto ca = [&](const std::string& name) {
    run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".pem", "-days",
         "2", "-subj", "/CN=" + name});
  };
  auto leaf = [&](const std::string& name, const std::string& signer, const std::string& cn,
                  const std::string& ext) {
    run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".csr", "-subj",
         "/CN=" + cn});
    WriteFile(dir + "/" + name + ".ext", ext);
    run({"openssl", "x509", "-req", "-in", dir + "/" + name + ".csr", "-CA",
         dir + "/" + signer + ".pem", "-CAkey", dir + "/" + signer + ".key", "-CAcreateserial",
         "-out", dir + "/" + name + ".pem", "-days", "2", "-extfile", dir + "/" + name + ".ext"});
  };
  ca("ca");
  ca("other-ca");
  leaf("server", "ca", "localhost",
       "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  leaf("client", "ca", "rcl-client", "extendedKeyUsage=clientAuth\n");
  leaf("other-client", "other-ca", "rcl-client", "extendedKeyUsage=clientAuth\n");
}

}  // namespace rcl::testing

#endif  // RCL_TESTS_TESTING_AUTH_FIXTURE_H_
