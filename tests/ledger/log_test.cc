// The event log as a billing office relies on it: every accepted command is
// recorded once, in order, without gaps, atomically across streams, durably
// across restarts, under a hash chain that exposes tampering; retries are
// safe; and overload or shutdown is reported instead of silently dropping
// work.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/rules/commands.h"
#include "ledger/rules/state.h"
#include "ledger/storage/codec.h"
#include "ledger/storage/event_store.h"
#include "rcl/v1/events.pb.h"
#include "rocksdb/db.h"
#include "tests/testing/ledger_fixture.h"

namespace rcl::ledger {
namespace {

using ::rcl::ledger::testing::AddCoverageCommand;
using ::rcl::ledger::testing::Decider;
using ::rcl::ledger::testing::Gate;
using ::rcl::ledger::testing::kTenant;
using ::rcl::ledger::testing::LedgerOptions;
using ::rcl::ledger::testing::OpenEncounterCommand;
using ::rcl::ledger::testing::OpenLedgerOrDie;
using ::rcl::ledger::testing::PayloadAs;
using ::rcl::ledger::testing::ReadLog;
using ::rcl::ledger::testing::ReadWholeStream;
using ::rcl::ledger::testing::RecordChargeCommand;
using ::rcl::ledger::testing::RecordDiagnosesCommand;
using ::rcl::ledger::testing::RegisterPatientCommand;
using ::rcl::ledger::testing::Request;
using ::rcl::ledger::testing::Results;
using ::rcl::ledger::testing::ScratchDir;
using ::rcl::ledger::testing::WriterGate;
using ::testing::HasSubstr;

CommandResult ExecuteOk(Ledger& ledger, CommandRequest request) {
  absl::StatusOr<CommandResult> r = ledger.Execute(std::move(request));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CommandResult{};
}

CommandResult ExecuteOk(Ledger& ledger, rcl::v1::Command command, std::string command_id = "") {
  return ExecuteOk(ledger, Request(std::move(command), std::move(command_id)));
}

std::vector<uint64_t> Versions(const std::vector<EventRecord>& events) {
  std::vector<uint64_t> out;
  for (const EventRecord& e : events) out.push_back(e.version);
  return out;
}

// Coverage j of a patient: rank 1 for the whole year 2000 + j (never overlapping).
rcl::v1::Command YearlyCoverage(const std::string& patient_id, int j) {
  std::string year = absl::StrCat(2000 + j);
  return AddCoverageCommand(patient_id, absl::StrCat("cov-", j), 1, absl::StrCat(year, "-01-01"),
                            absl::StrCat(year, "-12-31"));
}

// --- (a) Ordering --------------------------------------------------------------

TEST(LogOrderingTest, ConcurrentlyQueuedCommandsGetGaplessPositionsInSubmissionOrder) {
  ScratchDir dir;
  Results results;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);

  constexpr int kPatients = 6;
  constexpr int kCoveragesEach = 10;
  std::vector<std::string> streams;  // expected stream of command i
  for (int p = 0; p < kPatients; ++p) {
    std::string id = absl::StrCat("P", p);
    ASSERT_TRUE(
        ledger->Submit(Request(RegisterPatientCommand(id)), results.Callback(streams.size())).ok());
    streams.push_back(PatientStream(id));
  }
  for (int j = 0; j < kCoveragesEach; ++j) {  // round-robin over the patients
    for (int p = 0; p < kPatients; ++p) {
      std::string id = absl::StrCat("P", p);
      ASSERT_TRUE(
          ledger->Submit(Request(YearlyCoverage(id, j)), results.Callback(streams.size())).ok());
      streams.push_back(PatientStream(id));
    }
  }
  const size_t n = streams.size();
  ASSERT_TRUE(results.WaitFor(n));

  // Each command got the next position, in the order it was submitted.
  std::map<std::string, uint64_t> next_version;
  for (size_t i = 0; i < n; ++i) {
    SCOPED_TRACE(absl::StrCat("command ", i));
    absl::StatusOr<CommandResult> r = results.Get(i);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->position, i + 1);
    EXPECT_EQ(r->stream, streams[i]);
    EXPECT_EQ(r->stream_version, next_version[streams[i]]++);
    EXPECT_EQ(r->event_ids.size(), 1u);
    EXPECT_FALSE(r->command_id.empty());  // the ledger assigns one
  }
  EXPECT_EQ(ledger->head().position, n);

  // The log holds exactly those events, gapless, chained, with timestamps
  // that never go backwards.
  std::vector<EventRecord> log = ReadLog(ledger->store());
  ASSERT_EQ(log.size(), n);
  Hash prev{};
  std::map<std::string, int64_t> last_version;
  for (size_t i = 0; i < n; ++i) {
    SCOPED_TRACE(absl::StrCat("position ", i + 1));
    const EventRecord& e = log[i];
    EXPECT_EQ(e.position, i + 1);
    EXPECT_EQ(e.tenant, kTenant);
    EXPECT_EQ(e.stream, streams[i]);
    EXPECT_EQ(static_cast<int64_t>(e.version),
              (last_version.contains(e.stream) ? last_version[e.stream] : -1) + 1);
    last_version[e.stream] = static_cast<int64_t>(e.version);
    EXPECT_EQ(e.event_id, results.Get(i)->event_ids.at(0));
    EXPECT_EQ(e.prev_hash, prev);
    EXPECT_EQ(e.hash, ChainHash(e.prev_hash, CanonicalBytes(e)));
    if (i > 0) {
      EXPECT_GE(e.recorded_at_us, log[i - 1].recorded_at_us);
    }
    prev = e.hash;
  }
  EXPECT_EQ(ledger->head().hash, prev);
  for (int p = 0; p < kPatients; ++p) {
    absl::StatusOr<int64_t> v =
        ledger->store().StreamLastVersion(kTenant, PatientStream(absl::StrCat("P", p)));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, kCoveragesEach);
  }
  ledger->Stop();
}

TEST(LogOrderingTest, ReadStreamPagesForwardBackwardAndFromAVersion) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);
  // "P1" has 12 events (versions 0..11); "P10", "P1x" and another tenant's
  // "P1" are neighbours in key order that must never leak into its reads.
  ExecuteOk(*ledger, RegisterPatientCommand("P1"));
  ExecuteOk(*ledger, RegisterPatientCommand("P10"));
  ExecuteOk(*ledger, RegisterPatientCommand("P1x"));
  ExecuteOk(*ledger, Request(RegisterPatientCommand("P1"), "", "clinic-0"));
  ExecuteOk(*ledger, Request(RegisterPatientCommand("P1"), "", "clinic-2"));
  for (int j = 0; j < 11; ++j) ExecuteOk(*ledger, YearlyCoverage("P1", j));
  const EventStore& store = ledger->store();
  const std::string stream = PatientStream("P1");

  auto read = [&](uint64_t from, bool backward, size_t limit) {
    absl::StatusOr<std::vector<EventRecord>> page =
        store.ReadStream(kTenant, stream, from, backward, limit);
    EXPECT_TRUE(page.ok()) << page.status();
    for (const EventRecord& e : page.value_or(std::vector<EventRecord>{})) {
      EXPECT_EQ(e.tenant, kTenant);
      EXPECT_EQ(e.stream, stream);
    }
    return Versions(page.value_or(std::vector<EventRecord>{}));
  };
  using V = std::vector<uint64_t>;
  // Forward paging.
  EXPECT_EQ(read(0, false, 5), (V{0, 1, 2, 3, 4}));
  EXPECT_EQ(read(5, false, 5), (V{5, 6, 7, 8, 9}));
  EXPECT_EQ(read(10, false, 5), (V{10, 11}));
  EXPECT_EQ(read(12, false, 5), V{});
  EXPECT_EQ(read(0, false, 100).size(), 12u);
  // From a version, with a limit.
  EXPECT_EQ(read(7, false, 2), (V{7, 8}));
  EXPECT_EQ(read(3, false, 0), V{});
  // Backward paging from the end (any version past the last works).
  EXPECT_EQ(read(UINT64_MAX, true, 5), (V{11, 10, 9, 8, 7}));
  EXPECT_EQ(read(6, true, 5), (V{6, 5, 4, 3, 2}));
  EXPECT_EQ(read(1, true, 5), (V{1, 0}));
  EXPECT_EQ(read(0, true, 5), (V{0}));
  EXPECT_EQ(read(100, true, 3), (V{11, 10, 9}));
  // Streams that do not exist read as empty in either direction, even with
  // neighbours on both sides.
  for (const char* missing :
       {"patient-P0", "patient-P1-", "patient-P2", "patient-", "encounter-P1"}) {
    for (bool backward : {false, true}) {
      SCOPED_TRACE(absl::StrCat(missing, backward ? " backward" : " forward"));
      absl::StatusOr<std::vector<EventRecord>> page =
          store.ReadStream(kTenant, missing, backward ? UINT64_MAX : 0, backward, 10);
      ASSERT_TRUE(page.ok()) << page.status();
      EXPECT_TRUE(page->empty());
    }
    absl::StatusOr<int64_t> v = store.StreamLastVersion(kTenant, missing);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, -1) << missing;
  }
  EXPECT_EQ(*store.StreamLastVersion(kTenant, stream), 11);
  EXPECT_EQ(*store.StreamLastVersion("clinic-0", stream), 0);
  EXPECT_EQ(*store.StreamLastVersion(kTenant, PatientStream("P10")), 0);
  EXPECT_EQ(*store.StreamLastVersion("clinic-9", stream), -1);
  ledger->Stop();
}

