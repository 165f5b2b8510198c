// `rcl status`, `rcl stream read` and `rcl log`: reading the server and the
// tenant's log: the head, one stream, the log in position order (paged), the
// live tail (a subscription, ended by --count or Ctrl-C), the hash chain's
// verification and an auditor's digest. `log tail` is the only command with a
// second thread: a watcher that cancels the subscription on SIGINT/SIGTERM.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/cli_command.h"

namespace rcl::cli {
namespace {

using rcl::client::Client;

constexpr uint64_t kReadLimitDefault = 100;
constexpr uint64_t kReadLimitMax = 100'000;
constexpr uint32_t kServerPageMax = 1000;

constexpr FlagSpec kReadLimitFlag = {"limit", kValue, "N", "at most N events (default 100)"};
// The event filters of `log read` and `log tail` (see SetEventFilters).
constexpr FlagSpec kStreamPrefixFlag = {"stream-prefix", kValue, "PREFIX",
                                        "only streams starting with PREFIX"};
constexpr FlagSpec kEventTypeFlag = {"type", kRepeated, "TYPE", "only events of TYPE"};
// Operators: the whole log across tenants instead of the tenant's own.
constexpr FlagSpec kWholeLogFlag = {"whole-log", kBool, "", "the whole log, every tenant"};

absl::Status RunStatus(Invocation& inv) {
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  absl::StatusOr<rcl::v1::HeadResponse> head = (*client)->Head();
  if (!head.ok()) return head.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    w.Key("server").String(inv.server());
    w.Key("tenant").String(inv.tenant());
    w.Key("serving").Bool(true);
    w.Key("head_position").Uint(head->position());
    w.Key("head_hash").String(head->hash());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "ok server=", inv.server(),
                    " serving head_position=", head->position(), " head_hash=", head->hash(), "\n");
  }
  return absl::OkStatus();
}

void AppendEvents(Invocation& inv, const std::vector<rcl::v1::Event>& events, JsonWriter* w) {
  if (inv.json()) {
    w->Key("events").BeginArray();
    for (const rcl::v1::Event& e : events) WriteEventJson(e, w);
    w->EndArray();
  } else {
    for (const rcl::v1::Event& e : events) absl::StrAppend(&inv.out(), EventLine(e), "\n");
  }
}

absl::Status RunStreamRead(Invocation& inv) {
  const std::string& stream = inv.args().positional()[0];
  absl::StatusOr<uint64_t> limit = UintFlag(inv, "limit", kReadLimitDefault, kReadLimitMax);
  if (!limit.ok()) return limit.status();
  rcl::v1::ReadStreamRequest request;
  request.set_stream(stream);
  request.set_backward(inv.args().Has("backward"));
  if (inv.args().Value("from").has_value()) {
    absl::StatusOr<uint64_t> from = UintFlag(inv, "from", 0);
    if (!from.ok()) return from.status();
    request.set_from_version(*from);
  }
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();

  std::vector<rcl::v1::Event> events;
  rcl::v1::ReadStreamResponse last;
  // *limit == 0 means one default-sized server page.
  do {
    uint64_t remaining = *limit == 0 ? 0 : *limit - events.size();
    request.set_limit(static_cast<uint32_t>(std::min<uint64_t>(remaining, kServerPageMax)));
    absl::StatusOr<rcl::v1::ReadStreamResponse> page = (*client)->ReadStream(request);
    if (!page.ok()) return page.status();
    bool empty_page = page->events().empty();
    for (const rcl::v1::Event& e : page->events()) events.push_back(e);
    page->clear_events();
    last = std::move(*page);
    if (last.end_of_stream() || empty_page || *limit == 0) break;
    request.set_from_version(last.next_version());
  } while (events.size() < *limit);

  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    w.Key("stream").String(stream);
    AppendEvents(inv, events, &w);
    w.Key("end_of_stream").Bool(last.end_of_stream());
    w.Key("next_version").Uint(last.next_version());
    w.Key("stream_version").Int(last.stream_version());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    AppendEvents(inv, events, nullptr);
    if (last.stream_version() < 0) {
      absl::StrAppend(&inv.out(), "(stream ", stream, " does not exist)\n");
    } else if (!last.end_of_stream()) {
      absl::StrAppend(&inv.out(), "(more: continue with --from ", last.next_version(), ")\n");
    }
  }
  return absl::OkStatus();
}

