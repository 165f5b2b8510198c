#include "ledger/state_size.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace rcl::ledger {
namespace {

// glibc malloc: every block carries 8 bytes of header and is rounded up to
// 16 bytes (32 at least).
constexpr size_t kMallocOverheadBytes = 16;
// A std::map / std::set node: three pointers and a colour, before the value.
constexpr size_t kTreeNodeBytes = 32 + kMallocOverheadBytes;

size_t Heap(size_t bytes) { return bytes == 0 ? 0 : bytes + kMallocOverheadBytes; }

// Heap held by a string beyond sizeof(std::string) (short strings are inline).
size_t Extra(const std::string& s) { return s.capacity() > 15 ? Heap(s.capacity() + 1) : 0; }

size_t Extra(const std::vector<std::string>& v) {
  size_t n = Heap(v.capacity() * sizeof(std::string));
  for (const auto& s : v) n += Extra(s);
  return n;
}

template <typename T>
size_t ExtraPod(const std::vector<T>& v) {
  return Heap(v.capacity() * sizeof(T));
}

size_t Extra(const std::set<std::string>& s) {
  size_t n = 0;
  for (const auto& v : s) n += kTreeNodeBytes + sizeof(std::string) + Extra(v);
  return n;
}

size_t Extra(const CoverageState& c) {
  return Extra(c.coverage_id) + Extra(c.payer_id) + Extra(c.payer_name) + Extra(c.effective_from) +
         Extra(c.effective_to);
}

size_t Extra(const ChargeLineState& l) {
  return Extra(l.procedure_code) + Extra(l.modifiers) + ExtraPod(l.diagnosis_pointers);
}

size_t Extra(const PatientState& p) {
  size_t n = Extra(p.patient_id);
  for (const auto& [id, c] : p.coverages)
    n +=
        kTreeNodeBytes + sizeof(std::pair<const std::string, CoverageState>) + Extra(id) + Extra(c);
  for (const auto& [id, date] : p.claims) {
    n += kTreeNodeBytes + sizeof(std::pair<const std::string, std::string>) + Extra(id) +
         Extra(date);
  }
  return n + Extra(p.payment_ids) + Extra(p.refund_ids);
}

size_t Extra(const EncounterState& e) {
  size_t n = Extra(e.encounter_id) + Extra(e.patient_id) + Extra(e.rendering_npi) +
             Extra(e.billing_npi) + Extra(e.date_of_service) + Extra(e.place_of_service) +
             Extra(e.diagnoses);
  for (const auto& [number, line] : e.lines)
    n += kTreeNodeBytes + sizeof(std::pair<const int, ChargeLineState>) + Extra(line);
  for (const auto& [id, claim] : e.claims) {
    n += kTreeNodeBytes + sizeof(std::pair<const std::string, std::pair<std::string, int>>) +
         Extra(id) + Extra(claim.first);
  }
  return n;
}

size_t Extra(const AdjudicationState& a) {
  size_t n = Extra(a.remit_id) + Extra(a.payer_claim_number) + Extra(a.transfer_claim_id) +
             Extra(a.transfer_payer_id);
  n += a.lines.size() * (kTreeNodeBytes + sizeof(std::pair<const int, ClaimLineAmounts>));
  n += Heap(a.postings.capacity() * sizeof(std::pair<std::string, int64_t>));
  for (const auto& [account, amount] : a.postings) n += Extra(account);
  return n;
}

size_t Extra(const ClaimState& c) {
  size_t n = Extra(c.claim_id) + Extra(c.encounter_id) + Extra(c.patient_id) +
             Extra(c.coverage_id) + Extra(c.payer_id) + Extra(c.original_claim_id) +
             Extra(c.payer_claim_number) + Extra(c.date_of_service) + Extra(c.billing_npi) +
             Extra(c.rendering_npi) + Extra(c.diagnoses) + Extra(c.next_payer_claim_id) +
             Extra(c.replacement_claim_id) + Extra(c.void_claim_id) +
             Extra(c.transfer_from_claim_id);
  for (const auto& [number, line] : c.lines) {
    // SpaceUsedLong() counts sizeof(the message) too, which the node holds.
    n += kTreeNodeBytes + sizeof(std::pair<const int, ClaimLineView>) - sizeof(rcl::v1::ClaimLine) +
         line.line.SpaceUsedLong();
  }
  n += c.write_offs.size() *
       (kTreeNodeBytes + sizeof(std::pair<const std::pair<int, int>, int64_t>));
  if (c.adjudication.has_value()) n += Extra(*c.adjudication);
  for (const auto& [id, outcome] : c.appeals) {
    n += kTreeNodeBytes + sizeof(std::pair<const std::string, rcl::v1::AppealOutcome>) + Extra(id);
  }
  return n + Extra(c.payment_ids);
}

size_t Extra(const RemittanceState& r) {
  return Extra(r.remit_id) + Extra(r.payer_id) + Extra(r.trace_number) + Extra(r.paid_date);
}
size_t Extra(const AppealState& a) {
  return Extra(a.appeal_id) + Extra(a.claim_id) + Extra(a.deadline);
}
size_t Extra(const GuardState& g) { return Extra(g.owner); }
size_t Extra(const SuspenseState& s) { return s.item.SpaceUsedLong() + Extra(s.applied_to); }
size_t Extra(const std::monostate&) { return 0; }

}  // namespace

size_t EstimateStateBytes(const StreamState& state) {
  return sizeof(StreamState) + std::visit([](const auto& a) { return Extra(a); }, state.aggregate);
}

}  // namespace rcl::ledger