// Clerks of three clinics, each on their own patient, in turn: every
// stream's, tenant's and tree level's next index key is written far from the
// key written before it (where the index families' memtable insert hints
// matter, ledger/storage/event_store.cc). Each stream reads back whole and
// in version order, each tenant verifies (its index, chain and Merkle
// nodes), and so does the whole log, also after a restart.
TEST(LogOrderingTest, StreamsOfManyClerksWrittenInTurnReadBackInOrderAndVerify) {
  constexpr int kPatients = 40;
  constexpr int kRounds = 5;  // a registration, then four coverages each
  const std::vector<std::string> tenants = {kTenant, "clinic-a", "clinic-b"};
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);
  for (int round = 0; round < kRounds; ++round) {
    for (int p = 0; p < kPatients; ++p) {
      for (const std::string& tenant : tenants) {
        const std::string patient = absl::StrCat("P", p);
        rcl::v1::Command command =
            round == 0 ? RegisterPatientCommand(patient) : YearlyCoverage(patient, round - 1);
        ExecuteOk(*ledger, Request(std::move(command), "", tenant));
      }
    }
  }
  auto check = [&](const EventStore& store) {
    std::vector<uint64_t> want;
    for (int v = 0; v < kRounds; ++v) want.push_back(v);
    for (const std::string& tenant : tenants) {
      for (int p = 0; p < kPatients; ++p) {
        const std::string stream = PatientStream(absl::StrCat("P", p));
        absl::StatusOr<std::vector<EventRecord>> events =
            store.ReadStream(tenant, stream, 0, false, 100);
        ASSERT_TRUE(events.ok()) << events.status();
        EXPECT_EQ(Versions(*events), want) << tenant << " " << stream;
        for (const EventRecord& e : *events) EXPECT_EQ(e.tenant, tenant);
      }
      absl::StatusOr<TenantVerifyResult> verified = store.VerifyTenant(tenant, 1, UINT64_MAX);
      ASSERT_TRUE(verified.ok()) << verified.status();
      EXPECT_TRUE(verified->ok) << tenant << ": " << verified->error;
      EXPECT_EQ(verified->events_checked, uint64_t{kPatients} * kRounds) << tenant;
    }
    absl::StatusOr<VerifyResult> log = store.Verify(1, UINT64_MAX);
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_TRUE(log->ok) << log->error;
    EXPECT_EQ(log->events_checked, uint64_t{kPatients} * kRounds * tenants.size());
  };
  check(ledger->store());
  ledger->Stop();
  ledger.reset();
  ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);
  check(ledger->store());
  ledger->Stop();
}

TEST(LogOrderingTest, ScanLogVisitsARangeInOrderAndStopsWhenAsked) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);
  for (int p = 0; p < 10; ++p) ExecuteOk(*ledger, RegisterPatientCommand(absl::StrCat("P", p)));
  const EventStore& store = ledger->store();
  auto scan = [&](uint64_t from, uint64_t to, size_t count_max, size_t stop_after = SIZE_MAX) {
    std::vector<uint64_t> positions;
    absl::Status s = store.ScanLog(from, to, count_max, [&](const EventRecord& e) {
      positions.push_back(e.position);
      return positions.size() < stop_after;
    });
    EXPECT_TRUE(s.ok()) << s;
    return positions;
  };
  using V = std::vector<uint64_t>;
  EXPECT_EQ(scan(3, 7, 100), (V{3, 4, 5, 6, 7}));
  EXPECT_EQ(scan(8, UINT64_MAX, 100), (V{8, 9, 10}));
  EXPECT_EQ(scan(0, UINT64_MAX, 3), (V{1, 2, 3}));
  EXPECT_EQ(scan(2, 9, 100, /*stop_after=*/2), (V{2, 3}));
  EXPECT_EQ(scan(11, UINT64_MAX, 100), V{});
  EXPECT_EQ(scan(7, 3, 100), V{});
  EXPECT_EQ(scan(1, 10, 0), V{});

  absl::StatusOr<EventRecord> e = store.ReadEvent(4);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->stream, PatientStream("P3"));
  EXPECT_EQ(store.ReadEvent(11).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.ReadEvent(0).status().code(), absl::StatusCode::kNotFound);
  ledger->Stop();
}

// A decider that appends `count` PatientRegistered events to the command's
// patient stream (the real rules would allow only one).
Decider RepeatDecider(int count) {
  return [count](const rcl::v1::Command& command, StateView& view) -> absl::StatusOr<Decision> {
    if (!command.has_register_patient()) return Decide(command, view);
    Decision d;
    for (int i = 0; i < count; ++i) {
      rcl::v1::PatientRegistered e;
      e.set_patient_id(command.register_patient().patient_id());
      NewEvent ne;
      ne.stream = PatientStream(command.register_patient().patient_id());
      ne.type = "PatientRegistered";
      ne.payload = e.SerializeAsString();
      d.events.push_back(std::move(ne));
    }
    return d;
  };
}

TEST(LogOrderingTest, ReadStreamPagesAreCappedAndLongStreamsReloadAfterRestart) {
  ScratchDir dir;
  const int kEvents = static_cast<int>(kReadPageMax) + 5;
  Ledger::Options options = LedgerOptions(dir.path(), /*sync_writes=*/false);
  options.decide = RepeatDecider(kEvents);
  {
    auto ledger = OpenLedgerOrDie(options);
    ASSERT_NE(ledger, nullptr);
    CommandResult r = ExecuteOk(*ledger, RegisterPatientCommand("long"));
    EXPECT_EQ(r.position, static_cast<uint64_t>(kEvents));
    EXPECT_EQ(r.stream_version, static_cast<uint64_t>(kEvents - 1));
    EXPECT_EQ(r.event_ids.size(), static_cast<size_t>(kEvents));
  }
  // After a restart the stream's state is folded from more than one page.
  options.decide = RepeatDecider(1);
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  const EventStore& store = ledger->store();
  auto page = store.ReadStream(kTenant, PatientStream("long"), 0, false, 5000);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->size(), kReadPageMax);
  EXPECT_EQ(ReadWholeStream(store, kTenant, PatientStream("long")).size(),
            static_cast<size_t>(kEvents));
  CommandResult r = ExecuteOk(*ledger, RegisterPatientCommand("long"));
  EXPECT_EQ(r.stream_version, static_cast<uint64_t>(kEvents));
  EXPECT_EQ(r.position, static_cast<uint64_t>(kEvents + 1));
  ledger->Stop();
}

// --- (b) Expected version ------------------------------------------------------

TEST(ExpectedVersionTest, MatchAppendsMismatchIsAbortedAndWritesNothing) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  const std::string stream = PatientStream("P1");

  // -1 = "must not exist": creates the stream.
  CommandRequest create = Request(RegisterPatientCommand("P1"));
  create.expected_version = -1;
  CommandResult r0 = ExecuteOk(*ledger, create);
  EXPECT_EQ(r0.stream_version, 0u);

  CommandRequest add = Request(YearlyCoverage("P1", 1));
  add.expected_version = 0;
  CommandResult r1 = ExecuteOk(*ledger, add);
  EXPECT_EQ(r1.stream_version, 1u);
  EXPECT_EQ(r1.position, 2u);

  const LogHead before = ledger->head();
  struct Case {
    std::string name;
    int64_t expected_version;
  };
  for (const Case& c : std::vector<Case>{{"stale version", 0},
                                         {"future version", 2},
                                         {"far future", 1000},
                                         {"must not exist", -1}}) {
    SCOPED_TRACE(c.name);
    CommandRequest req = Request(YearlyCoverage("P1", 2));
    req.expected_version = c.expected_version;
    absl::StatusOr<CommandResult> r = ledger->Execute(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(stream));
    EXPECT_EQ(ledger->head().position, before.position);
    EXPECT_EQ(ledger->head().hash, before.hash);
    EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, stream), 1);
  }
  // A version the ledger cannot have is a bad request, not a conflict.
  CommandRequest bad = Request(YearlyCoverage("P1", 2));
  bad.expected_version = -2;
  EXPECT_EQ(ledger->Execute(bad).status().code(), absl::StatusCode::kInvalidArgument);

  // The coverage the conflicting requests carried was never recorded: adding
  // it with the right version now succeeds.
  CommandRequest retry = Request(YearlyCoverage("P1", 2));
  retry.expected_version = 1;
  CommandResult r2 = ExecuteOk(*ledger, retry);
  EXPECT_EQ(r2.stream_version, 2u);
  EXPECT_EQ(r2.position, before.position + 1);
  ledger->Stop();
}

