/*
 * fuzz_normaliser - libFuzzer harness for normalise(), the step every raw
 * plugin row goes through before it reaches the store.
 *
 * The real catalogue (GW_DEFAULT_SCHEMA_DIR/indicators.json) is loaded
 * once. Each input encodes one gw_raw_observation:
 *   byte 0      status    (byte % 11) - 1, so -1 and 9 are out of range
 *   byte 1      component (byte % 5) - 1, so -1 and 3 are out of range
 *   byte 2      flags: 0x01 has_value, 0x02 reject opaque periods,
 *               0x04 context without plugin, 0x08 struct size too small
 *   bytes 3-10  the value's double bits (NaN and infinities included)
 *   then '\n'-separated text fields: dataset, source_code, area, period,
 *   indicator, unit, status_detail, and one "dimension=member" per further
 *   line (no '=' gives a NULL member). A missing field is NULL, an empty
 *   line an empty string. Short inputs are padded with zero bytes.
 * Invariants (trap on violation): OK means a catalogue indicator, a known
 * area level, non-empty area and period, a status other than UNSET, a
 * breakdown "{...}", a known unit, a valid component, a finite value when
 * there is one, and no value unless the status is final, provisional or
 * revised; REJECTED comes with a reason and an all-zero observation; every
 * string field is NUL-terminated.
 * Seeds: tests/fuzz/corpus/normaliser.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fuzz_support.h"
#include "normaliser.h"

#define HEADER_SIZE 11
#define FIELD_COUNT 7
#define ITEMS_MAX 20 /* more than the normaliser accepts (16) */
#define INPUT_MAX 4096

enum { F_DATASET, F_CODE, F_AREA, F_PERIOD, F_INDICATOR, F_UNIT, F_DETAIL };

static struct gw_catalogue *catalogue;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  char err[1024];
  (void)argc;
  (void)argv;
  if (catalogue_load(GW_DEFAULT_SCHEMA_DIR "/indicators.json", &catalogue, err,
                     sizeof err) != 0)
    abort(); /* the shipped catalogue must load */
  return 0;
}

struct decoded {
  char text[INPUT_MAX + 1];
  const char *field[FIELD_COUNT];
  struct gw_breakdown_item items[ITEMS_MAX];
  size_t item_count;
};

/* Splits text in place at '\n'; fills fields, then breakdown items. */
static void split_fields(struct decoded *d) {
  char *p = d->text;
  size_t n = 0;
  while (p && (n < FIELD_COUNT || d->item_count < ITEMS_MAX)) {
    char *nl = strchr(p, '\n');
    if (nl)
      *nl = '\0';
    if (n < FIELD_COUNT) {
      d->field[n++] = p;
    } else {
      struct gw_breakdown_item *item = &d->items[d->item_count++];
      char *eq = strchr(p, '=');
      item->dimension = p;
      item->member = NULL;
      if (eq) {
        *eq = '\0';
        item->member = eq + 1;
      }
    }
    p = nl ? nl + 1 : NULL;
  }
}

static int says_figure(gw_status s) {
  return s == GW_STATUS_FINAL || s == GW_STATUS_PROVISIONAL ||
         s == GW_STATUS_REVISED;
}

static int all_zero(const void *p, size_t n) {
  const unsigned char *b = p;
  size_t i;
  for (i = 0; i < n; i++) {
    if (b[i])
      return 0;
  }
  return 1;
}

#define TERMINATED(field) fuzz_terminated((field), sizeof(field))

