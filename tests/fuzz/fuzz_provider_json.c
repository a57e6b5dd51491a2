/*
 * fuzz_provider_json - libFuzzer harness for JSON provider reports: the
 * input is the report, parsed, checked by the C validator of
 * provider-report.schema.json and the report rules, and emitted when
 * clean. Invariants in provider_report_fuzz_host.h. Seeds:
 * tests/fuzz/corpus/provider_json.
 */
#include "provider_report_fuzz_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fz_check(data, size, pr_json_process);
}