TEST(ExpectedVersionTest, SeesEarlierCommandsOfTheSameBatch) {
  ScratchDir dir;
  Results results;
  auto gate = std::make_shared<Gate>();
  Ledger::Options options = LedgerOptions(dir.path());
  options.decide = Gate::Wrap(gate);
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(ledger->Submit(Request(RegisterPatientCommand("gate")), results.Callback(0)).ok());
  ASSERT_TRUE(gate->WaitEntered());
  const uint64_t commits_before = ledger->commits();

  // Two writers both believe P1 does not exist; only the first wins.
  CommandRequest a = Request(RegisterPatientCommand("P1", "First"));
  a.expected_version = -1;
  CommandRequest b = Request(RegisterPatientCommand("P1", "Second"));
  b.expected_version = -1;
  CommandRequest c = Request(YearlyCoverage("P1", 0));
  c.expected_version = 0;
  CommandRequest d = Request(YearlyCoverage("P1", 1));
  d.expected_version = 0;  // stale: c already moved the stream to 1
  ASSERT_TRUE(ledger->Submit(a, results.Callback(1)).ok());
  ASSERT_TRUE(ledger->Submit(b, results.Callback(2)).ok());
  ASSERT_TRUE(ledger->Submit(c, results.Callback(3)).ok());
  ASSERT_TRUE(ledger->Submit(d, results.Callback(4)).ok());
  gate->Release();
  ASSERT_TRUE(results.WaitFor(5));

  EXPECT_TRUE(results.Get(1).ok());
  EXPECT_EQ(results.Get(2).status().code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(results.Get(3).ok());
  EXPECT_EQ(results.Get(3)->stream_version, 1u);
  EXPECT_EQ(results.Get(4).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ledger->commits() - commits_before, 2u);  // gate's batch, then the rest
  std::vector<EventRecord> p1 = ReadWholeStream(ledger->store(), kTenant, PatientStream("P1"));
  ASSERT_EQ(p1.size(), 2u);
  EXPECT_EQ(PayloadAs<rcl::v1::PatientRegistered>(p1[0]).family_name(), "First");
  ledger->Stop();
}

// --- (c) Idempotency -------------------------------------------------------------

TEST(IdempotencyTest, RetryWithSameIdAndPayloadReturnsTheOriginalResultForever) {
  ScratchDir dir;
  CommandResult original;
  CommandResult diagnoses;
  CommandResult charge;
  LogHead head;
  {
    auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
    ASSERT_NE(ledger, nullptr);
    original = ExecuteOk(*ledger, RegisterPatientCommand("P1"), "register-P1");
    EXPECT_EQ(original.command_id, "register-P1");
    ExecuteOk(*ledger, OpenEncounterCommand("E1", "P1"));
    diagnoses = ExecuteOk(*ledger, RecordDiagnosesCommand("E1", {"E11.9"}), "dx-E1");
    charge = ExecuteOk(*ledger, RecordChargeCommand("E1", 1, 12500), "charge-E1-1");
    ExecuteOk(*ledger, RecordChargeCommand("E1", 2, 8000));
    head = ledger->head();

    // Plain retry.
    absl::StatusOr<CommandResult> again =
        ledger->Execute(Request(RegisterPatientCommand("P1"), "register-P1"));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, original);
    // A retry after the stream moved on, still carrying the version the
    // client saw the first time, is the same command: not a conflict.
    CommandRequest with_version = Request(RegisterPatientCommand("P1"), "register-P1");
    with_version.expected_version = -1;
    again = ledger->Execute(with_version);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, original);
    // The same diagnosis spelled differently (lower case, no dot) normalizes
    // to the same command.
    again = ledger->Execute(Request(RecordDiagnosesCommand("E1", {"e119"}), "dx-E1"));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, diagnoses);
    EXPECT_EQ(ledger->head().position, head.position);
    EXPECT_EQ(ledger->head().hash, head.hash);
  }
  // Idempotency keys are permanent: they survive a restart.
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  absl::StatusOr<CommandResult> again =
      ledger->Execute(Request(RegisterPatientCommand("P1"), "register-P1"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, original);
  again = ledger->Execute(Request(RecordChargeCommand("E1", 1, 12500), "charge-E1-1"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, charge);
  // A different payload under a used id is refused, also after the restart.
  again = ledger->Execute(Request(RecordChargeCommand("E1", 3, 12500), "charge-E1-1"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  EXPECT_EQ(ledger->head().position, head.position);
  EXPECT_EQ(ledger->head().hash, head.hash);
  EXPECT_EQ(ReadLog(ledger->store()).size(), head.position);

  // Ids are per tenant: another tenant's "register-P1" is its own command.
  CommandResult other =
      ExecuteOk(*ledger, Request(RegisterPatientCommand("P1"), "register-P1", "clinic-2"));
  EXPECT_EQ(other.position, head.position + 1);
  EXPECT_NE(other.event_ids, original.event_ids);
  ledger->Stop();
}

TEST(IdempotencyTest, SameIdWithDifferentPayloadIsAlreadyExistsAndWritesNothing) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  CommandResult first = ExecuteOk(*ledger, RegisterPatientCommand("P1"), "cmd-1");
  const LogHead head = ledger->head();
  for (const rcl::v1::Command& other : {RegisterPatientCommand("P1", "Other"),
                                        RegisterPatientCommand("P2"), YearlyCoverage("P1", 0)}) {
    absl::StatusOr<CommandResult> r = ledger->Execute(Request(other, "cmd-1"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists) << r.status();
    EXPECT_EQ(ledger->head().position, head.position);
  }
  EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, PatientStream("P2")), -1);
  EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, PatientStream("P1")), 0);
  // The original is still what the id answers.
  absl::StatusOr<CommandResult> r = ledger->Execute(Request(RegisterPatientCommand("P1"), "cmd-1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, first);
  ledger->Stop();
}

TEST(IdempotencyTest, DuplicatesWithinOneBatch) {
  ScratchDir dir;
  Results results;
  auto gate = std::make_shared<Gate>();
  Ledger::Options options = LedgerOptions(dir.path());
  options.decide = Gate::Wrap(gate);
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(ledger->Submit(Request(RegisterPatientCommand("gate")), results.Callback(0)).ok());
  ASSERT_TRUE(gate->WaitEntered());
  const uint64_t commits_before = ledger->commits();

  // Queued together behind the gate, so decided in one batch.
  ASSERT_TRUE(
      ledger->Submit(Request(RegisterPatientCommand("P1"), "dup"), results.Callback(1)).ok());
  ASSERT_TRUE(
      ledger->Submit(Request(RegisterPatientCommand("P1"), "dup"), results.Callback(2)).ok());
  ASSERT_TRUE(
      ledger->Submit(Request(RegisterPatientCommand("P1", "Changed"), "dup"), results.Callback(3))
          .ok());
  ASSERT_TRUE(ledger->Submit(Request(RegisterPatientCommand("P2")), results.Callback(4)).ok());
  ASSERT_TRUE(
      ledger->Submit(Request(RegisterPatientCommand("P3", "Other"), "dup"), results.Callback(5))
          .ok());
  ASSERT_TRUE(
      ledger->Submit(Request(RegisterPatientCommand("P1"), "dup"), results.Callback(6)).ok());
  // Another tenant's "dup" is unrelated.
  ASSERT_TRUE(
      ledger->Submit(Request(RegisterPatientCommand("P1"), "dup", "clinic-2"), results.Callback(7))
          .ok());
  gate->Release();
  ASSERT_TRUE(results.WaitFor(8));

  ASSERT_TRUE(results.Get(1).ok()) << results.Get(1).status();
  const CommandResult first = *results.Get(1);
  EXPECT_EQ(first.position, 2u);
  for (size_t i : {2, 6}) {
    ASSERT_TRUE(results.Get(i).ok()) << i << ": " << results.Get(i).status();
    EXPECT_EQ(*results.Get(i), first) << i;
  }
  for (size_t i : {3, 5})
    EXPECT_EQ(results.Get(i).status().code(), absl::StatusCode::kAlreadyExists) << i;
  ASSERT_TRUE(results.Get(4).ok());
  EXPECT_EQ(results.Get(4)->position, 3u);
  ASSERT_TRUE(results.Get(7).ok());
  EXPECT_EQ(results.Get(7)->position, 4u);
  EXPECT_EQ(ledger->commits() - commits_before, 2u);  // gate's batch, then the rest

  // Exactly one P1 event in clinic-1, no P3 at all.
  std::vector<EventRecord> log = ReadLog(ledger->store());
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[1].stream, PatientStream("P1"));
  EXPECT_EQ(log[1].command_id, "dup");
  EXPECT_EQ(log[1].event_id, first.event_ids.at(0));
  EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, PatientStream("P1")), 0);
  EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, PatientStream("P3")), -1);
  ledger.reset();

  // And the batch-local dedupe was persisted like any other.
  ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  absl::StatusOr<CommandResult> r = ledger->Execute(Request(RegisterPatientCommand("P1"), "dup"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, first);
  ledger->Stop();
}

