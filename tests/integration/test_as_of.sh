#!/usr/bin/env bash
# gateway export --as-of reproduces what the published feeds held at that
# moment: a first run publishes feeds, a second run against changed data
# revises one figure and republishes; an as-of export at a time between
# the runs gives the first feeds' observations exactly (CSV byte for byte;
# JSON and XML apart from their generated_at/as_of header), and one at a
# time after the second run gives the second feeds'.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

cp -r "$GW_SOURCE_DIR/tests/fixtures/statline" fx
TABLE=fx/ODataFeed/odata/90001NED/TypedDataSet.json
ROW='"GM0384    ","Perioden":"2020JJ00"'
grep -q "$ROW.*\"Bijstandsuitkeringen_6\":410," "$TABLE" || fail "fixture row not found"

it_start_server S "$WORK/fx"
it_write_config "[{\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"},
 {\"id\":\"rivm-gezondheid\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/50120NED\"}]"

gw run >run1.out 2>&1 || fail "first run failed: $(cat run1.out)"
mkdir v1 && cp feeds/indicators.* v1/
sleep 1.2
T_BETWEEN=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
sleep 1.2

sed -i "/$ROW/s/\"Bijstandsuitkeringen_6\":410,/\"Bijstandsuitkeringen_6\":999,/" "$TABLE"
grep -q "$ROW.*\"Bijstandsuitkeringen_6\":999," "$TABLE" || fail "fixture edit did not apply"
gw --json run >run2.json 2>run2.err || fail "second run failed: $(cat run2.err)"
assert_eq "$(json_get run2.json "sum(r['revised'] for r in d['runs'])")" 1 "figures revised by the second run"
mkdir v2 && cp feeds/indicators.* v2/
cmp -s v1/indicators.csv v2/indicators.csv && fail "the second run did not change the CSV feed"
sleep 1.2
T_AFTER=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)

# same_observations A B: the JSON feeds hold the same observations.
same_observations() {
  "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p, encoding="utf-8-sig")) for p in sys.argv[1:3])
if a["observations"] != b["observations"]:
    print("observations differ: %d vs %d" % (len(a["observations"]), len(b["observations"])))
    sys.exit(1)
PY
}

# XML without the header attributes that name the export and say when and
# as of what it was written.
strip_xml_header() {
  sed -E 's/ (name|generated_at|as_of)="[^"]*"//g' "$1"
}

for when in BETWEEN AFTER; do
  t_var="T_$when"
  dir=v1
  [ "$when" = AFTER ] && dir=v2
  gw export --format csv --as-of "${!t_var}" -o "asof-$when.csv" || fail "as-of CSV export ($when)"
  cmp -s "asof-$when.csv" "$dir/indicators.csv" ||
    fail "as-of CSV at ${!t_var} differs from the feed then published ($dir): $(diff "asof-$when.csv" "$dir/indicators.csv" | head -5)"
  gw export --format json --as-of "${!t_var}" -o "asof-$when.json" || fail "as-of JSON export ($when)"
  same_observations "asof-$when.json" "$dir/indicators.json" || fail "as-of JSON at ${!t_var} differs from $dir"
  gw export --format xml --as-of "${!t_var}" -o "asof-$when.xml" || fail "as-of XML export ($when)"
  [ "$(strip_xml_header "asof-$when.xml")" = "$(strip_xml_header "$dir/indicators.xml")" ] ||
    fail "as-of XML at ${!t_var} differs from $dir"
done
# The same instant written without milliseconds means the same state.
gw export --format csv --as-of "${T_BETWEEN%.000Z}Z" -o asof-plain.csv || fail "as-of without milliseconds"
cmp -s asof-plain.csv v1/indicators.csv || fail "as-of ${T_BETWEEN%.000Z}Z differs from ${T_BETWEEN}"
grep -q ";GM0384;municipality;2020;;410;" asof-BETWEEN.csv || fail "the as-of CSV between the runs lacks the old figure 410"
grep -q ";GM0384;municipality;2020;;999;" asof-AFTER.csv || fail "the as-of CSV after the runs lacks the new figure 999"
pass "--as-of between the runs reproduces the first feeds, after them the second (CSV byte for byte, JSON and XML observations)"

rc=0
gw export --format csv --as-of "yesterday" -o bad.csv 2>bad.err || rc=$?
assert_eq "$rc" 2 "exit status of a malformed --as-of"
pass "a malformed --as-of is a usage error"
