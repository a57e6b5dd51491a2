#!/usr/bin/env bash
# Allocation failure (docs/robustness.md): a whole small import - config,
# catalogue, plugins, a CSV and a CBS OData source over local HTTPS, store,
# exchange log, JSON, XML and CSV feeds - is first run with GW_ALLOC_STATS=1
# to learn how many allocations the host code makes through gw_alloc
# (jansson's are not counted: see gw_alloc.h), then once for EVERY N from 1
# to that number with GW_FAIL_ALLOC_AT=N, in parallel. Each run must:
#   - end with an exit status (0, 1 or 2), never a signal, and without an
#     ASan/UBSan/LeakSanitizer report (in the ASan build leaks are checked
#     at exit: that is the "no leak" proof);
#   - when it fails, say so on stderr with "out of memory" or "alloc";
#   - when it succeeds, have published the complete feeds and written every
#     exchange record of a complete import, none without its URL;
#   - leave a store that opens (`gateway status`) and an exchange log that
#     verifies (`gateway audit verify`), both run without fault injection.
# The runs' data directories live on /dev/shm when there is one: fsync there
# costs nothing, and durability is not what is tested here.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# Under valgrind one run of this import takes about 10 s: the full sweep
# would take most of an hour. The leak proof is the ASan stage
# (detect_leaks=1); here the sweep runs the plain binary, and says so.
if [ -n "$GW_WRAPPER" ]; then
  echo "# GW_WRAPPER ($GW_WRAPPER) is not used for the sweep: ~10 s per run under valgrind; leaks are checked by the ASan build"
  GW_WRAPPER=
fi

# --- the import: the municipality's own CSV, a CBS v4 table cut down to one
# page of three observations, and a catalogue cut down to the indicators
# they feed, so that the full sweep stays short.
mkdir -p fx/odata/v1/CBS
cp "$GW_SOURCE_DIR/tests/fixtures/csv/diemen_lokaal.csv" fx/
cp -r "$GW_SOURCE_DIR/tests/fixtures/statline/odata/v1/CBS/90002NED.json" \
  "$GW_SOURCE_DIR/tests/fixtures/statline/odata/v1/CBS/90002NED" fx/odata/v1/CBS/
rm fx/odata/v1/CBS/90002NED/Observations.skip*
"$PYTHON" - "$GW_SOURCE_DIR/schemas/indicators.json" catalogue.json fx/odata/v1/CBS/90002NED/Observations.json <<'PY'
import json, sys
cat = json.load(open(sys.argv[1], encoding="utf-8"))
cat["indicators"] = [i for i in cat["indicators"]
                     if any(s.get("dataset") in ("diemen_lokaal", "90002NED") for s in i["sources"])]