TEST(IdempotencyTest, ARejectedCommandDoesNotConsumeItsId) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  // Refused by a rule: P1 is not registered yet.
  absl::StatusOr<CommandResult> r =
      ledger->Execute(Request(OpenEncounterCommand("E1", "P1"), "open-E1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  absl::StatusOr<std::optional<std::string>> stored =
      ledger->store().GetCommand(kTenant, "open-E1");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());
  // Once the rule is satisfied, the retry under the same id goes through.
  ExecuteOk(*ledger, RegisterPatientCommand("P1"));
  CommandResult opened = ExecuteOk(*ledger, OpenEncounterCommand("E1", "P1"), "open-E1");
  EXPECT_EQ(opened.position, 2u);
  ledger->Stop();
}

// --- (d) Multi-stream atomicity -----------------------------------------------

// What the planning decider appends for one RegisterPatient command, by
// patient id. Every other command goes to the real rules.
struct PlannedEvent {
  std::string stream;
  std::string type = "PatientRegistered";
  size_t payload_size = 0;  // 0: a real PatientRegistered; else that many bytes
};

std::string PatientRegisteredPayloadOfSize(const std::string& patient_id, size_t size) {
  // family_name grows the message one byte at a time except where its
  // length prefix grows; search down from `size` for an exact fit.
  for (size_t name = size; name > 0; --name) {
    rcl::v1::PatientRegistered e;
    e.set_patient_id(patient_id);
    e.set_family_name(std::string(name, 'x'));
    if (e.ByteSizeLong() == size) return e.SerializeAsString();
  }
  ADD_FAILURE() << "no PatientRegistered payload of exactly " << size << " bytes";
  return "";
}

Decider PlanningDecider(std::map<std::string, std::vector<PlannedEvent>> plans) {
  return [plans = std::move(plans)](const rcl::v1::Command& command,
                                    StateView& view) -> absl::StatusOr<Decision> {
    if (!command.has_register_patient()) return Decide(command, view);
    auto it = plans.find(command.register_patient().patient_id());
    if (it == plans.end()) return Decide(command, view);
    Decision d;
    for (const PlannedEvent& p : it->second) {
      NewEvent ne;
      ne.stream = p.stream;
      ne.type = p.type;
      if (p.payload_size == 0) {
        rcl::v1::PatientRegistered e;
        e.set_patient_id(p.stream);
        ne.payload = e.SerializeAsString();
      } else {
        ne.payload = PatientRegisteredPayloadOfSize(p.stream, p.payload_size);
      }
      d.events.push_back(std::move(ne));
    }
    return d;
  };
}

TEST(AtomicityTest, OneCommandAcrossStreamsCommitsTogetherWithConsecutivePositions) {
  ScratchDir dir;
  Ledger::Options options = LedgerOptions(dir.path());
  options.decide = PlanningDecider({
      {"A",
       {{PatientStream("A")}, {PatientStream("B")}, {PatientStream("C")}, {PatientStream("A")}}},
  });
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  ExecuteOk(*ledger, RegisterPatientCommand("Z"));  // ordinary command first
  const uint64_t commits_before = ledger->commits();
  std::vector<uint64_t> seen_heads;
  absl::Mutex mu;
  ledger->AddCommitListener([&](uint64_t position) {
    absl::MutexLock lock(&mu);
    seen_heads.push_back(position);
  });

  CommandResult r = ExecuteOk(*ledger, RegisterPatientCommand("A"), "multi-1");
  EXPECT_EQ(ledger->commits() - commits_before, 1u);
  {
    absl::MutexLock lock(&mu);
    // Readers never observe a head in the middle of the command.
    EXPECT_EQ(seen_heads, std::vector<uint64_t>{5});
  }
  EXPECT_EQ(r.position, 5u);
  EXPECT_EQ(r.stream, PatientStream("A"));
  EXPECT_EQ(r.stream_version, 1u);  // A's last event of the command
  ASSERT_EQ(r.event_ids.size(), 4u);

  std::vector<EventRecord> log = ReadLog(ledger->store());
  ASSERT_EQ(log.size(), 5u);
  const std::vector<std::pair<std::string, uint64_t>> expected = {{PatientStream("A"), 0},
                                                                  {PatientStream("B"), 0},
                                                                  {PatientStream("C"), 0},
                                                                  {PatientStream("A"), 1}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const EventRecord& e = log[i + 1];
    SCOPED_TRACE(absl::StrCat("event ", i));
    EXPECT_EQ(e.position, i + 2);
    EXPECT_EQ(e.stream, expected[i].first);
    EXPECT_EQ(e.version, expected[i].second);
    EXPECT_EQ(e.event_id, r.event_ids[i]);
    EXPECT_EQ(e.command_id, "multi-1");
    EXPECT_EQ(e.recorded_at_us, log[1].recorded_at_us);
    EXPECT_EQ(e.prev_hash, log[i].hash);
  }
  ledger->Stop();
}

// Submits one RegisterPatient per (patient id, command id), answered into
// `results` from index 1 on (index 0 is the gate's command).
void SubmitRegistrations(Ledger& ledger,
                         const std::vector<std::pair<std::string, std::string>>& commands,
                         Results& results) {
  for (size_t i = 0; i < commands.size(); ++i) {
    ASSERT_TRUE(ledger
                    .Submit(Request(RegisterPatientCommand(commands[i].first), commands[i].second),
                            results.Callback(i + 1))
                    .ok());
  }
}

