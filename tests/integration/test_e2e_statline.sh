#!/usr/bin/env bash
# End to end: three StatLine sources (CBS v3, RIVM health monitor with
# Marges, CBS v4) over local HTTPS into the store and the three feeds; the
# feeds validate against their schemas; a second run costs only 304s and
# creates no revision; the exchange log verifies.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
it_write_config "[
  {\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"},
  {\"id\":\"rivm-gezondheid\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/50120NED\"},
  {\"id\":\"jeugdhulp\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/odata/v1/CBS/90002NED\"}]"

gw check >check.out 2>&1 || fail "gateway check: $(cat check.out)"
pass "check accepts the config"

gw --json run >run1.json 2>run1.err || fail "first run failed: $(cat run1.err)"
for s in sociaal-domein rivm-gezondheid jeugdhulp; do
  outcome=$(json_get run1.json "[r['outcome'] for r in d['runs'] if r['source']=='$s'][0]")
  assert_eq "$outcome" ok "outcome of $s"
  inserted=$(json_get run1.json "[r['inserted'] for r in d['runs'] if r['source']=='$s'][0]")
  [ "$inserted" -gt 0 ] || fail "$s stored nothing"
done
pages=$(json_get run1.json "[r['pages'] for r in d['runs'] if r['source']=='rivm-gezondheid'][0]")
[ "$pages" -ge 6 ] || fail "rivm-gezondheid fetched only $pages pages"
pass "first run stored all three sources"

feed=feeds/indicators.json
[ -f "$feed" ] && [ -f feeds/indicators.xml ] && [ -f feeds/indicators.csv ] || fail "feeds missing"
/usr/bin/python3 "$GW_SOURCE_DIR/tests/tools/validate_json.py" "$GW_SOURCE_DIR/schemas/observation.schema.json" "$feed" || fail "JSON feed invalid"
xmllint --noout --nonet --schema "$GW_SOURCE_DIR/schemas/feed.xsd" feeds/indicators.xml 2>xml.err || fail "XML feed invalid: $(cat xml.err)"
pass "feeds validate against observation.schema.json and feed.xsd"

# Figures that must match the municipality's own reference table.
v=$(json_get "$feed" "[o['value'] for o in d['observations'] if o['indicator']=='bijstand_per_10k' and o['area']=='GM0384' and o['period']=='2020'][0]")
assert_eq "$v" "410" "bijstand_per_10k GM0384 2020"
st=$(json_get "$feed" "[o['status'] for o in d['observations'] if o['indicator']=='bijstand_per_10k' and o['area']=='GM0384' and o['period']=='2022'][0]")
assert_eq "$st" "provisional" "status of a Voorlopig period"
# Marges joined: every RIVM value with bounds has low <= value <= high.
bad=$(json_get "$feed" "sum(1 for o in d['observations'] if o['source']['dataset']=='50120NED' and o.get('ci_low') is not None and not (o['ci_low'] <= o['value'] <= o['ci_high']))")
assert_eq "$bad" "0" "RIVM observations with inconsistent bounds"
joined=$(json_get "$feed" "sum(1 for o in d['observations'] if o['source']['dataset']=='50120NED' and o.get('ci_low') is not None)")
[ "$joined" -gt 0 ] || fail "no RIVM observation carries confidence bounds"
age=$(json_get "$feed" "sorted({o['breakdown'].get('age') for o in d['observations'] if o['source']['dataset']=='50120NED'})[0]")
[ -n "$age" ] || fail "RIVM observations have no age breakdown"
zero_missing=$(json_get "$feed" "sum(1 for o in d['observations'] if o['status'] in ('missing','suppressed') and o['value'] is not None)")
assert_eq "$zero_missing" "0" "missing observations with a value"
keys_trimmed=$(json_get "$feed" "sum(1 for o in d['observations'] if o['area'] != o['area'].strip())")
assert_eq "$keys_trimmed" "0" "untrimmed area codes"
pass "values, statuses, bounds, breakdowns and trimmed codes are right"

count=$(json_get "$feed" "d['count']")
exported=$(gw export --format json | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['count'])")
assert_eq "$exported" "$count" "observations in export vs feed"
csv_rows=$(($(wc -l <feeds/indicators.csv) - 1))
assert_eq "$csv_rows" "$count" "CSV rows"
pass "export command and CSV agree with the feed ($count observations)"

sha_before=$(sha_of "$feed")
before_total=$(requests_total S)
gw --json run >run2.json 2>run2.err || fail "second run failed: $(cat run2.err)"
after_total=$(requests_total S)
n304=$(requests_with_status S 304)
new_requests=$((after_total - before_total))
[ "$new_requests" -gt 0 ] || fail "second run made no requests"
assert_eq "$n304" "$new_requests" "requests of the second run answered 304"
revised=$(json_get run2.json "sum(r['inserted']+r['revised'] for r in d['runs'])")
assert_eq "$revised" "0" "new or revised observations on an unchanged re-run"
assert_eq "$(sha_of "$feed")" "$sha_before" "feed after an unchanged re-run"
pass "unchanged re-run: $new_requests requests, all 304, no revision, feed untouched"

gw audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
assert_contains "$(cat verify.out)" "intact"
for ev in plugin_load fetch parse store export; do
  grep -q "\"event\":\"$ev\"" data/exchange.log || fail "no $ev record in the exchange log"
done
grep -q '"peer_cert_sha256":"[0-9a-f]\{64\}"' data/exchange.log || fail "fetch records lack the peer certificate fingerprint"
grep -q '"payload_sha256":"[0-9a-f]\{64\}"' data/exchange.log || fail "fetch records lack the payload digest"
tp=$("$PYTHON" -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if (json.loads(l).get('traceparent') or '').startswith('00-')))" "$WORK/S.requests")
[ "$tp" -gt 0 ] || fail "outbound requests carry no traceparent header"
pass "exchange log verifies and records fetch/parse/store/export with TLS identity"

gw status >status.out || fail "status failed"
assert_contains "$(cat status.out)" "rivm-gezondheid"
pass "status lists the sources"
