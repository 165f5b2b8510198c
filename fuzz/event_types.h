// Shared by record_fuzz.cc and fuzz_seeds.cc: the event payload types the
// fold knows, in a fixed order (by name), so that one input byte names one.
#ifndef RCL_FUZZ_EVENT_TYPES_H_
#define RCL_FUZZ_EVENT_TYPES_H_

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "ledger/rules/state.h"
#include "rcl/v1/events.pb.h"

namespace rcl::fuzz {

// The messages of rcl/v1/events.proto (and the files it imports in the same
// package) that FoldEvent accepts as event types.
inline const std::vector<const google::protobuf::Descriptor*>& FoldedEventTypes() {
  static const auto* const types = [] {
    auto* out = new std::vector<const google::protobuf::Descriptor*>();
    const google::protobuf::FileDescriptor* file = rcl::v1::Posting::descriptor()->file();
    std::vector<const google::protobuf::FileDescriptor*> files = {file};
    for (int i = 0; i < file->dependency_count(); ++i) files.push_back(file->dependency(i));
    for (const google::protobuf::FileDescriptor* f : files) {
      for (int i = 0; i < f->message_type_count(); ++i) {
        const google::protobuf::Descriptor* d = f->message_type(i);
        rcl::ledger::StreamState scratch;
        const absl::Status st = rcl::ledger::FoldEvent(&scratch, d->name(), "");
        if (st.message().find("unknown event type") == std::string_view::npos) out->push_back(d);
      }
    }
    std::sort(out->begin(), out->end(),
              [](const auto* a, const auto* b) { return a->name() < b->name(); });
    return out;
  }();
  return *types;
}

}  // namespace rcl::fuzz

#endif  // RCL_FUZZ_EVENT_TYPES_H_