// --stream-prefix and --type into a ReadAllRequest or a SubscribeRequest.
template <typename Request>
void SetEventFilters(const Invocation& inv, Request* request) {
  request->set_stream_prefix(Str(inv, "stream-prefix"));
  for (std::string& t : inv.args().Values("type")) request->add_event_types(std::move(t));
}

absl::Status RunLogRead(Invocation& inv) {
  absl::StatusOr<uint64_t> limit = UintFlag(inv, "limit", kReadLimitDefault, kReadLimitMax);
  if (!limit.ok()) return limit.status();
  absl::StatusOr<uint64_t> from = UintFlag(inv, "from", 0);
  if (!from.ok()) return from.status();
  rcl::v1::ReadAllRequest request;
  request.set_from_position(*from);
  SetEventFilters(inv, &request);
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();

  std::vector<rcl::v1::Event> events;
  rcl::v1::ReadAllResponse last;
  while (true) {
    uint64_t remaining = *limit == 0 ? 0 : *limit - events.size();
    request.set_limit(static_cast<uint32_t>(std::min<uint64_t>(remaining, kServerPageMax)));
    absl::StatusOr<rcl::v1::ReadAllResponse> page = (*client)->ReadAll(request);
    if (!page.ok()) return page.status();
    for (const rcl::v1::Event& e : page->events()) events.push_back(e);
    page->clear_events();
    last = std::move(*page);
    // Filtered pages may be short before the head: keep going until the
    // limit or the end of the log, as long as the server makes progress.
    if (last.end_of_log() || *limit == 0 || events.size() >= *limit) break;
    if (last.next_position() <= request.from_position()) break;
    request.set_from_position(last.next_position());
  }

  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    AppendEvents(inv, events, &w);
    w.Key("next_position").Uint(last.next_position());
    w.Key("head_position").Uint(last.head_position());
    w.Key("end_of_log").Bool(last.end_of_log());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    AppendEvents(inv, events, nullptr);
    if (!last.end_of_log()) {
      absl::StrAppend(&inv.out(), "(more: continue with --from ", last.next_position(), ")\n");
    }
  }
  return absl::OkStatus();
}

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

// The result of `log tail --json`: the events it received, as one object
// (without --json they were printed as they came).
void PrintTailJson(Invocation& inv, const std::vector<rcl::v1::Event>& events, uint64_t received,
                   uint64_t checkpoint, uint64_t head, bool interrupted) {
  JsonWriter w;
  w.BeginObject();
  AppendEvents(inv, events, &w);
  w.Key("count").Uint(received);
  w.Key("checkpoint_position").Uint(checkpoint);
  w.Key("head_position").Uint(head);
  w.Key("interrupted").Bool(interrupted);
  w.EndObject();
  absl::StrAppend(&inv.out(), w.str(), "\n");
}

