#!/usr/bin/env bash
# The national benchmark (tests/bench/run_national.sh) in miniature, without
# timings: a tiny generated RIVM Gezondheidsmonitor table (one municipality
# with its districts and neighbourhoods, pages of 200 rows, Marges
# outermost) is imported by the gateway and by the pandas baseline script,
# and both feeds must hold exactly the same observations. If the two
# normalisations drift apart (periods, trimmed codes, the Marges join,
# statuses), the benchmark would compare different work; this test fails
# first. pandas missing is a failure, not a skip: ops/lib/deps.sh installs
# python3-pandas.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

PANDAS_PYTHON=${PANDAS_PYTHON:-/usr/bin/python3}
BENCH=$GW_SOURCE_DIR/tests/bench

"$PANDAS_PYTHON" -c "import pandas" 2>pandas.err ||
  fail "$PANDAS_PYTHON cannot import pandas, which the benchmark baseline needs (Debian python3-pandas, installed by ops/lib/deps.sh): $(tail -1 pandas.err)"

"$PYTHON" "$BENCH/gen_statline_national.py" --out table --scale 0.002 --page-size 200 2>gen.err ||
  fail "generator: $(cat gen.err)"
expected=$(json_get table/manifest.json "d['observations_per_table']")
pages=$(json_get table/manifest.json "d['tables'][0]['pages']")
[ "$pages" -ge 3 ] || fail "the generated table has $pages pages; the test needs a nextLink chain"

it_start_server T "$WORK/table"
url=$BASE_T/ODataFeed/odata/50120NED
it_write_config "[{\"id\":\"rivm-national\",\"plugin\":\"cbs_odata\",\"url\":\"$url\"}]" \
  '[{"format":"json","path":"feeds/indicators.json"}]'
sed -i "s#\"catalogue\": \"[^\"]*\"#\"catalogue\": \"$WORK/table/catalogue.json\"#" gateway.json

gw --json run --no-progress >run.json 2>run.err || fail "gateway run: $(tail -5 run.err)"
assert_eq "$(json_get run.json "d['runs'][0]['outcome']")" ok "gateway outcome"
fetched=$(json_get run.json "d['runs'][0]['pages']")
[ "$fetched" -gt "$pages" ] || fail "gateway fetched $fetched documents; the table has $pages data pages plus metadata"
assert_eq "$(json_get feeds/indicators.json "d['count']")" "$expected" "gateway observations"
pass "gateway imported $expected observations from $pages linked pages"

"$PANDAS_PYTHON" "$BENCH/pandas_normalise.py" --url "$url" --catalogue table/catalogue.json \
  --cafile certs/ca.crt --out pandas.json >pandas.out 2>pandas.err ||
  fail "pandas script: $(tail -5 pandas.err)"
assert_eq "$(json_get pandas.json "d['count']")" "$expected" "pandas observations"
pass "pandas script wrote $expected observations"

# The table exercises every rule the comparison is about.
for cond in "o['status']=='provisional'" "o['status']=='missing'" \
  "o['status']=='final' and o['ci_low'] is not None" \
  "o['value'] is not None and o['ci_low'] is None" \
  "o['area_level']=='neighbourhood'" "o['area_level']=='country'"; do
  n=$(json_get feeds/indicators.json "sum(1 for o in d['observations'] if $cond)")
  [ "$n" -gt 0 ] || fail "no observation with $cond in the gateway feed"
done
pass "feed has provisional, missing, bounded and unbounded figures at every level"

"$PYTHON" "$BENCH/compare_outputs.py" feeds/indicators.json pandas.json >compare.out 2>&1 ||
  fail "gateway and pandas feeds differ:"$'\n'"$(cat compare.out)"
assert_contains "$(cat compare.out)" "SAME: both feeds hold the same $expected observations"
pass "gateway and pandas feeds hold the same observations"

# The checker must see a planted difference (else the check above proves nothing).
"$PYTHON" - pandas.json planted.json <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
i = next(n for n, l in enumerate(lines) if '"status":"final"' in l)
lines[i] = lines[i].replace('"status":"final"', '"status":"revised"', 1)
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(lines))
PY
rc=0
"$PYTHON" "$BENCH/compare_outputs.py" feeds/indicators.json planted.json >planted.out 2>&1 || rc=$?
assert_eq "$rc" 1 "checker exit status on a planted difference"
assert_contains "$(cat planted.out)" "status differs: 1"
pass "checker reports a planted difference"
