// An 837P export recorded: which claims left in which file (its SHA-256).
// The file itself is written by the caller (ledger/x12/claim837p.h); the
// ledger records that it was, on the export's stream and each claim's.
#include "absl/strings/str_cat.h"
#include "ledger/rules/claim_rules.h"

namespace rcl::ledger::claim_rules {

absl::StatusOr<Decision> DecideRecordClaimExport(const rcl::v1::RecordClaimExport& c,
                                                 StateView& view) {
  const std::string stream = ExportStream(c.export_id());
  RCL_RETURN_IF_ERROR(MustNotExist(view, stream, absl::StrCat("export ", c.export_id())));
  Decision d;
  rcl::v1::ClaimExported e;
  e.set_export_id(c.export_id());
  e.set_file_sha256(c.file_sha256());
  e.set_claim_count(c.claim_ids_size());
  for (const std::string& id : c.claim_ids()) {
    RCL_RETURN_IF_ERROR(GetClaim(view, id).status());
    e.set_claim_id(id);
    RCL_RETURN_IF_ERROR(EmitEvent(&d, ClaimStream(id), e, ""));
  }
  e.set_claim_id("");
  RCL_RETURN_IF_ERROR(EmitEvent(&d, stream, std::move(e), ""));
  return d;
}

}  // namespace rcl::ledger::claim_rules
