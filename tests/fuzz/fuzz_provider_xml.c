/*
 * fuzz_provider_xml - libFuzzer harness for XML provider reports: the input
 * is the report, streamed through the byte guard, the schema-validating
 * reader (pass 1) and, when clean, the emitting reader (pass 2). Reads are
 * split unevenly so markup crosses read boundaries. Invariants in
 * provider_report_fuzz_host.h. Seeds: tests/fuzz/corpus/provider_xml.
 */
#include "provider_report_fuzz_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fz_check(data, size, pr_xml_process);
}
