// Stored event records to API messages.
#ifndef RCL_SERVER_EVENT_CONVERT_H_
#define RCL_SERVER_EVENT_CONVERT_H_

#include "ledger/storage/codec.h"
#include "rcl/v1/api.pb.h"

namespace rcl::server {

void ToApiEvent(const ledger::EventRecord& record, rcl::v1::Event* out);

// Tenant and filter match for ReadAll and Subscribe.
struct EventFilter {
  std::string tenant;
  std::string stream_prefix;
  std::vector<std::string> event_types;  // empty = all
  bool Matches(const ledger::EventRecord& e) const;
};

}  // namespace rcl::server

#endif  // RCL_SERVER_EVENT_CONVERT_H_
