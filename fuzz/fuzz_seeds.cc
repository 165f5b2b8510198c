// Writes the binary seeds of record_fuzz and command_fuzz into
// <dir>/record_fuzz/ and <dir>/command_fuzz/ (ops/fuzz --write-seeds runs it
// with dir = fuzz/corpus). The messages are written here in protobuf text
// format, so the seeds stay readable in review; the files are their binary
// encodings.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/event_types.h"
#include "google/protobuf/text_format.h"
#include "ledger/money.h"
#include "ledger/status.h"
#include "ledger/storage/codec.h"
#include "rcl/v1/events.pb.h"

namespace {

namespace fs = std::filesystem;

// (event type, text-format payload): one claim's life, in stream order.
const std::vector<std::pair<std::string, std::string>> kClaimEvents = {
    {"ClaimCreated",
     R"(claim_id: "C1" encounter_id: "E1" patient_id: "P1" coverage_id: "COV1" payer_id: "AETNA"
        rank: 1 frequency: 1 date_of_service: "2024-02-29" billing_npi: "1234567893"
        rendering_npi: "1234567893" diagnoses: "E119" diagnoses: "I10"
        lines { line_number: 1 procedure_code: "99213" units: 1 charge_cents: 15000
                diagnosis_pointers: 1 modifiers: "25" }
        lines { line_number: 2 procedure_code: "J3420" units: 2 charge_cents: 9223372036854775807 })"},
    {"ClaimSubmitted", R"(claim_id: "C1" batch_id: "B1" submission_number: 1)"},
    {"ClaimAcknowledged", R"(claim_id: "C1" accepted: true)"},
    {"ClaimAdjudicated",
     R"(claim_id: "C1" remit_id: "R1" payer_id: "AETNA" payer_claim_number: "PCN-1" status: 1
        lines { line_number: 1 allowed_cents: 10000 paid_cents: 8000
                adjustments { group: 1 reason_code: "45" amount_cents: 5000 }
                adjustments { group: 2 reason_code: "2" remark_code: "N130" amount_cents: 2000 } }
        paid_cents: 8000 contractual_cents: 5000 patient_responsibility_cents: 2000
        paid_date: "2100-12-31"
        postings { account: "cash:payer" amount_cents: 8000 }
        postings { account: "ar:payer" amount_cents: -8000 })"},
};

const std::vector<std::pair<std::string, std::string>> kOtherEvents = {
    {"PatientRegistered",
     R"(patient_id: "P1" family_name: "Doe" given_name: "Jane" birth_date: "1900-01-01")"},
    {"CoverageAdded",
     R"(patient_id: "P1" coverage_id: "COV1" payer_id: "AETNA" payer_name: "Aetna"
        member_id: "M-1" rank: 1 effective_from: "2000-02-29")"},
    {"EncounterOpened",
     R"(encounter_id: "E1" patient_id: "P1" rendering_npi: "1234567893"
        billing_npi: "1234567893" date_of_service: "2024-02-29" place_of_service: "11")"},
    {"ChargeRecorded",
     R"(encounter_id: "E1" line_number: 1 procedure_code: "99213" units: 1 amount_cents: 15000
        diagnosis_pointers: 1 patient_id: "P1" date_of_service: "2024-02-29"
        postings { account: "ar:unbilled" amount_cents: 15000 }
        postings { account: "revenue:gross_charges" amount_cents: -15000 })"},
};

// Single events at the int64 extremes (each folds; two of them in one
// stream may not: the fuzzer splices seeds).
const std::vector<std::pair<std::string, std::string>> kExtremeEvents = {
    {"ChargeRecorded", R"(encounter_id: "E1" line_number: 1 amount_cents: 9223372036854775807)"},
    {"EncounterClaimed", R"(encounter_id: "E1" claim_id: "C1" billed_cents: 9223372036854775807)"},
    {"PatientPaymentReceived",
     R"(patient_id: "P1" payment_id: "PAY1" unapplied_cents: 9223372036854775807)"},
    {"ClaimWrittenOff",
     R"(claim_id: "C1" reason: WRITE_OFF_REASON_BAD_DEBT side: BALANCE_SIDE_PATIENT
        amount_cents: -9223372036854775808)"},
    {"ClaimAdjudicated",
     R"(claim_id: "C1" lines { line_number: 1
        adjustments { group: ADJUSTMENT_GROUP_PR reason_code: "1"
                      amount_cents: 9223372036854775807 } })"},
};