static void check_ok(const struct gw_observation *o,
                     const struct gw_raw_observation *raw) {
  size_t blen;
  if (!TERMINATED(o->indicator) || !TERMINATED(o->area) ||
      !TERMINATED(o->period) || !TERMINATED(o->breakdown) ||
      !TERMINATED(o->unit) || !TERMINATED(o->source_id) ||
      !TERMINATED(o->plugin) || !TERMINATED(o->dataset) ||
      !TERMINATED(o->source_code) || !TERMINATED(o->fetched_at) ||
      !TERMINATED(o->payload_sha256) || !TERMINATED(o->span_id))
    __builtin_trap();
  if (!o->indicator[0] || !catalogue_find(catalogue, o->indicator) ||
      !o->area[0] || o->area_level == GW_AREA_UNKNOWN || !o->period[0])
    __builtin_trap();
  if (o->status <= GW_STATUS_UNSET || o->status > GW_STATUS_IMPOSSIBLE)
    __builtin_trap();
  blen = strlen(o->breakdown);
  if (blen < 2 || o->breakdown[0] != '{' || o->breakdown[blen - 1] != '}')
    __builtin_trap();
  if (!unit_is_known(o->unit))
    __builtin_trap();
  if (o->component != GW_COMPONENT_VALUE &&
      o->component != GW_COMPONENT_CI_LOW &&
      o->component != GW_COMPONENT_CI_HIGH)
    __builtin_trap();
  if (o->has_value && (!isfinite(o->value) || !says_figure(o->status)))
    __builtin_trap();
  /* a marker status from the source is kept and never carries a value */
  if (raw->status > GW_STATUS_REVISED && raw->status <= GW_STATUS_IMPOSSIBLE &&
      (o->status != raw->status || o->has_value))
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct decoded d;
  uint8_t header[HEADER_SIZE] = {0};
  struct gw_raw_observation raw;
  struct gw_observation out;
  struct gw_normalise_context ctx = {
      .catalogue = catalogue,
      .source_id = "fuzz-source",
      .plugin = "cbs_odata",
      .fetched_at = "2026-01-01T00:00:00.000Z",
      .payload_sha256 =
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      .span_id = "00f067aa0ba902b7",
  };
  char reason[512];
  size_t text_len;
  gw_normalise_result rc;

  memcpy(header, data, size < HEADER_SIZE ? size : HEADER_SIZE);
  memset(&d, 0, sizeof d);
  text_len = size > HEADER_SIZE ? size - HEADER_SIZE : 0;
  if (text_len > INPUT_MAX)
    text_len = INPUT_MAX;
  if (text_len)
    memcpy(d.text, data + HEADER_SIZE, text_len);
  d.text[text_len] = '\0';
  if (size > HEADER_SIZE)
    split_fields(&d);

  memset(&raw, 0, sizeof raw);
  raw.size = header[2] & 0x08 ? (uint32_t)(sizeof raw - 1) : sizeof raw;
  raw.status = (gw_status)((int)(header[0] % 11) - 1);
  raw.component = (gw_component)((int)(header[1] % 5) - 1);
  raw.has_value = header[2] & 0x01;
  memcpy(&raw.value, header + 3, sizeof raw.value);
  raw.dataset = d.field[F_DATASET];
  raw.source_code = d.field[F_CODE];
  raw.area = d.field[F_AREA];
  raw.period = d.field[F_PERIOD];
  raw.indicator = d.field[F_INDICATOR];
  raw.unit = d.field[F_UNIT];
  raw.status_detail = d.field[F_DETAIL];
  raw.breakdown = d.item_count ? d.items : NULL;
  raw.breakdown_count = d.item_count;
  raw.position = 1;
  ctx.reject_opaque_periods = (header[2] & 0x02) != 0;
  if (header[2] & 0x04)
    ctx.plugin = NULL;

  rc = normalise(&ctx, &raw, &out, reason, sizeof reason);
  if (!fuzz_terminated(reason, sizeof reason))
    __builtin_trap();
  switch (rc) {
  case GW_NORMALISE_OK:
    check_ok(&out, &raw);
    break;
  case GW_NORMALISE_REJECTED:
    if (!reason[0] || !all_zero(&out, sizeof out))
      __builtin_trap();
    break;
  case GW_NORMALISE_UNMAPPED:
    break;
  default:
    __builtin_trap();
  }
  return 0;
}
