// LedgerService.CommandStream through a real rcl-server (docs/API.md,
// "CommandStream"): many commands over one call answer as their own RPCs
// would (positions, events in the log), per-command errors leave the stream
// open, idempotency, one session shared by many threads, more commands than
// a stream may have in flight, a cancelled stream, a killed server, and
// messages that are not commands.
#include "clients/command_stream.h"

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "clients/client.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "server/command_stream.h"
#include "tests/testing/server_process.h"

namespace rcl::testing {
namespace {

using ::testing::HasSubstr;
using Answer = absl::StatusOr<rcl::v1::CommandResponse>;

rcl::v1::BatchCommand Command(const std::string& text) {
  rcl::v1::BatchCommand c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return c;
}
rcl::v1::BatchCommand Register(const std::string& patient, const std::string& command_id = "") {
  return Command(
      absl::StrCat(R"(context { tenant: "default" command_id: ")", command_id,
                   R"(" } command { register_patient { patient_id: ")", patient,
                   R"(" family_name: "Doe" given_name: "Jo" birth_date: "1980-01-01" } })"));
}
rcl::v1::BatchCommand Encounter(const std::string& encounter, const std::string& patient) {
  return Command(absl::StrCat(
      R"(command { open_encounter { encounter_id: ")", encounter, R"(" patient_id: ")", patient,
      R"(" rendering_npi: "1234567893" billing_npi: "9876543213" date_of_service: "2024-03-15")",
      R"( place_of_service: "11" } })"));
}
rcl::v1::BatchCommand Diagnoses(const std::string& encounter) {
  return Command(absl::StrCat(R"(command { record_diagnoses { encounter_id: ")", encounter,
                              R"(" icd10_codes: "J02.9" } })"));
}
rcl::v1::BatchCommand Charge(const std::string& encounter, int line, const std::string& cpt) {
  return Command(absl::StrCat(R"(command { record_charge { encounter_id: ")", encounter,
                              R"(" line_number: )", line, R"( cpt: ")", cpt,
                              R"(" units: 1 amount_cents: 12500 diagnosis_pointers: 1 } })"));
}

// Answers collected from Submit's callbacks, by index.
class Answers {
 public:
  explicit Answers(size_t n) : answers_(n, absl::UnknownError("not answered")) {}
  client::CommandStream::Callback At(size_t i) {
    return [this, i](Answer a) {
      absl::MutexLock lock(&mu_);
      answers_[i] = std::move(a);
      ++done_;
    };
  }
  // Waits until every command is answered (or `timeout` passes).
  bool Wait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto all = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return done_ == answers_.size(); };
    return mu_.AwaitWithTimeout(absl::Condition(&all), timeout);
  }
  Answer Get(size_t i) {
    absl::MutexLock lock(&mu_);
    return answers_[i];
  }

 private:
  absl::Mutex mu_;
  std::vector<Answer> answers_ ABSL_GUARDED_BY(mu_);
  size_t done_ ABSL_GUARDED_BY(mu_) = 0;
};

class CommandStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override {
    client_.reset();
    if (server_ != nullptr && server_->running()) {
      EXPECT_TRUE(server_->Terminate().ok());
    }
  }
  void Start() {
    auto server = ServerProcess::Start(dir_.path() + "/data");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto c = client::Client::Connect(server_->address(), client::Options{});
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
  }
  // The event the answer names is in the log where the answer says.
  void ExpectInLog(const rcl::v1::CommandResponse& r) {
    rcl::v1::ReadStreamRequest req;
    req.set_stream(r.stream());
    req.set_from_version(r.stream_version());
    req.set_limit(1);
    auto events = client_->ReadStream(req);
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_EQ(events->events_size(), 1) << r.DebugString();
    EXPECT_EQ(events->events(0).position(), r.position());
    ASSERT_GT(r.event_ids_size(), 0);
    EXPECT_EQ(events->events(0).event_id(), r.event_ids(r.event_ids_size() - 1));
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<client::Client> client_;
};

