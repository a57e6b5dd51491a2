/*
 * csv_export: memory stays flat as the file grows. The fake host generates
 * the rows on the fly (the body is never held anywhere), the plugin counts
 * every byte it allocates (csvx_mem), and the peak for 200,000 rows must
 * equal the peak for 2,000: one chunk, one record, one split row.
 */
#include <criterion/criterion.h>

#include "csv_export_fake_host.h"

struct memory_result {
  size_t peak;
  size_t live_after_run;
  size_t live_before_run;
  size_t observations;
};

static struct memory_result stream_rows(uint64_t rows, const char *encoding) {
  struct csv_fake_host *h = csv_fake_new();
  struct memory_result res;
  void *ctx = NULL;
  gw_result rc;

  cr_assert_not_null(h);
  h->generate_rows = rows;
  h->count_only = 1;
  h->read_chunk = 8192;
  csv_fake_param(h, "dataset", "swing_bulk");
  csv_fake_param(h, "area_column", "geoitem");
  csv_fake_param(h, "period_column", "period");
  csv_fake_param(h, "area_prefix", "GM");
  csv_fake_param(h, "encoding", encoding);
  h->map_all = 0;
  h->mapped[h->mapped_count++] = "bbv_bijstand";
  cr_assert_eq(
      csv_export_init(&h->api, (const struct gw_plugin_config *)h, &ctx),
      GW_OK);
  res.live_before_run = csv_export_live_bytes(ctx);
  csv_export_reset_peak(ctx);
  rc = csv_export_run(ctx, (struct gw_run *)h);
  if (rc != GW_OK)
    csv_dump(h);
  cr_assert_eq(rc, GW_OK);
  res.peak = csv_export_peak_bytes(ctx) - res.live_before_run;
  res.live_after_run = csv_export_live_bytes(ctx);
  res.observations = h->obs_count;
  cr_expect_eq(h->total_rejects, 0);
  csv_export_destroy(ctx);
  csv_fake_free(h);
  return res;
}

static void check_flat(const char *encoding) {
  struct memory_result small = stream_rows(2000, encoding);
  struct memory_result big = stream_rows(200000, encoding);

  cr_expect_eq(small.observations, 2000);
  cr_expect_eq(big.observations, 200000);
  cr_expect_geq(small.peak, CSVX_CHUNK_BYTES, "the read chunk is counted");
  cr_expect_lt(small.peak, CSVX_CHUNK_BYTES + 16 * 1024,
               "peak %zu: more than one chunk and one row", small.peak);
  cr_expect_eq(big.peak, small.peak,
               "peak grew from %zu (2,000 rows) to %zu (200,000 rows)",
               small.peak, big.peak);
  cr_expect_eq(big.live_after_run, big.live_before_run,
               "every buffer of the run was released");
}

Test(csv_export_memory, peak_does_not_grow_with_rows_auto_encoding) {
  check_flat("auto");
}

Test(csv_export_memory, peak_does_not_grow_with_rows_utf8) {
  check_flat("utf-8");
}
