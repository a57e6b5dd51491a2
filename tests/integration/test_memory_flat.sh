#!/usr/bin/env bash
# Pages are parsed one at a time: the gateway's peak RSS must not grow with
# the number of pages. The same RIVM table is generated with 10 and with 100
# pages (same page size) and imported; peak RSS is reported by the gateway
# itself (getrusage). Runs the binary directly: RSS under valgrind would
# measure valgrind.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

measure() { # PAGES -> sets RSS (peak_rss_kb); never call in $(...): the
  # fixture server it starts must belong to this shell
  local pages=$1
  mkdir -p "fx$pages"
  "$PYTHON" "$GW_SOURCE_DIR/tests/fixtures/statline/generate.py" --out "fx$pages" \
    --pages-rivm "$pages" --page-size 1000 >/dev/null
  it_start_server "P$pages" "$WORK/fx$pages"
  local base_var="BASE_P$pages"
  it_write_config "[{\"id\":\"rivm\",\"plugin\":\"cbs_odata\",\"url\":\"${!base_var}/ODataFeed/odata/50120NED\"}]" '[]'
  rm -rf data
  "$GW_BIN" --config "$WORK/gateway.json" --json run >"run$pages.json" 2>"run$pages.err" ||
    fail "run with $pages pages failed: $(cat "run$pages.err")"
  local got
  got=$(json_get "run$pages.json" "[r['pages'] for r in d['runs']][0]")
  [ "$got" -ge "$pages" ] || fail "expected at least $pages pages, fetched $got"
  RSS=$(json_get "run$pages.json" "d['peak_rss_kb']")
}

measure 10
rss10=$RSS
measure 100
rss100=$RSS
echo "peak RSS: 10 pages ${rss10} KiB, 100 pages ${rss100} KiB"
if [ -n "${GW_SANITIZED:-}" ]; then
  # ASan's shadow memory and free quarantine make RSS grow with every
  # allocation; the comparison is made by the unsanitized (gcc) stage.
  pass "imports of 10 and 100 pages succeed (RSS compared in the unsanitized build)"
  exit 0
fi
# 10x the pages may cost at most 25% more memory (allocator noise, SQLite
# cache warm-up), never 10x.
limit=$((rss10 * 125 / 100))
[ "$rss100" -le "$limit" ] || fail "peak RSS grew from ${rss10} KiB to ${rss100} KiB with 10x the pages"
pass "memory is flat: ${rss10} KiB (10 pages) vs ${rss100} KiB (100 pages)"