// Text-format commands: valid ones, and the edge cases of their fields.
const std::vector<std::string> kCommands = {
    R"(register_patient { patient_id: "P1" family_name: "Doe" given_name: "Jane"
                          birth_date: "2000-02-29" })",
    R"(register_patient { patient_id: "p.1_x-Y" family_name: "Ünal" given_name: "José"
                          birth_date: "1900-02-29" })",
    R"(add_coverage { patient_id: "P1" coverage_id: "COV1" payer_id: "AETNA" payer_name: "Aetna"
                      member_id: "W123456789-01" rank: 1 effective_from: "2100-02-28"
                      effective_to: "2199-12-31" })",
    R"(open_encounter { encounter_id: "E1" patient_id: "P1" rendering_npi: "1234567893"
                        billing_npi: "1234567893" date_of_service: "2026-12-01"
                        place_of_service: "11" })",
    R"(record_diagnoses { encounter_id: "E1" icd10_codes: "e11.9" icd10_codes: "I10"
                          icd10_codes: "S72.001A" })",
    R"(record_charge { encounter_id: "E1" line_number: 1 cpt: "99213" modifiers: "25"
                       modifiers: "lt" units: 1 amount_cents: 100000000000 diagnosis_pointers: 1 })",
    R"(record_charge { encounter_id: "E1" line_number: 999 hcpcs: "j3420" units: 9999
                       amount_cents: 9223372036854775807 diagnosis_pointers: 4 })",
    R"(adjudicate_claim { claim_id: "C1" remit_id: "R1" payer_claim_number: "PCN-1" status: 1
                          lines { line_number: 1 allowed_cents: 10000 paid_cents: 8000
                                  adjustments { group: 1 reason_code: "45" amount_cents: 2000 }
                                  adjustments { group: 2 reason_code: "2" remark_code: "N130"
                                                amount_cents: -9223372036854775808 } } })",
    R"(receive_patient_payment { patient_id: "P1" payment_id: "PAY1" amount_cents: 2000
                                 method: "card" claim_ids: "C1" received_date: "2026-12-01" })",
    R"(void_charge { encounter_id: "E1" line_number: 1 reason: "entered twice" })",
    R"(complete_coding { encounter_id: "E1" })",
    "",
};

void Write(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  RCL_CHECK(out.good()) << "cannot write " << path.string();
}

std::string Payload(const std::string& type, const std::string& text) {
  const google::protobuf::Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName("rcl.v1." + type);
  RCL_CHECK(d != nullptr) << "no message rcl.v1." << type;
  std::unique_ptr<google::protobuf::Message> m(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
  RCL_CHECK(google::protobuf::TextFormat::ParseFromString(text, m.get())) << type;
  return m->SerializeAsString();
}

// [type byte][u16 BE length][payload], as record_fuzz's odd mode reads it.
std::string StreamEntry(const std::string& type, const std::string& payload) {
  const auto& types = rcl::fuzz::FoldedEventTypes();
  size_t index = 0;
  while (index < types.size() && types[index]->name() != type) ++index;
  RCL_CHECK(index < types.size()) << type << " is not folded";
  RCL_CHECK(payload.size() <= 0xFFFF) << type;
  std::string out;
  out.push_back(static_cast<char>(index));
  out.push_back(static_cast<char>(payload.size() >> 8));
  out.push_back(static_cast<char>(payload.size() & 0xFF));
  return out + payload;
}

rcl::ledger::EventRecord Record(const std::string& type, const std::string& payload, int n) {
  rcl::ledger::EventRecord e;
  e.position = static_cast<uint64_t>(n) + 1;
  e.version = static_cast<uint64_t>(n);
  e.tenant_seq = static_cast<uint64_t>(n) + 1;
  e.recorded_at_us = 1'764'547'200'000'000;
  e.tenant = "acme";
  e.stream = "claim-C1";
  e.type = type;
  e.event_id = "01JEVENT" + std::to_string(n);
  e.command_id = "cmd-" + std::to_string(n);
  e.correlation_id = "corr";
  e.actor = "biller@acme";
  e.effective_date = "2026-12-01";
  e.payload = payload;
  return e;
}

void WriteRecordSeeds(const fs::path& dir) {
  fs::create_directories(dir);
  std::string stream(1, '\x01');
  int n = 0;
  rcl::ledger::Hash prev{}, tenant_prev{};
  for (const auto* events : {&kClaimEvents, &kOtherEvents}) {
    for (const auto& [type, text] : *events) {
      const std::string payload = Payload(type, text);
      if (events == &kClaimEvents) stream += StreamEntry(type, payload);
      rcl::ledger::EventRecord e = Record(type, payload, n);
      std::string record;
      rcl::ledger::SealRecord(prev, tenant_prev, &e, &record);
      prev = e.hash;
      tenant_prev = e.tenant_hash;
      Write(dir / ("record_" + type), std::string(1, '\x00') + record);
      Write(dir / ("fold_" + type), "\x01" + StreamEntry(type, payload));
      ++n;
    }
  }
  Write(dir / "fold_claim_lifecycle", stream);
  for (const auto& [type, text] : kExtremeEvents)
    Write(dir / ("fold_int64_extreme_" + type), "\x01" + StreamEntry(type, Payload(type, text)));
  // A record of nothing but its format byte.
  Write(dir / "record_format_byte_only", std::string(1, '\x00') + std::string(1, '\x02'));
}

void WriteCommandSeeds(const fs::path& dir) {
  fs::create_directories(dir);
  int n = 0;
  for (const std::string& text : kCommands) {
    rcl::v1::Command command;
    RCL_CHECK(google::protobuf::TextFormat::ParseFromString(text, &command)) << text;
    Write(dir / ("command_" + std::to_string(n++) + "_" +
                 (command.kind_case() == rcl::v1::Command::KIND_NOT_SET
                      ? std::string("empty")
                      : std::to_string(static_cast<int>(command.kind_case())))),
          command.SerializeAsString());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds <corpus dir>\n");
    return 2;
  }
  const fs::path root(argv[1]);
  WriteRecordSeeds(root / "record_fuzz");
  WriteCommandSeeds(root / "command_fuzz");
  return 0;
}