absl::Status RunLogTail(Invocation& inv) {
  absl::StatusOr<uint64_t> count = UintFlag(inv, "count", 0);
  if (!count.ok()) return count.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  rcl::v1::SubscribeRequest request;
  if (inv.args().Value("from").has_value()) {
    absl::StatusOr<uint64_t> from = UintFlag(inv, "from", 0);
    if (!from.ok()) return from.status();
    request.set_from_position(*from);
  } else {
    // Default: only events appended from now on.
    absl::StatusOr<rcl::v1::HeadResponse> head = (*client)->Head();
    if (!head.ok()) return head.status();
    request.set_from_position(head->position() + 1);
  }
  SetEventFilters(inv, &request);

  absl::StatusOr<std::unique_ptr<client::Subscription>> sub = (*client)->Subscribe(request);
  if (!sub.ok()) return sub.status();
  client::Subscription* subscription = sub->get();

  // Ctrl-C (or SIGTERM) cancels the subscription; the watcher polls the flag
  // because a signal handler may not call into gRPC.
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (g_interrupted.load()) {
        subscription->Cancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  std::vector<rcl::v1::Event> events;
  uint64_t received = 0;
  uint64_t checkpoint = 0;
  uint64_t head = 0;
  rcl::v1::SubscribeResponse response;
  while ((*count == 0 || received < *count) && subscription->Next(&response)) {
    checkpoint = std::max(checkpoint, response.checkpoint_position());
    head = std::max(head, response.head_position());
    for (rcl::v1::Event& e : *response.mutable_events()) {
      if (*count != 0 && received >= *count) break;
      ++received;
      if (inv.json()) {
        events.push_back(std::move(e));
      } else {
        std::string line = absl::StrCat(EventLine(e), "\n");
        fwrite(line.data(), 1, line.size(), stdout);
        fflush(stdout);
      }
    }
  }
  bool reached_count = *count != 0 && received >= *count;
  if (reached_count) subscription->Cancel();
  absl::Status status = subscription->Finish();
  done.store(true);
  watcher.join();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!status.ok() && !subscription->cancelled()) return status;

  if (inv.json()) PrintTailJson(inv, events, received, checkpoint, head, !reached_count);
  return absl::OkStatus();
}

// The whole log's head (operators: --whole-log).
absl::Status PrintWholeLogHead(Invocation& inv, Client& client) {
  absl::StatusOr<rcl::v1::HeadResponse> head = client.Head();
  if (!head.ok()) return head.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("position").Uint(head->position()).Key("hash").String(head->hash());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "position=", head->position(), " hash=", head->hash(), "\n");
  }
  return absl::OkStatus();
}

absl::Status RunLogHead(Invocation& inv) {
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  if (inv.args().Has("whole-log")) return PrintWholeLogHead(inv, **client);
  absl::StatusOr<rcl::v1::HeadResponse> head = (*client)->TenantHead();
  if (!head.ok()) return head.status();
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("tenant").String(head->tenant());
    w.Key("tenant_seq").Uint(head->tenant_seq()).Key("position").Uint(head->position());
    w.Key("tenant_hash").String(head->tenant_hash()).Key("root_hash").String(head->root_hash());
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "tenant=", head->tenant(), " tenant_seq=", head->tenant_seq(),
                    " position=", head->position(), " tenant_hash=", head->tenant_hash(),
                    " root_hash=", head->root_hash(), "\n");
  }
  return absl::OkStatus();
}