TEST(AtomicityTest, ACommandFailingMidwayWritesNothingAndItsBatchmatesCommit) {
  ScratchDir dir;
  Results results;
  auto gate = std::make_shared<Gate>();
  Ledger::Options options = LedgerOptions(dir.path());
  options.decide = Gate::Wrap(
      gate,
      PlanningDecider({
          // Third event over the payload limit.
          {"too-big",
           {{PatientStream("X1")},
            {PatientStream("X2")},
            {PatientStream("X3"), "PatientRegistered", kPayloadSizeMax + 1}}},
          // Touches X1 and X2 again: must see them as never written.
          {"retry", {{PatientStream("X1")}, {PatientStream("X2")}}},
          // Third event of a type the ledger does not know.
          {"unknown-type",
           {{PatientStream("X1")}, {PatientStream("Y1")}, {PatientStream("Y2"), "NoSuchEvent"}}},
          // Third event of an encounter type on a patient stream.
          {"wrong-kind",
           {{PatientStream("Y1")},
            {PatientStream("Y3")},
            {PatientStream("Y1"), "EncounterOpened"}}},
          // Exactly at the payload limit is fine.
          {"at-limit", {{PatientStream("Y4"), "PatientRegistered", kPayloadSizeMax}}},
      }));
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(ledger->Submit(Request(RegisterPatientCommand("gate")), results.Callback(0)).ok());
  ASSERT_TRUE(gate->WaitEntered());
  const uint64_t commits_before = ledger->commits();

  const std::vector<std::pair<std::string, std::string>> commands = {
      {"before", "c-before"},        {"too-big", "c-too-big"},  {"retry", "c-retry"},
      {"unknown-type", "c-unknown"}, {"wrong-kind", "c-wrong"}, {"at-limit", "c-limit"},
      {"after", "c-after"}};
  ASSERT_NO_FATAL_FAILURE(SubmitRegistrations(*ledger, commands, results));
  gate->Release();
  ASSERT_TRUE(results.WaitFor(commands.size() + 1));
  EXPECT_EQ(ledger->commits() - commits_before, 2u);  // gate's batch, then the rest

  auto result = [&](size_t i) { return results.Get(i + 1); };
  ASSERT_TRUE(result(0).ok()) << result(0).status();
  EXPECT_EQ(result(0)->position, 2u);
  EXPECT_EQ(result(1).status().code(), absl::StatusCode::kFailedPrecondition) << result(1).status();
  EXPECT_THAT(std::string(result(1).status().message()), HasSubstr("64 KiB"));
  ASSERT_TRUE(result(2).ok()) << result(2).status();
  EXPECT_EQ(result(2)->position, 4u);
  EXPECT_FALSE(result(3).ok());
  EXPECT_THAT(std::string(result(3).status().message()), HasSubstr("NoSuchEvent"));
  EXPECT_FALSE(result(4).ok());
  ASSERT_TRUE(result(5).ok()) << result(5).status();
  EXPECT_EQ(result(5)->position, 5u);
  ASSERT_TRUE(result(6).ok()) << result(6).status();
  EXPECT_EQ(result(6)->position, 6u);

  auto check = [&](Ledger& l) {
    const EventStore& store = l.store();
    EXPECT_EQ(l.head().position, 6u);
    std::vector<EventRecord> log = ReadLog(store);
    ASSERT_EQ(log.size(), 6u);
    const std::vector<std::string> streams = {PatientStream("gate"), PatientStream("before"),
                                              PatientStream("X1"),   PatientStream("X2"),
                                              PatientStream("Y4"),   PatientStream("after")};
    for (size_t i = 0; i < log.size(); ++i) {
      EXPECT_EQ(log[i].position, i + 1);
      EXPECT_EQ(log[i].stream, streams[i]);
      EXPECT_EQ(log[i].version, 0u) << streams[i];
    }
    EXPECT_EQ(log[2].command_id, "c-retry");
    EXPECT_EQ(log[4].payload.size(), kPayloadSizeMax);
    for (const char* untouched :
         {"X3", "Y1", "Y2", "Y3", "too-big", "unknown-type", "wrong-kind"}) {
      EXPECT_EQ(*store.StreamLastVersion(kTenant, PatientStream(untouched)), -1) << untouched;
    }
    for (const char* id : {"c-too-big", "c-unknown", "c-wrong"}) {
      absl::StatusOr<std::optional<std::string>> stored = store.GetCommand(kTenant, id);
      ASSERT_TRUE(stored.ok());
      EXPECT_FALSE(stored->has_value()) << id << " left a command record";
    }
    absl::StatusOr<VerifyResult> v = store.Verify(1, 0);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v->ok) << v->error;
  };
  check(*ledger);
  // The next batch continues from the committed state: X1 is at version 0.
  options.decide = PlanningDecider({{"again", {{PatientStream("X1")}}}});
  ledger.reset();
  ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  check(*ledger);
  CommandResult again = ExecuteOk(*ledger, RegisterPatientCommand("again"));
  EXPECT_EQ(again.position, 7u);
  EXPECT_EQ(ReadWholeStream(ledger->store(), kTenant, PatientStream("X1")).size(), 2u);
  ledger->Stop();
}

// A command refused after folding part of its events (here: S1 folded, then
// an unknown type) makes the sequencer roll its batch back and decide it
// again without it. The batchmates decided twice must come out as once: the
// command id recorded before the refusal is not answered from the rolled-back
// pass, and S1's versions continue from the first pass's survivors only.
TEST(AtomicityTest, ABatchDecidedAgainAfterARefusalAnswersEachCommandOnce) {
  ScratchDir dir;
  Results results;
  auto gate = std::make_shared<Gate>();
  Ledger::Options options = LedgerOptions(dir.path());
  options.decide = Gate::Wrap(
      gate, PlanningDecider({
                {"first", {{PatientStream("S1")}}},
                {"broken", {{PatientStream("S1")}, {PatientStream("S2"), "NoSuchEvent"}}},
                {"second", {{PatientStream("S1")}}},
            }));
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(ledger->Submit(Request(RegisterPatientCommand("gate")), results.Callback(0)).ok());
  ASSERT_TRUE(gate->WaitEntered());
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"first", "c-first"}, {"broken", "c-broken"}, {"first", "c-first"}, {"second", "c-second"}};
  ASSERT_NO_FATAL_FAILURE(SubmitRegistrations(*ledger, commands, results));
  gate->Release();
  ASSERT_TRUE(results.WaitFor(commands.size() + 1));
  auto result = [&](size_t i) { return results.Get(i + 1); };
  ASSERT_TRUE(result(0).ok()) << result(0).status();
  EXPECT_EQ(result(0)->position, 2u);
  EXPECT_FALSE(result(1).ok());
  EXPECT_THAT(std::string(result(1).status().message()), HasSubstr("NoSuchEvent"));
  // The same command id again: the first one's result, as written.
  ASSERT_TRUE(result(2).ok()) << result(2).status();
  EXPECT_EQ(result(2)->position, 2u);
  EXPECT_EQ(result(2)->event_ids, result(0)->event_ids);
  ASSERT_TRUE(result(3).ok()) << result(3).status();
  EXPECT_EQ(result(3)->position, 3u);

  std::vector<EventRecord> log = ReadLog(ledger->store());
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1].event_id, result(0)->event_ids.at(0));
  EXPECT_EQ(log[1].command_id, "c-first");
  EXPECT_EQ(log[1].stream, PatientStream("S1"));
  EXPECT_EQ(log[1].version, 0u);
  EXPECT_EQ(log[2].command_id, "c-second");
  EXPECT_EQ(log[2].stream, PatientStream("S1"));
  EXPECT_EQ(log[2].version, 1u);
  EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, PatientStream("S2")), -1);
  absl::StatusOr<std::optional<std::string>> broken =
      ledger->store().GetCommand(kTenant, "c-broken");
  ASSERT_TRUE(broken.ok());
  EXPECT_FALSE(broken->has_value());
  absl::StatusOr<VerifyResult> v = ledger->store().Verify(1, 0);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok) << v->error;
  ledger->Stop();
}

TEST(AtomicityTest, ACommandOverTheEventLimitWritesNothing) {
  ScratchDir dir;
  Ledger::Options options = LedgerOptions(dir.path(), /*sync_writes=*/false);
  const Decider at_limit = RepeatDecider(static_cast<int>(kEventsPerCommandMax));
  const Decider over_limit = RepeatDecider(static_cast<int>(kEventsPerCommandMax) + 1);
  options.decide = [&](const rcl::v1::Command& command, StateView& view) {
    return command.register_patient().patient_id() == "over" ? over_limit(command, view)
                                                             : at_limit(command, view);
  };
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  absl::StatusOr<CommandResult> over = ledger->Execute(Request(RegisterPatientCommand("over")));
  EXPECT_EQ(over.status().code(), absl::StatusCode::kFailedPrecondition) << over.status();
  EXPECT_EQ(ledger->head().position, 0u);
  EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, PatientStream("over")), -1);
  CommandResult at = ExecuteOk(*ledger, RegisterPatientCommand("at"));
  EXPECT_EQ(at.position, kEventsPerCommandMax);
  EXPECT_EQ(at.event_ids.size(), kEventsPerCommandMax);
  ledger->Stop();
}

// --- (e) Restart recovery -------------------------------------------------------

int64_t MicrosAt(int year, int month, int day) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone()));
}

TEST(RecoveryTest, ReopenedLedgerContinuesTheLogAndRemembersBusinessState) {
  ScratchDir dir;
  Ledger::Options options = LedgerOptions(dir.path());
  options.clock_us = [] { return MicrosAt(2030, 1, 1); };
  LogHead before;
  uint64_t encounter_version = 0;
  {
    auto ledger = OpenLedgerOrDie(options);
    ASSERT_NE(ledger, nullptr);
    ExecuteOk(*ledger, RegisterPatientCommand("P1"));
    ExecuteOk(*ledger, AddCoverageCommand("P1", "C1", 1, "2024-01-01"));
    ExecuteOk(*ledger, OpenEncounterCommand("E1", "P1"));
    ExecuteOk(*ledger, RecordDiagnosesCommand("E1", {"E11.9", "I10"}));
    ExecuteOk(*ledger, RecordChargeCommand("E1", 1, 12500));
    encounter_version = ExecuteOk(*ledger, RecordChargeCommand("E1", 2, 4000, {2})).stream_version;
    before = ledger->head();
    EXPECT_EQ(before.position, 6u);
    ledger->Stop();
  }
  // The clock is now earlier than the last event: recorded_at_us must still
  // not go backwards.
  options.clock_us = [] { return MicrosAt(2029, 6, 1); };
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->head().position, before.position);
  EXPECT_EQ(ledger->head().hash, before.hash);
  EXPECT_EQ(ledger->head().recorded_at_us, before.recorded_at_us);

  // A charge on the encounter opened before the restart: next version, next
  // position, chained onto the old head.
  CommandResult line3 = ExecuteOk(*ledger, RecordChargeCommand("E1", 3, 2500, {1, 2}));
  EXPECT_EQ(line3.position, before.position + 1);
  EXPECT_EQ(line3.stream_version, encounter_version + 1);
  absl::StatusOr<EventRecord> e = ledger->store().ReadEvent(line3.position);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->prev_hash, before.hash);
  EXPECT_GE(e->recorded_at_us, before.recorded_at_us);

  // Business state came back too.
  struct Rejected {
    std::string name;
    rcl::v1::Command command;
    std::string message;
  };
  for (const Rejected& c : std::vector<Rejected>{
           {"duplicate line", RecordChargeCommand("E1", 1, 100), "line 1 already exists"},
           {"pointer past the diagnoses", RecordChargeCommand("E1", 4, 100, {3}),
            "diagnosis pointer 3"},
           {"patient registered twice", RegisterPatientCommand("P1"), "already registered"},
           {"overlapping coverage", AddCoverageCommand("P1", "C2", 1, "2025-01-01"),
            "overlaps coverage C1"},
           {"encounter opened twice", OpenEncounterCommand("E1", "P1"), "already exists"},
       }) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<CommandResult> r = ledger->Execute(Request(c.command));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message));
  }
  EXPECT_EQ(ledger->head().position, before.position + 1);
  absl::StatusOr<VerifyResult> v = ledger->store().Verify(1, 0);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok) << v->error;
  EXPECT_EQ(v->events_checked, before.position + 1);
  EXPECT_EQ(v->hash_at_to, ledger->head().hash);
  ledger->Stop();
}

