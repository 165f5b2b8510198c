#include "server/event_convert.h"

#include <algorithm>

namespace rcl::server {

void ToApiEvent(const ledger::EventRecord& r, rcl::v1::Event* out) {
  out->set_position(r.position);
  out->set_tenant(r.tenant);
  out->set_stream(r.stream);
  out->set_version(r.version);
  out->set_type(r.type);
  out->set_payload(r.payload);
  out->set_event_id(r.event_id);
  out->set_command_id(r.command_id);
  out->set_correlation_id(r.correlation_id);
  out->set_causation_id(r.causation_id);
  out->set_actor(r.actor);
  out->set_recorded_at_us(r.recorded_at_us);
  out->set_effective_date(r.effective_date);
  out->set_prev_hash(ledger::HashHex(r.prev_hash));
  out->set_hash(ledger::HashHex(r.hash));
  out->set_tenant_seq(r.tenant_seq);
  out->set_tenant_prev_hash(ledger::HashHex(r.tenant_prev_hash));
  out->set_tenant_hash(ledger::HashHex(r.tenant_hash));
}

bool EventFilter::Matches(const ledger::EventRecord& e) const {
  if (e.tenant != tenant) return false;
  if (!stream_prefix.empty() && e.stream.compare(0, stream_prefix.size(), stream_prefix) != 0)
    return false;
  if (!event_types.empty() &&
      std::find(event_types.begin(), event_types.end(), e.type) == event_types.end()) {
    return false;
  }
  return true;
}

}  // namespace rcl::server