TEST_F(CommandStreamTest, ManyCommandsAnswerAsTheirOwnRpcsWouldInTheOrderRead) {
  std::unique_ptr<client::CommandStream> stream = client_->OpenCommandStream();
  // Each patient's commands depend on the ones before: one stream decides
  // them in the order it reads them.
  std::vector<rcl::v1::BatchCommand> commands;
  for (int p = 0; p < 20; ++p) {
    const std::string patient = absl::StrCat("P", p);
    const std::string encounter = absl::StrCat("E", p);
    commands.push_back(Register(patient));
    commands.push_back(Encounter(encounter, patient));
    commands.push_back(Diagnoses(encounter));
    for (int line = 1; line <= 3; ++line) commands.push_back(Charge(encounter, line, "99213"));
  }
  Answers answers(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) stream->Submit(commands[i], answers.At(i));
  ASSERT_TRUE(answers.Wait(absl::Seconds(30)));
  EXPECT_TRUE(stream->Close().ok());
  uint64_t last = 0;
  for (size_t i = 0; i < commands.size(); ++i) {
    Answer a = answers.Get(i);
    ASSERT_TRUE(a.ok()) << i << ": " << a.status();
    EXPECT_GT(a->position(), last) << "command " << i << " decided out of order";
    last = a->position();
    ExpectInLog(*a);
  }
  // The unary path continues the same log.
  auto head = client_->Head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->position(), last);
  auto unary = client_->Execute(Charge("E0", 4, "99213").command());
  ASSERT_TRUE(unary.ok()) << unary.status();
  EXPECT_EQ(unary->position(), last + 1);
}

TEST_F(CommandStreamTest, PerCommandErrorsAreAnsweredAndTheStreamGoesOn) {
  std::unique_ptr<client::CommandStream> stream = client_->OpenCommandStream();
  ASSERT_TRUE(stream->Execute(Register("P1")).ok());
  Answer bad_cpt = stream->Execute(Charge("E1", 1, "not-a-cpt"));
  EXPECT_EQ(bad_cpt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_cpt.status().message(), HasSubstr("command.record_charge.cpt"));
  Answer no_encounter = stream->Execute(Diagnoses("E-nobody"));
  EXPECT_EQ(no_encounter.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_encounter.status().message(), HasSubstr("E-nobody"));
  Answer no_kind = stream->Execute(Command(R"(context { tenant: "default" })"));
  EXPECT_EQ(no_kind.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_kind.status().message(), HasSubstr("command: must hold a command"));
  Answer import =
      stream->Execute(Command(R"(command { import_remittance_file { x12: "ISA*00*" } })"));
  EXPECT_EQ(import.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(import.status().message(), HasSubstr("cannot be batched"));
  Answer bad_tenant = stream->Execute(Command(
      R"(context { tenant: "no such tenant!" } command { register_patient { patient_id: "P2" } })"));
  EXPECT_EQ(bad_tenant.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_tenant.status().message(), HasSubstr("context.tenant"));
  // Still open: later commands are written.
  Answer open = stream->Execute(Encounter("E1", "P1"));
  ASSERT_TRUE(open.ok()) << open.status();
  ExpectInLog(*open);
  EXPECT_TRUE(stream->Close().ok());
}

TEST_F(CommandStreamTest, TheSameCommandIdTwiceIsWrittenOnce) {
  std::unique_ptr<client::CommandStream> stream = client_->OpenCommandStream();
  Answer first = stream->Execute(Register("P1", "reg-P1"));
  Answer again = stream->Execute(Register("P1", "reg-P1"));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->position(), first->position());
  EXPECT_EQ(again->event_ids(0), first->event_ids(0));
  auto head = client_->Head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->position(), first->position());
  EXPECT_TRUE(stream->Close().ok());
}