json.dump(cat, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
page = json.load(open(sys.argv[3], encoding="utf-8"))
page["value"] = page["value"][:3]
del page["@odata.nextLink"]
json.dump(page, open(sys.argv[3], "w", encoding="utf-8"))
PY
it_start_server C "$WORK/fx"
it_write_config "[{\"id\":\"diemen-lokaal\",\"plugin\":\"csv_export\",\"url\":\"$BASE_C/diemen_lokaal.csv\",
  \"params\":{\"dataset\":\"diemen_lokaal\",\"area_column\":\"Gemeente\",\"period_column\":\"Jaar\",\"area_prefix\":\"GM\"}},
  {\"id\":\"jeugdhulp\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_C/odata/v1/CBS/90002NED\"}]" \
  '[{"format":"json","path":"feeds/indicators.json"},{"format":"xml","path":"feeds/indicators.xml"},{"format":"csv","path":"feeds/indicators.csv"}]'
"$PYTHON" - gateway.json "$WORK/catalogue.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["catalogue"] = sys.argv[2]
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY

if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  SWEEP=$(mktemp -d /dev/shm/gw-alloc-XXXXXX)
else
  SWEEP=$WORK/sweep
  mkdir -p "$SWEEP"
fi
trap '[ -n "${GW_KEEP_WORK:-}" ] || rm -rf "$SWEEP"; it_cleanup' EXIT
cp gateway.json "$SWEEP/gateway.json"

# Sanitizer reports must not hide behind the gateway's own exit status 1.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:exitcode=87"

# --- counting run
mkdir -p "$SWEEP/count"
cp gateway.json "$SWEEP/count/"
# --jobs 1: one source after the other, so that allocation N is the same
# one in every run and a failing N reproduces.
GW_ALLOC_STATS=1 $GW_WRAPPER "$GW_BIN" --config "$SWEEP/count/gateway.json" -q run --jobs 1 \
  >count.out 2>count.err || fail "the import without faults failed: $(cat count.err)"
TOTAL=$(sed -n 's/^gw_alloc: \([0-9][0-9]*\) allocations$/\1/p' count.err)
[ -n "$TOTAL" ] || fail "GW_ALLOC_STATS printed no count: $(cat count.err)"
[ "$TOTAL" -gt 100 ] || fail "only $TOTAL allocations counted"
FEED_LINES=$(wc -l <"$SWEEP/count/feeds/indicators.csv")
# the exchange records of a complete import (checkpoints aside)
RECORDS=$(grep -vc '"event":"checkpoint"' "$SWEEP/count/data/exchange.log")
[ "$FEED_LINES" -gt 10 ] || fail "the import published only $FEED_LINES CSV lines"
pass "the import makes $TOTAL allocations and publishes $((FEED_LINES - 1)) observations"

# --- one run with the Nth allocation failing; prints "N VERDICT detail".
cat >sweep_one.sh <<'SH'
#!/usr/bin/env bash
n=$1
d=$SWEEP/$n
mkdir -p "$d" && cp "$SWEEP/gateway.json" "$d/" || { echo "$n BAD cannot create $d"; exit 0; }
rc=0
GW_FAIL_ALLOC_AT=$n $GW_WRAPPER "$GW_BIN" --config "$d/gateway.json" run --jobs 1 >"$d/out" 2>"$d/err" || rc=$?
verdict=
if grep -aqE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|Undefined)' "$d/err"; then
  verdict="sanitizer report (exit status $rc)"
elif [ "$rc" -gt 2 ]; then
  verdict="crash: exit status $rc"
elif [ "$rc" -ne 0 ] && ! grep -aqiE 'out of memory|alloc' "$d/err"; then
  verdict="failed ($rc) without an out-of-memory message"
elif [ "$rc" -eq 0 ] && [ "$(wc -l <"$d/feeds/indicators.csv" 2>/dev/null)" != "$FEED_LINES" ]; then
  verdict="succeeded without the complete CSV feed"
elif [ "$rc" -eq 0 ] && { [ ! -s "$d/feeds/indicators.json" ] || [ ! -s "$d/feeds/indicators.xml" ]; }; then
  verdict="succeeded without the JSON or XML feed"
elif [ "$rc" -eq 0 ] && [ "$(grep -vc '"event":"checkpoint"' "$d/data/exchange.log")" != "$RECORDS" ]; then
  verdict="succeeded without every exchange record"
elif [ "$rc" -eq 0 ] && grep -q '"url":""' "$d/data/exchange.log"; then
  verdict="succeeded with a record that lost its URL"
elif ! "$GW_BIN" --config "$d/gateway.json" -q status >"$d/status" 2>&1; then
  verdict="the store does not open afterwards"
elif [ -e "$d/data/exchange.log" ] &&
  ! "$GW_BIN" --config "$d/gateway.json" -q audit verify >"$d/verify" 2>&1; then
  verdict="audit verify fails afterwards"
fi
if [ -n "$verdict" ]; then
  echo "$n BAD $verdict: $(grep -av '^$' "$d/err" | head -3 | tr '\n' '|' | cut -c1-300)"
  exit 0 # kept for a look
fi
if [ "$rc" -eq 0 ]; then echo "$n succeeded"; else echo "$n failed-cleanly $rc"; fi
rm -rf "$d"
SH
export SWEEP GW_BIN GW_WRAPPER FEED_LINES RECORDS

t0=$(date +%s)
seq 1 "$TOTAL" | xargs -P "$(nproc)" -n 1 bash sweep_one.sh >sweep.out
SECONDS_TAKEN=$(($(date +%s) - t0))
swept=$(wc -l <sweep.out)
assert_eq "$swept" "$TOTAL" "runs swept"
bad=$(grep -c ' BAD ' sweep.out || true)
clean=$(grep -c ' failed-cleanly ' sweep.out || true)
ok=$(grep -c ' succeeded' sweep.out || true)
echo "# N=1..$TOTAL in ${SECONDS_TAKEN} s on $(nproc) CPUs${GW_WRAPPER:+ under $GW_WRAPPER}: $clean failed cleanly, $ok succeeded, $bad bad"
if [ "$bad" -ne 0 ]; then
  GW_KEEP_WORK=1
  sort -n sweep.out | grep ' BAD ' >bad.out || true
  head -20 bad.out >&2
  fail "$bad of $TOTAL allocation failures were not handled cleanly (run dirs kept in $SWEEP)"
fi
[ "$clean" -gt 0 ] || fail "no injected failure made the import fail: is GW_FAIL_ALLOC_AT read?"
pass "every one of the $TOTAL allocations failed once: $clean clean failures, $ok runs that succeeded with complete feeds, store and log intact every time"
