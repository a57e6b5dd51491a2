/*
 * cbs_odata: memory stays flat as the table grows. The fake host serves the
 * RIVM first page over and over (N pages linked by nextLinks); jansson's
 * allocations are counted, and the peak must not depend on N. The fake host
 * also checks that every earlier payload was read to its end before the
 * next fetch (one page at a time).
 */
#include <criterion/criterion.h>

#include <stddef.h>

#include "cbs_odata_fake_host.h"

static size_t live_bytes;
static size_t peak_bytes;

union alloc_header {
  size_t size;
  max_align_t align;
};

static void *counting_malloc(size_t size) {
  union alloc_header *h = malloc(sizeof *h + size);
  if (!h)
    return NULL;
  h->size = size;
  live_bytes += size;
  if (live_bytes > peak_bytes)
    peak_bytes = live_bytes;
  return h + 1;
}

static void counting_free(void *p) {
  union alloc_header *h;
  if (!p)
    return;
  h = (union alloc_header *)p - 1;
  live_bytes -= h->size;
  free(h);
}

static void count_jansson(void) {
  json_set_alloc_funcs(counting_malloc, counting_free);
}

TestSuite(cbs_odata_memory, .init = count_jansson);

static size_t peak_for_pages(int pages, size_t *observations) {
  struct fake_host *h =
      fake_new("tests/fixtures/statline", "/ODataFeed/odata/50120NED");
  gw_result rc;
  size_t peak;
  cr_assert_not_null(h);
  fake_map_demo(h);
  h->repeat_path = "/ODataFeed/odata/50120NED/TypedDataSet";
  h->repeat_pages = pages;
  h->count_only = 1;
  json_object_set_new(h->params, "topics", json_pack("[s]", "Eenzaam"));
  peak_bytes = live_bytes;
  rc = fake_run(h);
  if (rc != GW_OK)
    fake_dump_logs(h);
  cr_assert_eq(rc, GW_OK);
  cr_expect_eq(h->max_unfinished_at_fetch, 0,
               "a payload was still being read when the next was fetched");
  *observations = h->obs_count;
  peak = peak_bytes - live_bytes;
  fake_free(h);
  return peak;
}

Test(cbs_odata_memory, peak_does_not_grow_with_the_number_of_pages) {
  size_t obs_small, obs_big;
  size_t small = peak_for_pages(2, &obs_small);
  size_t big = peak_for_pages(60, &obs_big);

  cr_expect_eq(obs_small, 2 * 200);
  cr_expect_eq(obs_big, 60 * 200);
  cr_expect_gt(small, 10000, "one parsed page is counted: %zu", small);
  cr_expect_leq(big, small + small / 10,
                "peak grew from %zu (2 pages) to %zu (60 pages)", small, big);
}

Test(cbs_odata_memory, one_page_in_memory_after_release) {
  size_t obs;
  size_t before = live_bytes;
  (void)peak_for_pages(3, &obs);
  cr_expect_eq(live_bytes, before, "every parsed document was released");
}