// `log verify` of the tenant's own log: its sequences, chain and tree.
absl::Status VerifyTenantLog(Invocation& inv, Client& client, uint64_t from, uint64_t to) {
  absl::StatusOr<rcl::v1::HeadResponse> head = client.TenantHead();
  if (!head.ok()) return head.status();
  const uint64_t target = to == 0 ? head->tenant_seq() : to;
  uint64_t next = std::max<uint64_t>(from, 1);
  uint64_t checked = 0;
  uint64_t nodes = 0;
  rcl::v1::VerifyResponse last;
  last.set_ok(true);
  while (target != 0 && next <= target) {
    absl::StatusOr<rcl::v1::VerifyResponse> r = client.TenantVerify(next, target);
    if (!r.ok()) return r.status();
    checked += r->events_checked();
    nodes += r->nodes_checked();
    last = *r;
    if (!r->ok() || r->to_seq() >= target) break;
    if (r->to_seq() < next) {
      return absl::InternalError(absl::StrCat("verify made no progress at sequence ", next));
    }
    next = r->to_seq() + 1;
  }
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject().Key("tenant").String(inv.tenant()).Key("ok").Bool(last.ok());
    w.Key("from_seq").Uint(std::max<uint64_t>(from, 1)).Key("to_seq").Uint(target);
    w.Key("events_checked").Uint(checked).Key("nodes_checked").Uint(nodes);
    if (last.ok()) {
      w.Key("tenant_hash_at_to").String(last.tenant_hash_at_to());
      w.Key("root_hash_at_to").String(last.root_hash_at_to());
    } else {
      w.Key("first_bad_seq").Uint(last.first_bad_seq()).Key("error").String(last.error());
    }
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else if (last.ok() && checked == 0) {
    absl::StrAppend(&inv.out(), "ok no events to verify\n");
  } else if (last.ok()) {
    absl::StrAppend(&inv.out(), "ok tenant ", inv.tenant(), " verified sequences ",
                    std::max<uint64_t>(from, 1), "..", target, " events_checked=", checked,
                    " nodes_checked=", nodes, " root_hash=", last.root_hash_at_to(), "\n");
  }
  if (!last.ok()) {
    return absl::DataLossError(
        absl::StrCat("tenant log broken at sequence ", last.first_bad_seq(), ": ", last.error()));
  }
  return absl::OkStatus();
}

absl::Status RunLogVerify(Invocation& inv) {
  absl::StatusOr<uint64_t> from = UintFlag(inv, "from", 0);
  if (!from.ok()) return from.status();
  absl::StatusOr<uint64_t> to = UintFlag(inv, "to", 0);
  if (!to.ok()) return to.status();
  if (*to != 0 && *from > *to) return UsageError("--from must not be after --to");
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  if (!inv.args().Has("whole-log")) return VerifyTenantLog(inv, **client, *from, *to);

  uint64_t target = *to;
  if (target == 0) {
    absl::StatusOr<rcl::v1::HeadResponse> head = (*client)->Head();
    if (!head.ok()) return head.status();
    target = head->position();
  }
  // The server may check a partial range per call: loop until the target.
  uint64_t next = std::max<uint64_t>(*from, 1);
  uint64_t first = 0;
  uint64_t checked = 0;
  rcl::v1::VerifyResponse last;
  bool any = false;
  // An empty log has nothing to verify (the server answers OUT_OF_RANGE).
  last.set_ok(target == 0);
  while (target != 0) {
    absl::StatusOr<rcl::v1::VerifyResponse> r = (*client)->Verify(next, target);
    if (!r.ok()) return r.status();
    if (!any) first = r->from_position();
    any = true;
    checked += r->events_checked();
    last = *r;
    if (!r->ok()) break;
    if (target == 0 || r->to_position() >= target) break;
    if (r->to_position() < next) {
      return absl::InternalError(absl::StrCat("verify made no progress at position ", next));
    }
    next = r->to_position() + 1;
  }

  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    w.Key("ok").Bool(last.ok());
    w.Key("from_position").Uint(first);
    w.Key("to_position").Uint(last.ok() ? last.to_position() : last.first_bad_position());
    w.Key("events_checked").Uint(checked);
    if (last.ok()) {
      w.Key("hash_at_to").String(last.hash_at_to());
    } else {
      w.Key("first_bad_position").Uint(last.first_bad_position());
      w.Key("error").String(last.error());
    }
    w.EndObject();
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else if (last.ok() && checked == 0) {
    absl::StrAppend(&inv.out(), "ok no events to verify\n");
  } else if (last.ok()) {
    absl::StrAppend(&inv.out(), "ok chain verified positions ", first, "..", last.to_position(),
                    " events_checked=", checked, " hash_at_to=", last.hash_at_to(), "\n");
  }
  if (!last.ok()) {
    return absl::DataLossError(absl::StrCat("hash chain broken at position ",
                                            last.first_bad_position(), ": ", last.error()));
  }
  return absl::OkStatus();
}