TEST_F(CommandStreamTest, ManyThreadsShareOneSession) {
  std::unique_ptr<client::CommandStream> stream = client_->OpenCommandStream();
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::vector<Answer>> answers(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        answers[t].push_back(stream->Execute(Register(absl::StrCat("P", t, "-", i))));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<uint64_t> positions;
  for (const auto& list : answers) {
    for (const Answer& a : list) {
      ASSERT_TRUE(a.ok()) << a.status();
      positions.insert(a->position());
    }
  }
  EXPECT_EQ(positions.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_TRUE(stream->Close().ok());
}

TEST_F(CommandStreamTest, MoreCommandsThanTheInflightLimitAllComplete) {
  std::unique_ptr<client::CommandStream> stream = client_->OpenCommandStream();
  const size_t n = 4 * server::kCommandStreamInflightMax + 7;
  Answers answers(n);
  for (size_t i = 0; i < n; ++i) stream->Submit(Register(absl::StrCat("P", i)), answers.At(i));
  ASSERT_TRUE(answers.Wait(absl::Seconds(60)));
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(answers.Get(i).ok()) << i << answers.Get(i).status();
  EXPECT_TRUE(stream->Close().ok());
  auto head = client_->Head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->position(), n);
}

TEST_F(CommandStreamTest, ACancelledStreamLeavesTheServerHealthy) {
  for (int round = 0; round < 5; ++round) {
    std::unique_ptr<client::CommandStream> stream = client_->OpenCommandStream();
    Answers answers(300);
    for (size_t i = 0; i < 300; ++i) {
      stream->Submit(Register(absl::StrCat("P", round, "-", i)), answers.At(i));
      if (i == 150) stream->Cancel();
    }
    ASSERT_TRUE(answers.Wait(absl::Seconds(30)));
    EXPECT_EQ(stream->Close().code(), absl::StatusCode::kCancelled);
  }
  ASSERT_TRUE(server_->running());
  std::unique_ptr<client::CommandStream> stream = client_->OpenCommandStream();
  Answer after = stream->Execute(Register("P-after"));
  ASSERT_TRUE(after.ok()) << after.status();
  ExpectInLog(*after);
  EXPECT_TRUE(stream->Close().ok());
}

TEST_F(CommandStreamTest, AGracefulShutdownEndsAnOpenStream) {
  std::unique_ptr<client::CommandStream> stream = client_->OpenCommandStream();
  Answer before = stream->Execute(Register("P1"));
  ASSERT_TRUE(before.ok()) << before.status();
  // The stream stays open (idle) while the server stops: it must not hold
  // the shutdown up, and the server must exit cleanly.
  const absl::Time start = absl::Now();
  EXPECT_TRUE(server_->Terminate().ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  Answer after = stream->Execute(Register("P2"));
  EXPECT_FALSE(after.ok());
  EXPECT_FALSE(stream->Close().ok());
  Start();
  auto head = client_->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->position(), before->position());
}

TEST_F(CommandStreamTest, EveryAcknowledgedCommandSurvivesKill9) {
  std::unique_ptr<client::CommandStream> stream = client_->OpenCommandStream();
  absl::Mutex mu;
  std::map<std::string, rcl::v1::CommandResponse> acked;  // by patient id
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string patient = absl::StrCat("P", i);
      stream->Submit(Register(patient), [&, patient](Answer a) {
        if (!a.ok()) return;
        absl::MutexLock lock(&mu);
        acked.emplace(patient, *a);
      });
    }
  });
  absl::SleepFor(absl::Milliseconds(800));
  server_->Kill9();
  stop.store(true);
  writer.join();
  stream->Close().IgnoreError();
  stream.reset();
  std::map<std::string, rcl::v1::CommandResponse> survivors;
  {
    absl::MutexLock lock(&mu);
    survivors = acked;
  }
  ASSERT_GT(survivors.size(), 0u) << "nothing was acknowledged before the kill";
  std::cerr << survivors.size() << " commands acknowledged before the kill\n";
  Start();
  for (const auto& [patient, r] : survivors) {
    SCOPED_TRACE(patient);
    ExpectInLog(r);
    if (HasFailure()) break;
  }
}

