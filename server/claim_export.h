// The 837P export (LedgerService.ExportClaims837): each claim's state, its
// encounter and its patient's registration and coverage, read from the store
// and turned into one 005010X222A1 interchange by ledger/x12/claim837p.h.
// The caller records the export (RecordClaimExport) and returns the bytes.
//
// What the ledger does not hold comes from Export837Settings (the --x12-*
// server flags, docs/API.md "ExportClaims837"): the billing provider's name,
// NPI, tax id and address, the submitter and the receiver. The ledger keeps no patient
// address or sex, so the subscriber's N3/N4 are the billing provider's
// address and DMG03 is U (unknown).
#ifndef RCL_SERVER_CLAIM_EXPORT_H_
#define RCL_SERVER_CLAIM_EXPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/storage/event_store.h"
#include "ledger/x12/claim837p.h"

namespace rcl::server {

inline constexpr int kExportClaimsPerRequestMax = 1000;

struct Export837Settings {
  // NPI (NM109) is each claim's billing NPI; these fill the rest of 2010AA.
  x12::BillingProvider billing = {.organization_name = "RCL PRACTICE",
                                  .npi = "",
                                  .tax_id = "000000000",
                                  .taxonomy = "",
                                  .address = {.line1 = "1 MAIN ST",
                                              .line2 = "",
                                              .city = "ANYTOWN",
                                              .state = "NY",
                                              .postal_code = "100010001"}};
  std::string sender_id = "RCL";  // ISA06/GS02 and the submitter id (1000A)
  std::string submitter_name = "RCL PRACTICE";
  std::string contact_name = "BILLING OFFICE";
  std::string contact_phone = "5555550100";
  std::string receiver_id = "CLEARINGHOUSE";  // ISA08/GS03
  std::string receiver_name = "CLEARINGHOUSE";
  // The billing provider's NPI (2010AA NM109) of every file; a claim billed
  // under another NPI is refused. Empty: the claims' own billing NPI (one
  // per file).
  std::string billing_npi;
};

// INVALID_ARGUMENT naming the --x12-* server flag of the first setting an
// 837P cannot carry (empty, too long, an X12 delimiter, not digits where
// digits are due): checked at start so that a bad flag stops the server
// instead of failing every export.
absl::Status CheckExport837Settings(const Export837Settings& settings);

struct Export837 {
  std::string x12;
  std::string file_sha256;  // hex
  std::string export_id;    // x837-<first 16 hex of file_sha256>
  uint32_t interchange_control_number = 0;
};

// The interchange for `claim_ids` of `tenant` as of the store's current
// state. NOT_FOUND for a claim that does not exist; FAILED_PRECONDITION for
// a claim that cannot be billed in an 837P (voided or replaced, no lines);
// INVALID_ARGUMENT from the writer (naming the claim's index and field).
absl::StatusOr<Export837> BuildExport837(const ledger::EventStore& store, const std::string& tenant,
                                         const std::vector<std::string>& claim_ids,
                                         const Export837Settings& settings, absl::Time now,
                                         uint32_t interchange_control_number, bool test);

}  // namespace rcl::server

#endif  // RCL_SERVER_CLAIM_EXPORT_H_
