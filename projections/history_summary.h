// One line saying what an event did, for the audit trail: amounts, codes,
// ids and dates only; never names, birth dates, member ids or free text a
// user typed (notes, reasons), which may carry PHI.
#ifndef RCL_PROJECTIONS_HISTORY_SUMMARY_H_
#define RCL_PROJECTIONS_HISTORY_SUMMARY_H_

#include <string>

#include "projections/log_feed.h"

namespace rcl::projections {

// The summary of an event (from its parsed payload); the type's name when
// the type has no summary of its own or the payload does not parse.
std::string Summarize(const LogEvent& event);

}  // namespace rcl::projections

#endif  // RCL_PROJECTIONS_HISTORY_SUMMARY_H_