TEST(RecoveryTest, RulesHoldWhenStreamStatesAreEvictedFromTheCache) {
  ScratchDir dir;
  Ledger::Options options = LedgerOptions(dir.path(), /*sync_writes=*/false);
  options.state_cache_streams_max = 1;
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  ExecuteOk(*ledger, RegisterPatientCommand("P1"));
  for (const char* enc : {"E1", "E2", "E3"}) {
    ExecuteOk(*ledger, OpenEncounterCommand(enc, "P1"));
    ExecuteOk(*ledger, RecordDiagnosesCommand(enc, {"J44.9"}));
  }
  // Interleave the encounters so every command loads its stream afresh.
  for (int line = 1; line <= 5; ++line) {
    for (const char* enc : {"E1", "E2", "E3"}) {
      CommandResult r = ExecuteOk(*ledger, RecordChargeCommand(enc, line, 1000 * line));
      EXPECT_EQ(r.stream_version, static_cast<uint64_t>(line + 1));
    }
  }
  for (const char* enc : {"E1", "E2", "E3"}) {
    absl::StatusOr<CommandResult> r = ledger->Execute(Request(RecordChargeCommand(enc, 3, 1)));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << enc;
  }
  ledger->Stop();
}

// The sequencer decides batch N+1 before batch N is durable. A stream state
// that only a not-yet-durable batch has changed must not be lost when the
// bounded state cache evicts it: the store does not have that batch yet, so a
// reload from the store would decide on a stale state (here: "P1 does not
// exist", again and again).
TEST(CacheEvictionTest, StatesOfBatchesNotYetDurableAreNotLostToEviction) {
  constexpr size_t kRepeats = 60;             // RegisterPatient P1, each time
  constexpr size_t kCommands = 2 * kRepeats;  // each followed by another patient's
  ScratchDir dir;
  Results results;
  auto gate = std::make_shared<Gate>();          // holds the sequencer: commands queue up
  auto writer = std::make_shared<WriterGate>();  // holds the writer: batches stay not durable
  absl::Mutex mu;
  size_t decided = 0;
  Ledger::Options options = LedgerOptions(dir.path(), /*sync_writes=*/false);
  options.state_cache_streams_max = 1;
  options.batch_commands_max = 2;                // [P1, X<i>] per batch
  options.batches_in_flight_max = kRepeats + 4;  // all of them fit while the writer is held
  options.before_write = WriterGate::Hook(writer);
  options.decide = Gate::Wrap(gate, [&](const rcl::v1::Command& command, StateView& view) {
    absl::StatusOr<Decision> d = Decide(command, view);
    if (command.register_patient().patient_id() != "gate") {
      absl::MutexLock lock(&mu);
      ++decided;
    }
    return d;
  });
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);

  ASSERT_TRUE(ledger->Submit(Request(RegisterPatientCommand("gate")), results.Callback(0)).ok());
  ASSERT_TRUE(gate->WaitEntered());
  for (size_t i = 0; i < kRepeats; ++i) {
    ASSERT_TRUE(
        ledger->Submit(Request(RegisterPatientCommand("P1")), results.Callback(1 + 2 * i)).ok());
    ASSERT_TRUE(ledger
                    ->Submit(Request(RegisterPatientCommand(absl::StrCat("X", i))),
                             results.Callback(2 + 2 * i))
                    .ok());
  }
  gate->Release();
  ASSERT_TRUE(writer->WaitEntered());
  {
    // Every command is decided while nothing after the gate's batch is durable.
    absl::MutexLock lock(&mu);
    auto all_decided = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return decided == kCommands; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all_decided), absl::Seconds(30)));
  }
  EXPECT_EQ(ledger->head().position, 0u);
  writer->Release();
  ASSERT_TRUE(results.WaitFor(kCommands + 1));

  size_t accepted = 0;
  for (size_t i = 0; i < kRepeats; ++i) {
    absl::StatusOr<CommandResult> p1 = results.Get(1 + 2 * i);
    if (p1.ok()) {
      ++accepted;
      EXPECT_EQ(i, 0u) << "RegisterPatient P1 accepted again (repeat " << i << ")";
    } else {
      EXPECT_EQ(p1.status().code(), absl::StatusCode::kFailedPrecondition) << p1.status();
      EXPECT_THAT(std::string(p1.status().message()), HasSubstr("already registered"));
    }
    EXPECT_TRUE(results.Get(2 + 2 * i).ok()) << i << ": " << results.Get(2 + 2 * i).status();
  }
  EXPECT_EQ(accepted, 1u) << "of " << kRepeats << " RegisterPatient P1";

  const std::vector<EventRecord> p1 =
      ReadWholeStream(ledger->store(), kTenant, PatientStream("P1"));
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_EQ(p1[0].version, 0u);
  size_t p1_events = 0;
  for (const EventRecord& e : ReadLog(ledger->store()))
    p1_events += e.stream == PatientStream("P1");
  EXPECT_EQ(p1_events, 1u) << "events of " << PatientStream("P1") << " in the log";
  EXPECT_EQ(ledger->head().position, 1 + kRepeats + 1);  // gate, the X's, one P1
  absl::StatusOr<VerifyResult> v = ledger->store().Verify(1, 0);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok) << "position " << v->first_bad_position << ": " << v->error;
  ledger->Stop();
}

TEST(RecoveryTest, ASecondLedgerCannotOpenALiveDataDirectory) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  ExecuteOk(*ledger, RegisterPatientCommand("P1"));
  absl::StatusOr<std::unique_ptr<Ledger>> second = Ledger::Open(LedgerOptions(dir.path()));
  EXPECT_FALSE(second.ok()) << "two writers on one log would fork the hash chain";
  ledger->Stop();
}

// --- (f) Hash chain ----------------------------------------------------------------

class HashChainTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kEvents = 10;
  static constexpr uint64_t kTampered = 5;

  void SetUp() override {
    ledger_ = OpenLedgerOrDie(LedgerOptions(dir_.path(), /*sync_writes=*/false));
    ASSERT_NE(ledger_, nullptr);
    for (uint64_t i = 1; i <= kEvents; ++i)
      ExecuteOk(*ledger_, RegisterPatientCommand(absl::StrCat("P", i)));
    ASSERT_EQ(ledger_->head().position, kEvents);
    db_ = ledger_->store().raw_db();
    log_ = ledger_->store().log_family();
    ASSERT_TRUE(db_->Get(rocksdb::ReadOptions(), log_, PositionKey(kTampered), &original_).ok());
  }
  void TearDown() override {
    if (ledger_ != nullptr) ledger_->Stop();
  }

  VerifyResult VerifyAll() {
    absl::StatusOr<VerifyResult> v = ledger_->store().Verify(1, 0);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.value_or(VerifyResult{});
  }
  EventRecord Original() {
    absl::StatusOr<EventRecord> e = DecodeRecord(original_);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.value_or(EventRecord{});
  }
  void Overwrite(uint64_t position, const std::string& bytes) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), log_, PositionKey(position), bytes).ok());
  }
  void Restore() {
    Overwrite(kTampered, original_);
    VerifyResult v = VerifyAll();
    ASSERT_TRUE(v.ok) << "restoring the original bytes should verify again: " << v.error;
  }

  ScratchDir dir_;
  std::unique_ptr<Ledger> ledger_;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  std::string original_;
};