// Raw calls: messages the client library never sends.
class RawCommandStreamTest : public CommandStreamTest {
 protected:
  using Stream =
      grpc::ClientReaderWriter<rcl::v1::CommandStreamRequest, rcl::v1::CommandStreamResponse>;
  void SetUp() override {
    CommandStreamTest::SetUp();
    stub_ = rcl::v1::LedgerService::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }
  // Adds command `c` under `tag` to message `r`.
  static void AddTagged(rcl::v1::CommandStreamRequest* r, uint64_t tag, rcl::v1::BatchCommand c) {
    rcl::v1::StreamCommand* added = r->add_commands();
    added->set_tag(tag);
    if (c.context().tenant().empty()) c.mutable_context()->set_tenant("default");
    *added->mutable_command() = std::move(c);
  }
  // A message of one command.
  static rcl::v1::CommandStreamRequest Tagged(uint64_t tag, rcl::v1::BatchCommand c) {
    rcl::v1::CommandStreamRequest r;
    AddTagged(&r, tag, std::move(c));
    return r;
  }
  // Every answer of the call, in the order they came, and how many messages
  // carried them.
  struct Answers {
    std::vector<rcl::v1::StreamAnswer> answers;
    int messages = 0;
  };
  static Answers ReadAll(Stream* s) {
    Answers out;
    rcl::v1::CommandStreamResponse r;
    while (s->Read(&r)) {
      ++out.messages;
      EXPECT_GT(r.answers_size(), 0) << "a message with no answer";
      for (const rcl::v1::StreamAnswer& a : r.answers()) out.answers.push_back(a);
    }
    return out;
  }
  std::unique_ptr<rcl::v1::LedgerService::Stub> stub_;
};

// Two commands with one tag, in one message: the second is refused alone
// while the first is in flight. When the first is answered before the
// server reads the second (a scheduling race on a loaded machine), the tag
// is free again and both are written; so the pair is sent until the
// refusal is seen, and every attempt must be one of the two outcomes.
TEST_F(RawCommandStreamTest, ADuplicateInflightTagIsRefusedAlone) {
  constexpr int kAttemptsMax = 50;
  int refused_attempts = 0;
  for (int attempt = 0; attempt < kAttemptsMax && refused_attempts == 0; ++attempt) {
    grpc::ClientContext ctx;
    std::unique_ptr<Stream> s = stub_->CommandStream(&ctx);
    const std::string p = absl::StrCat("P", attempt, "-");
    rcl::v1::CommandStreamRequest both = Tagged(7, Register(p + "1"));
    AddTagged(&both, 7, Register(p + "2"));
    ASSERT_TRUE(s->Write(both));
    ASSERT_TRUE(s->WritesDone());
    const std::vector<rcl::v1::StreamAnswer> got = ReadAll(s.get()).answers;
    EXPECT_TRUE(s->Finish().ok());
    ASSERT_EQ(got.size(), 2u) << "attempt " << attempt;
    int refused = 0;
    for (const auto& g : got) {
      EXPECT_EQ(g.tag(), 7u);
      if (g.result().code() == 0) continue;
      ++refused;
      EXPECT_EQ(g.result().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
      EXPECT_THAT(g.result().message(), HasSubstr("already in flight"));
    }
    EXPECT_LE(refused, 1) << "attempt " << attempt << ": both refused";
    if (refused == 1) ++refused_attempts;
  }
  EXPECT_EQ(refused_attempts, 1) << "a duplicate tag in flight was never refused in "
                                 << kAttemptsMax << " attempts";
}

TEST_F(RawCommandStreamTest, AnOversizedMessageEndsTheStreamAfterEarlierAnswers) {
  grpc::ClientContext ctx;
  std::unique_ptr<Stream> s = stub_->CommandStream(&ctx);
  ASSERT_TRUE(s->Write(Tagged(1, Register("P1"))));
  rcl::v1::BatchCommand huge = Register("P2");
  huge.mutable_command()->mutable_register_patient()->set_family_name(
      std::string(server::kRequestBytesMax + 1, 'x'));
  s->Write(Tagged(2, huge));
  s->WritesDone();
  const std::vector<rcl::v1::StreamAnswer> got = ReadAll(s.get()).answers;
  grpc::Status status = s->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("message 2"));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].tag(), 1u);
  EXPECT_EQ(got[0].result().code(), 0) << got[0].result().message();
  // The server goes on.
  auto head = client_->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->position(), 1u);
}