absl::Status RunLogDigest(Invocation& inv) {
  absl::StatusOr<uint64_t> at = UintFlag(inv, "position", 0);
  if (!at.ok()) return at.status();
  absl::StatusOr<Client*> client = inv.client();
  if (!client.ok()) return client.status();
  const bool whole = inv.args().Has("whole-log");
  absl::StatusOr<rcl::v1::DigestResponse> d =
      whole ? (*client)->Digest(*at) : (*client)->TenantDigest(*at);
  if (!d.ok()) return d.status();
  JsonWriter w;
  w.BeginObject();
  if (whole) {
    w.Key("position").Uint(d->position()).Key("hash").String(d->hash());
    w.Key("head_position").Uint(d->head_position()).Key("head_hash").String(d->head_hash());
  } else {
    w.Key("tenant").String(d->tenant()).Key("tenant_seq").Uint(d->tenant_seq());
    w.Key("tenant_hash").String(d->tenant_hash()).Key("head_tenant_seq").Uint(d->head_tenant_seq());
    w.Key("head_tenant_hash").String(d->head_tenant_hash()).Key("root_hash").String(d->root_hash());
  }
  w.Key("taken_at_us").Int(d->taken_at_us());
  w.EndObject();
  if (inv.json()) {
    absl::StrAppend(&inv.out(), w.str(), "\n");
  } else if (whole) {
    absl::StrAppend(&inv.out(), "position=", d->position(), " hash=", d->hash(),
                    " head_position=", d->head_position(), " head_hash=", d->head_hash(),
                    " taken_at_us=", d->taken_at_us(), "\n");
  } else {
    absl::StrAppend(&inv.out(), "tenant=", d->tenant(), " tenant_seq=", d->tenant_seq(),
                    " tenant_hash=", d->tenant_hash(), " head_tenant_seq=", d->head_tenant_seq(),
                    " root_hash=", d->root_hash(), " taken_at_us=", d->taken_at_us(), "\n");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandDef> StatusCommands() {
  return {
      {"", "status", "", "check the server: up, head position and head hash", {}, RunStatus},
  };
}

std::vector<CommandDef> LogCommands() {
  return {
      {"stream",
       "read",
       "STREAM",
       "read a stream's events, e.g. encounter-E1",
       {{"from", kValue, "VERSION", "first version (default: 0, or the last when --backward)"},
        {"backward", kBool, "", "read backward"},
        kReadLimitFlag},
       RunStreamRead},
      {"log",
       "read",
       "",
       "read the tenant's log",
       {{"from", kValue, "POS", "first position (default: the start)"},
        kReadLimitFlag,
        kStreamPrefixFlag,
        kEventTypeFlag},
       RunLogRead},
      {"log",
       "tail",
       "",
       "follow the log live (until --count events or Ctrl-C)",
       {{"from", kValue, "POS", "first position (default: after the current head)"},
        {"count", kValue, "N", "stop after N events"},
        kStreamPrefixFlag,
        kEventTypeFlag},
       RunLogTail},
      {"log",
       "head",
       "",
       "the tenant's log head: sequence, position, tenant hash, Merkle root",
       {kWholeLogFlag},
       RunLogHead},
      {"log",
       "verify",
       "",
       "verify the tenant's chain and tree (exit 1 naming the first bad sequence)",
       {{"from", kValue, "N", "first tenant sequence (default 1; with --whole-log a position)"},
        {"to", kValue, "N",
         "last tenant sequence (default: the last; with --whole-log a position)"},
        kWholeLogFlag},
       RunLogVerify},
      {"log",
       "digest",
       "",
       "a digest (tenant sequence + tenant hash + root) an auditor can keep",
       {{"position", kValue, "N",
         "tenant sequence (default: the last; with --whole-log a position)"},
        kWholeLogFlag},
       RunLogDigest},
  };
}

}  // namespace rcl::cli