TEST_F(HashChainTest, UntouchedLogVerifies) {
  VerifyResult v = VerifyAll();
  EXPECT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.from_position, 1u);
  EXPECT_EQ(v.to_position, kEvents);
  EXPECT_EQ(v.events_checked, kEvents);
  EXPECT_EQ(v.hash_at_to, ledger_->head().hash);
  // A sub-range verifies from the event before it.
  absl::StatusOr<VerifyResult> part = ledger_->store().Verify(4, 7);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_TRUE(part->ok) << part->error;
  EXPECT_EQ(part->events_checked, 4u);
  EXPECT_EQ(part->hash_at_to, ledger_->store().ReadEvent(7)->hash);
  // A range past the head is clamped to it.
  part = ledger_->store().Verify(1, 1000);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->to_position, kEvents);
}

TEST_F(HashChainTest, EditedPayloadWithTheOldHashIsCaughtAtThatEvent) {
  EventRecord e = Original();
  ASSERT_FALSE(e.payload.empty());
  e.payload[e.payload.size() - 1] ^= 0x01;  // e.g. a name or an amount changed
  Overwrite(kTampered, EncodeRecord(e));
  VerifyResult v = VerifyAll();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, kTampered);
  EXPECT_THAT(v.error, HasSubstr("hash"));
  Restore();
}

TEST_F(HashChainTest, EditedEnvelopeWithTheOldHashIsCaughtAtThatEvent) {
  EventRecord e = Original();
  e.actor = "someone-else";
  Overwrite(kTampered, EncodeRecord(e));
  VerifyResult v = VerifyAll();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, kTampered);
  Restore();
}

TEST_F(HashChainTest, EditRehashedConsistentlyIsCaughtAtTheNextEvent) {
  EventRecord e = Original();
  e.payload[e.payload.size() - 1] ^= 0x01;
  e.hash = ChainHash(e.prev_hash, CanonicalBytes(e));
  Overwrite(kTampered, EncodeRecord(e));
  VerifyResult v = VerifyAll();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, kTampered + 1);
  EXPECT_THAT(v.error, HasSubstr("prev_hash"));
  Restore();
}

TEST_F(HashChainTest, DeletedEventIsReportedAsAGap) {
  ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), log_, PositionKey(kTampered)).ok());
  VerifyResult v = VerifyAll();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, kTampered);
  EXPECT_THAT(v.error, HasSubstr("missing"));
  // A range starting right after the gap cannot anchor on the missing event.
  absl::StatusOr<VerifyResult> part = ledger_->store().Verify(kTampered + 1, 0);
  ASSERT_TRUE(part.ok());
  EXPECT_FALSE(part->ok);
  EXPECT_EQ(part->first_bad_position, kTampered);
  Restore();
}

TEST_F(HashChainTest, RecordMovedToAnotherPositionIsCaught) {
  EventRecord e = Original();
  e.position = kTampered + 1;
  e.hash = ChainHash(e.prev_hash, CanonicalBytes(e));
  Overwrite(kTampered, EncodeRecord(e));
  VerifyResult v = VerifyAll();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, kTampered);
  Restore();
}

TEST_F(HashChainTest, UndecodableRecordIsCaught) {
  Overwrite(kTampered, original_.substr(0, original_.size() / 2));
  VerifyResult v = VerifyAll();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, kTampered);
  Restore();
}

// --- (f2) Stream index ----------------------------------------------------------

// Verify checks the stream index against the log: each event reachable from
// its own entry, each entry naming an event of its stream and version, and
// each stream's versions gapless from 0. The index is not covered by the hash
// chain, so damage to it is found only this way.
class StreamIndexVerifyTest : public ::testing::Test {
 protected:
  // Positions: 1 P1 v0, 2 P2 v0, 3 P1 v1, 4 P1 v2, 5 P2 v1, 6 P3 v0.
  void SetUp() override {
    ledger_ = OpenLedgerOrDie(LedgerOptions(dir_.path(), /*sync_writes=*/false));
    ASSERT_NE(ledger_, nullptr);
    ExecuteOk(*ledger_, RegisterPatientCommand("P1"));
    ExecuteOk(*ledger_, RegisterPatientCommand("P2"));
    ExecuteOk(*ledger_, YearlyCoverage("P1", 0));
    ExecuteOk(*ledger_, YearlyCoverage("P1", 1));
    ExecuteOk(*ledger_, YearlyCoverage("P2", 0));
    ExecuteOk(*ledger_, RegisterPatientCommand("P3"));
    ASSERT_EQ(ledger_->head().position, kHead);
    ledger_->Stop();  // nothing more is written but what the test writes
    db_ = ledger_->mutable_store_for_testing()->raw_db();
    streams_ = ledger_->store().stream_family();
  }

  VerifyResult VerifyRange(uint64_t from, uint64_t to) {
    absl::StatusOr<VerifyResult> v = ledger_->store().Verify(from, to);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.value_or(VerifyResult{});
  }
  void PutEntry(const std::string& stream, uint64_t version, uint64_t position) {
    std::string value;
    PutBigEndian64(&value, position);
    ASSERT_TRUE(
        db_->Put(rocksdb::WriteOptions(), streams_, StreamIndexKey(kTenant, stream, version), value)
            .ok());
  }
  void DeleteEntry(const std::string& stream, uint64_t version) {
    ASSERT_TRUE(
        db_->Delete(rocksdb::WriteOptions(), streams_, StreamIndexKey(kTenant, stream, version))
            .ok());
  }

  static constexpr uint64_t kHead = 6;
  ScratchDir dir_;
  std::unique_ptr<Ledger> ledger_;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
};

TEST_F(StreamIndexVerifyTest, UntouchedIndexVerifies) {
  VerifyResult v = VerifyRange(1, 0);
  EXPECT_TRUE(v.ok) << v.error;
  EXPECT_EQ(v.events_checked, kHead);
  for (auto [from, to] :
       std::vector<std::pair<uint64_t, uint64_t>>{{1, 1}, {2, 4}, {3, 6}, {6, 6}}) {
    v = VerifyRange(from, to);
    EXPECT_TRUE(v.ok) << from << ".." << to << ": " << v.error;
  }
}

TEST_F(StreamIndexVerifyTest, DeletedEntryLeavesItsEventUnreachable) {
  DeleteEntry(PatientStream("P1"), 1);
  VerifyResult v = VerifyRange(1, 0);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, 3u);
  EXPECT_THAT(v.error, HasSubstr("clinic-1/patient-P1 version 1"));
  EXPECT_THAT(v.error, HasSubstr("not reachable"));
  // Each entry is judged by the range holding the event it names: the next
  // entry of P1 (version 2, position 4) now follows a gap.
  EXPECT_TRUE(VerifyRange(1, 2).ok);
  EXPECT_EQ(VerifyRange(3, 5).first_bad_position, 3u);
  v = VerifyRange(4, 0);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, 4u);
  EXPECT_THAT(v.error, HasSubstr("stream clinic-1/patient-P1 has no index entry for version 1"));
  EXPECT_TRUE(VerifyRange(5, 0).ok);
  PutEntry(PatientStream("P1"), 1, 3);
  v = VerifyRange(1, 0);
  EXPECT_TRUE(v.ok) << "restoring the entry should verify again: " << v.error;
}

TEST_F(StreamIndexVerifyTest, EntryPointingAtAnotherStreamsEventIsCaught) {
  PutEntry(PatientStream("P1"), 1, 5);  // P2's version 1
  VerifyResult v = VerifyRange(1, 0);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, 3u);  // P1 version 1 no longer reachable
  EXPECT_THAT(v.error, HasSubstr("its entry points at position 5"));
  // The range holding position 5 sees the entry naming the wrong event.
  v = VerifyRange(5, 0);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, 5u);
  EXPECT_THAT(v.error, HasSubstr("clinic-1/patient-P1 version 1 points at position 5, which is "
                                 "clinic-1/patient-P2 version 1"));
}

// What the sequencer did before states of batches not yet durable were
// pinned: a second event at a stream's version 0, with the index entry
// overwritten to name it. The hash chain is intact; the index check is what
// finds it.
TEST_F(StreamIndexVerifyTest, SecondEventAtTheSameVersionIsCaught) {
  absl::StatusOr<EventRecord> first = ledger_->store().ReadEvent(1);
  ASSERT_TRUE(first.ok()) << first.status();
  EventRecord again = *first;
  again.position = kHead + 1;
  again.event_id = "00000000-0000-4000-8000-000000000007";
  again.prev_hash = ledger_->store().ReadEvent(kHead)->hash;
  again.hash = ChainHash(again.prev_hash, CanonicalBytes(again));
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), ledger_->store().log_family(),
                       PositionKey(kHead + 1), EncodeRecord(again))
                  .ok());
  PutEntry(PatientStream("P1"), 0, kHead + 1);
  VerifyResult v = VerifyRange(1, 0);
  EXPECT_EQ(v.events_checked, kHead + 1);  // the chain itself is sound
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, 1u);
  EXPECT_THAT(
      v.error,
      HasSubstr("event 1 (clinic-1/patient-P1 version 0) is not reachable from the stream index"));
  EXPECT_THAT(v.error, HasSubstr("points at position 7"));
}

