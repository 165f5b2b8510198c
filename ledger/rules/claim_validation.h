// Shape validation of the claims-to-cash commands (see validation.h for the
// conventions: every violation is reported, field names are proto names,
// values are never echoed). Optional dates stay empty: deciders fill them
// with the commit's business date (StateView::Today()).
#ifndef RCL_LEDGER_CLAIM_VALIDATION_H_
#define RCL_LEDGER_CLAIM_VALIDATION_H_

#include "absl/time/civil_time.h"
#include "ledger/rules/input_rules.h"
#include "ledger/status.h"
#include "rcl/v1/events.pb.h"

namespace rcl::ledger {

// False when `command` is not a claims-to-cash command.
bool ValidateClaimCommand(rcl::v1::Command* command, absl::CivilDay today, Violations& v);

}  // namespace rcl::ledger

#endif  // RCL_LEDGER_CLAIM_VALIDATION_H_