// A message of many commands: each is its own command (its own answer under
// its own tag, its own position), and their answers, ready at about the
// same time, come back in fewer messages than commands.
TEST_F(RawCommandStreamTest, AMessageOfManyCommandsIsAnsweredPerCommandInFewerMessages) {
  constexpr int kCommands = 64;
  static_assert(kCommands == server::kCommandStreamCommandsPerMessageMax);
  grpc::ClientContext ctx;
  std::unique_ptr<Stream> s = stub_->CommandStream(&ctx);
  rcl::v1::CommandStreamRequest many;
  for (int i = 0; i < kCommands; ++i) {
    AddTagged(&many, 1000 + i, Register(absl::StrCat("M", i)));
  }
  // One refused among them (a charge on an encounter that does not exist):
  // the others are written all the same.
  rcl::v1::BatchCommand orphan;
  orphan.mutable_command()->mutable_record_charge()->set_encounter_id("no-such-encounter");
  many.mutable_commands(10)->set_tag(1010);
  *many.mutable_commands(10)->mutable_command()->mutable_command() = orphan.command();
  ASSERT_TRUE(s->Write(many));
  ASSERT_TRUE(s->WritesDone());
  const Answers got = ReadAll(s.get());
  EXPECT_TRUE(s->Finish().ok());
  ASSERT_EQ(got.answers.size(), static_cast<size_t>(kCommands));
  EXPECT_LT(got.messages, kCommands) << "every answer came in a message of its own";
  std::set<uint64_t> tags;
  std::set<uint64_t> positions;
  for (const rcl::v1::StreamAnswer& a : got.answers) {
    tags.insert(a.tag());
    if (a.tag() == 1010) {
      EXPECT_NE(a.result().code(), 0) << "a charge on no encounter was written";
      continue;
    }
    EXPECT_EQ(a.result().code(), 0) << a.tag() << ": " << a.result().message();
    positions.insert(a.result().result().position());
  }
  EXPECT_EQ(tags.size(), static_cast<size_t>(kCommands)) << "an answer twice, or one missing";
  EXPECT_EQ(positions.size(), static_cast<size_t>(kCommands - 1));
  auto head = client_->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->position(), static_cast<uint64_t>(kCommands - 1));
}

// A message that holds no command, or more than a message may, is not a
// message of commands: it ends the stream (after the answers before it),
// and nothing of it is written.
TEST_F(RawCommandStreamTest, AMessageOfNoneOrTooManyCommandsEndsTheStream) {
  for (const int n : {0, static_cast<int>(server::kCommandStreamCommandsPerMessageMax) + 1}) {
    SCOPED_TRACE(n);
    const uint64_t before = client_->Head()->position();
    grpc::ClientContext ctx;
    std::unique_ptr<Stream> s = stub_->CommandStream(&ctx);
    ASSERT_TRUE(s->Write(Tagged(1, Register(absl::StrCat("F", n)))));
    rcl::v1::CommandStreamRequest bad;
    for (int i = 0; i < n; ++i) AddTagged(&bad, 10 + i, Register(absl::StrCat("N", n, "-", i)));
    s->Write(bad);
    s->WritesDone();
    const std::vector<rcl::v1::StreamAnswer> got = ReadAll(s.get()).answers;
    const grpc::Status status = s->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("message 2 of the stream holds"));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].tag(), 1u);
    EXPECT_EQ(got[0].result().code(), 0) << got[0].result().message();
    EXPECT_EQ(client_->Head()->position(), before + 1)
        << "a command of the bad message was written";
  }
}

}  // namespace
}  // namespace rcl::testing