TEST_F(StreamIndexVerifyTest, GapInAStreamsVersionsIsCaught) {
  PutEntry(PatientStream("P1"), 4, 6);  // version 3 missing; position 6 is P3's
  VerifyResult v = VerifyRange(1, 0);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, 6u);
  EXPECT_THAT(v.error, HasSubstr("stream clinic-1/patient-P1 has no index entry for version 3"));
  EXPECT_TRUE(VerifyRange(1, 5).ok);
}

TEST_F(StreamIndexVerifyTest, EntriesOfAStreamWithoutEventsAreCaught) {
  PutEntry(PatientStream("GHOST"), 0, 99);  // past the head
  VerifyResult v = VerifyRange(1, 0);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, kHead + 1);  // reported by the range that reaches the head
  EXPECT_THAT(v.error, HasSubstr("clinic-1/patient-GHOST version 0 points at position 99"));
  EXPECT_TRUE(VerifyRange(1, 3).ok);
  EXPECT_FALSE(VerifyRange(4, 0).ok);

  PutEntry(PatientStream("GHOST"), 0, 2);  // P2's first event
  v = VerifyRange(1, 0);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, 2u);
  EXPECT_THAT(
      v.error,
      HasSubstr("patient-GHOST version 0 points at position 2, which is clinic-1/patient-P2"));
}

TEST_F(StreamIndexVerifyTest, MalformedEntryIsCaught) {
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), streams_, "not a stream key", "xyz").ok());
  VerifyResult v = VerifyRange(1, 0);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_position, kHead + 1);
  EXPECT_THAT(v.error, HasSubstr("malformed stream index entry"));
}

// --- (g) Queue bound -------------------------------------------------------------

TEST(BackpressureTest, SubmitsBeyondTheQueueBoundAreRefusedAndAcceptedOnesComplete) {
  ScratchDir dir;
  Results results;
  auto gate = std::make_shared<Gate>();
  Ledger::Options options = LedgerOptions(dir.path());
  options.queue_max = 4;
  options.decide = Gate::Wrap(gate);
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);

  ASSERT_TRUE(ledger->Submit(Request(RegisterPatientCommand("gate")), results.Callback(0)).ok());
  ASSERT_TRUE(gate->WaitEntered());  // the writer holds it; the queue is empty
  for (size_t i = 1; i <= 4; ++i) {
    absl::Status s =
        ledger->Submit(Request(RegisterPatientCommand(absl::StrCat("Q", i))), results.Callback(i));
    ASSERT_TRUE(s.ok()) << "submit " << i << ": " << s;
  }
  std::atomic<int> refused_callbacks{0};
  for (int i = 0; i < 3; ++i) {
    absl::Status s = ledger->Submit(Request(RegisterPatientCommand(absl::StrCat("R", i))),
                                    [&](absl::StatusOr<CommandResult>) { ++refused_callbacks; });
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  }
  absl::StatusOr<CommandResult> executed =
      ledger->Execute(Request(RegisterPatientCommand("R-exec")));
  EXPECT_EQ(executed.status().code(), absl::StatusCode::kResourceExhausted);

  gate->Release();
  ASSERT_TRUE(results.WaitFor(5));
  for (size_t i = 0; i <= 4; ++i)
    EXPECT_TRUE(results.Get(i).ok()) << i << ": " << results.Get(i).status();
  EXPECT_EQ(ledger->head().position, 5u);
  EXPECT_EQ(refused_callbacks.load(), 0);
  for (const char* refused : {"R0", "R1", "R2", "R-exec"}) {
    EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, PatientStream(refused)), -1) << refused;
  }
  // With the queue drained, the same command is accepted.
  CommandResult r = ExecuteOk(*ledger, RegisterPatientCommand("R0"));
  EXPECT_EQ(r.position, 6u);
  ledger->Stop();
  EXPECT_EQ(refused_callbacks.load(), 0);
}

// --- (h) Stop --------------------------------------------------------------------

TEST(StopTest, CommandsAfterStopAreUnavailableAndNothingIsWritten) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  ExecuteOk(*ledger, RegisterPatientCommand("P1"));
  ledger->Stop();
  bool called = false;
  absl::Status s = ledger->Submit(Request(RegisterPatientCommand("P2")),
                                  [&](absl::StatusOr<CommandResult>) { called = true; });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(ledger->Execute(Request(YearlyCoverage("P1", 0))).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_FALSE(called);
  EXPECT_EQ(ledger->head().position, 1u);
  ledger->Stop();  // idempotent
  ledger.reset();

  ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->head().position, 1u);
  EXPECT_EQ(*ledger->store().StreamLastVersion(kTenant, PatientStream("P2")), -1);
  ledger->Stop();
}

TEST(StopTest, StopFinishesEveryAcceptedCommand) {
  ScratchDir dir;
  Results results;
  auto gate = std::make_shared<Gate>();
  Ledger::Options options = LedgerOptions(dir.path(), /*sync_writes=*/false);
  options.decide = Gate::Wrap(gate);
  auto ledger = OpenLedgerOrDie(options);
  ASSERT_NE(ledger, nullptr);
  ASSERT_TRUE(ledger->Submit(Request(RegisterPatientCommand("gate")), results.Callback(0)).ok());
  ASSERT_TRUE(gate->WaitEntered());
  // Queued behind the gate when Stop() is called.
  size_t accepted = 0;
  for (; accepted < 3; ++accepted) {
    ASSERT_TRUE(ledger
                    ->Submit(Request(RegisterPatientCommand(absl::StrCat("S", accepted))),
                             results.Callback(accepted + 1))
                    .ok());
  }

  std::thread stopper([&] { ledger->Stop(); });
  // Keep submitting until the ledger says it is stopping; every command it
  // accepted before that must still be recorded.
  bool refused = false;
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::Status s = ledger->Submit(Request(RegisterPatientCommand(absl::StrCat("S", accepted))),
                                    results.Callback(accepted + 1));
    if (s.code() == absl::StatusCode::kUnavailable) {
      refused = true;
      break;
    }
    EXPECT_TRUE(s.ok()) << s;
    if (!s.ok()) break;
    ++accepted;
    absl::SleepFor(absl::Microseconds(200));
  }
  EXPECT_TRUE(refused) << "Submit kept succeeding after Stop()";
  gate->Release();
  stopper.join();
  ASSERT_TRUE(results.WaitFor(accepted + 1, absl::Seconds(1)));
  for (size_t i = 0; i <= accepted; ++i)
    ASSERT_TRUE(results.Get(i).ok()) << i << ": " << results.Get(i).status();
  EXPECT_EQ(ledger->head().position, accepted + 1);
  ledger.reset();

  ledger = OpenLedgerOrDie(LedgerOptions(dir.path()));
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->head().position, accepted + 1);
  EXPECT_EQ(ReadLog(ledger->store()).size(), accepted + 1);
  ledger->Stop();
}

TEST(HeadTest, WaitForPositionAndCommitListeners) {
  ScratchDir dir;
  auto ledger = OpenLedgerOrDie(LedgerOptions(dir.path(), /*sync_writes=*/false));
  ASSERT_NE(ledger, nullptr);
  absl::Mutex mu;
  std::vector<uint64_t> heads;
  int id = ledger->AddCommitListener([&](uint64_t p) {
    absl::MutexLock lock(&mu);
    heads.push_back(p);
  });
  CommandResult r1 = ExecuteOk(*ledger, RegisterPatientCommand("P1"));
  // Once Execute returns, the head already covers the command.
  EXPECT_GE(ledger->head().position, r1.position);
  EXPECT_TRUE(ledger->WaitForPosition(r1.position, absl::ZeroDuration()));
  EXPECT_FALSE(ledger->WaitForPosition(r1.position + 1, absl::Milliseconds(20)));
  ExecuteOk(*ledger, RegisterPatientCommand("P2"));
  ledger->RemoveCommitListener(id);
  ExecuteOk(*ledger, RegisterPatientCommand("P3"));
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(heads, (std::vector<uint64_t>{1, 2}));
  }
  // A rejected command commits nothing and notifies no one.
  ledger->AddCommitListener([&](uint64_t p) { ADD_FAILURE() << "commit at " << p; });
  EXPECT_FALSE(ledger->Execute(Request(RegisterPatientCommand("P1"))).ok());
  ledger->Stop();
}

}  // namespace
}  // namespace rcl::ledger
