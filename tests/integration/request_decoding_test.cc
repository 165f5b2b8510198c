// DecodeRequest names a string field holding invalid UTF-8 as the API names
// it, repeated entries by their index, however deep: the index is counted
// only when a violation is named (the walk of a well-formed request builds
// no names).
#include "server/request_decoding.h"

#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "rcl/v1/api.pb.h"

namespace rcl::server {
namespace {

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// A batch of three commands; the third records three diagnoses, the last of
// which is `last_code`.
rcl::v1::ExecuteBatchRequest Batch(const std::string& last_code) {
  rcl::v1::ExecuteBatchRequest request;
  for (int i = 0; i < 3; ++i) {
    rcl::v1::BatchCommand* c = request.add_commands();
    c->mutable_context()->set_tenant("t1");
    rcl::v1::RecordDiagnoses* d = c->mutable_command()->mutable_record_diagnoses();
    d->set_encounter_id("E1");
    d->add_icd10_codes("E11.9");
    if (i == 2) {
      d->add_icd10_codes("I10");
      d->add_icd10_codes(last_code);
    }
  }
  return request;
}

TEST(RequestDecodingTest, AWellFormedRequestDecodes) {
  rcl::v1::ExecuteBatchRequest decoded;
  ASSERT_TRUE(DecodeRequest(Buffer(Batch("J45.909").SerializeAsString()), &decoded).ok());
  ASSERT_EQ(decoded.commands_size(), 3);
  EXPECT_EQ(decoded.commands(2).command().record_diagnoses().icd10_codes(2), "J45.909");
}

// What gRPC hands over in several slices (a large call) decodes alike,
// whichever slice a string straddles.
TEST(RequestDecodingTest, ARequestInSeveralSlicesDecodesAndItsBadStringIsNamed) {
  const std::string good = Batch("J45.909").SerializeAsString();
  const std::string bad = absl::StrReplaceAll(Batch("ZQZQ").SerializeAsString(),
                                              {{"ZQZQ", std::string("\xff\xfe\xfd\xfc", 4)}});
  auto sliced = [](const std::string& bytes) {
    std::vector<grpc::Slice> slices;
    for (size_t at = 0; at < bytes.size(); at += 7) slices.emplace_back(bytes.substr(at, 7));
    return grpc::ByteBuffer(slices.data(), slices.size());
  };
  rcl::v1::ExecuteBatchRequest decoded;
  ASSERT_TRUE(DecodeRequest(sliced(good), &decoded).ok());
  EXPECT_EQ(decoded.commands(2).command().record_diagnoses().icd10_codes(2), "J45.909");
  rcl::v1::ExecuteBatchRequest refused;
  absl::Status status = DecodeRequest(sliced(bad), &refused);
  EXPECT_EQ(status.message(),
            "commands[2].command.record_diagnoses.icd10_codes[2]: must be valid UTF-8")
      << status;
  EXPECT_EQ(refused.commands_size(), 0) << "a refused request is left empty";
}

TEST(RequestDecodingTest, InvalidUtf8IsNamedWithTheIndexOfEachRepeatedEntry) {
  // The same bytes with the placeholder's 4 bytes replaced by invalid UTF-8.
  const std::string bytes = absl::StrReplaceAll(Batch("ZQZQ").SerializeAsString(),
                                                {{"ZQZQ", std::string("\xff\xfe\xfd\xfc", 4)}});
  rcl::v1::ExecuteBatchRequest decoded;
  absl::Status status = DecodeRequest(Buffer(bytes), &decoded);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "commands[2].command.record_diagnoses.icd10_codes[2]: must be valid UTF-8")
      << status;
}

TEST(RequestDecodingTest, BytesThatAreNoMessageAreRefusedAsTheRequest) {
  rcl::v1::ExecuteBatchRequest decoded;
  // A length-delimited field claiming more bytes than follow.
  absl::Status status = DecodeRequest(Buffer(std::string("\x0a\x7f\x01", 3)), &decoded);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("request"), absl::string_view::npos) << status;
}

}  // namespace
}  // namespace rcl::server
