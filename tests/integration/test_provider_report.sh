#!/usr/bin/env bash
# Provider reports end to end over local HTTPS: valid XML and JSON reports
# (Welzijn Diemen, a MaDi-like and a Markant-like provider) are stored with
# the reference values and markers; every refused report (schema
# violations, DOCTYPE, XXE, entity bomb, another municipality, a future
# period, an unknown indicator) exits 1 with a message naming the line or
# JSON path, and stores nothing.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server P "$GW_SOURCE_DIR/tests/fixtures/provider"

report_source() { # ID FILE
  printf '{"id":"%s","plugin":"provider_report","url":"%s/%s","params":{"municipality":"GM0384"}}' \
    "$1" "$BASE_P" "$2"
}

sources="[$(report_source welzijn welzijn-diemen-2021.xml)"
sources+=",$(report_source welzijn-json welzijn-diemen-2021.json)"
sources+=",$(report_source madi madi-2022-q1.xml)"
sources+=",$(report_source markant markant-2021.json)"
for bad in invalid-schema.xml invalid-schema.json doctype.xml xxe.xml billion-laughs.xml \
  other-municipality.xml other-municipality.json future-period.xml future-period.json \
  unknown-indicator.json; do
  sources+=",$(report_source "bad-${bad//./-}" "$bad")"
done
sources+="]"
it_write_config "$sources"

gw check >check.out 2>&1 || fail "gateway check: $(cat check.out)"
pass "check accepts provider_report sources"

gw --json run welzijn welzijn-json madi markant >run.json 2>run.err || fail "valid reports failed: $(cat run.err)"
for s in welzijn madi markant; do
  outcome=$(json_get run.json "[r['outcome'] for r in d['runs'] if r['source']=='$s'][0]")
  assert_eq "$outcome" ok "outcome of $s"
done
inserted=$(json_get run.json "sum(r['inserted'] for r in d['runs'])")
rejected=$(json_get run.json "sum(r['rejected'] for r in d['runs'])")
assert_eq "$rejected" "0" "observations rejected by the host"
# 16 (Welzijn, twice: XML and JSON as two sources) + 9 (MaDi) + 9 (Markant)
assert_eq "$inserted" "50" "observations stored"
pass "four valid reports stored ($inserted observations)"

feed=feeds/indicators.json
/usr/bin/python3 "$GW_SOURCE_DIR/tests/tools/validate_json.py" "$GW_SOURCE_DIR/schemas/observation.schema.json" "$feed" ||
  fail "JSON feed invalid"
obs() { # SOURCE INDICATOR AREA PERIOD FIELD [BREAKDOWN_PY_DICT]
  json_get "$feed" "[o['$5'] for o in d['observations'] if o['source']['id']=='$1' and o['indicator']=='$2' and o['area']=='$3' and o['period']=='$4' and o['breakdown']==${6:-{\}}][0]"
}
assert_eq "$(obs welzijn diemen_voor_elkaar_bemiddelingen GM0384 2020 value)" "97" "2.3.1 2020"
assert_eq "$(obs welzijn diemen_voor_elkaar_bemiddelingen GM0384 2021 value)" "175" "2.3.1 2021"
assert_eq "$(obs welzijn-json diemen_voor_elkaar_bemiddelingen GM0384 2021 value)" "175" "2.3.1 2021 (JSON)"
assert_eq "$(obs welzijn mentoraat_vrijwilligers_deelnemers GM0384 2021 value)" "52" "4.2.3 2021"
assert_eq "$(obs welzijn welzijn_op_recept_trajecten GM0384 2020 value)" "11" "5.1.3 2020"
assert_eq "$(obs welzijn welzijn_op_recept_trajecten GM0384 2021 value)" "None" "5.1.3 2021 (NB) value"
assert_eq "$(obs welzijn welzijn_op_recept_trajecten GM0384 2021 status)" "missing" "5.1.3 2021 (NB) status"
assert_eq "$(obs welzijn huizen_van_de_buurt_activiteiten GM0384 2020 status)" "not_applicable" "2.2.1 N.v.t."
assert_eq "$(obs welzijn buurtsportcoaches_per_week GM0384 2020 value "{'measure':'bereik'}")" "75" "5.2.8 bereik 2020"
assert_eq "$(obs welzijn buurtsportcoaches_per_week GM0384 2020 unit "{'measure':'activiteiten'}")" "per_week" "5.2.8 unit"
assert_eq "$(obs madi beschermd_wonen_opvang GM0384 2022-Q1 value "{'type':'BW'}")" "38" "6.1.3 BW 2022-Q1"
assert_eq "$(obs madi beschermd_wonen_opvang GM0384 2021 status "{'type':'NO'}")" "missing" "6.1.3 NO 2021"
assert_eq "$(obs markant groot_naar_beter_bemiddelingen BU03840100 2021-Q4 status)" "not_yet_known" "6.1.6 n.n.b."
assert_eq "$(obs markant lokale_voorrang_sociale_huur_pct WK038401 2021-Q4 value)" "37.5" "6.1.2 decimal"
pass "stored values, markers, breakdowns and units match the reports"

sha_feed=$(sha_of "$feed")
count_before=$(gw export --format json | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['count'])")

# expect_refusal SOURCE NEEDLE...: the plugin refuses the report whole.
# (Only the first violation is printed unescaped; the list that follows is
# logfmt, so needles avoid quotes after the first.)
# With WHO=host the host refuses it before the plugin runs (the privacy
# guard parses XML payloads first and stops at an entity bomb itself).
expect_refusal() {
  local src=$1 out rc=0 count_now
  shift
  gw run "$src" >"$src.out" 2>&1 || rc=$?
  out=$(cat "$src.out")
  [ "$rc" -eq 1 ] || fail "$src: expected exit 1, got $rc: $out"
  [ "${WHO:-plugin}" = host ] || assert_contains "$out" "refused whole" "$src message"
  for needle in "$@"; do assert_contains "$out" "$needle" "$src message"; done
  grep "\"source\":\"$src\"" data/exchange.log | grep -q '"event":"store".*"outcome":"aborted"' ||
    fail "$src: no aborted store record in the exchange log"
  count_now=$(gw export --format json | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['count'])")
  assert_eq "$count_now" "$count_before" "$src: observations after the refusal"
  assert_eq "$(sha_of "$feed")" "$sha_feed" "$src: published feed"
  pass "$src refused: ${out%%$'\n'*}"
}

expect_refusal bad-invalid-schema-xml "6 violations" "line 8: " "kvk" "line 10: " "line 13: " \
  "line 19: " "12,5" "line 27: " "stuks" "line 35: " "client"
expect_refusal bad-invalid-schema-json "13 violations" '$.provider.kvk' '$.delivered' \
  '$.figures[0].value' '$.figures[1].unit' '$.figures[4].client' '$.figures[4].breakdown[0].dimension'
expect_refusal bad-doctype-xml "line 2: the report contains a DOCTYPE"
expect_refusal bad-xxe-xml "line 2: the report contains a DOCTYPE"
WHO=host expect_refusal bad-billion-laughs-xml "billion-laughs.xml" "entit"
expect_refusal bad-other-municipality-xml "the report is for GM0363" "accepts reports for GM0384"
expect_refusal bad-other-municipality-json '$.municipality: the report is for GM0363'
expect_refusal bad-future-period-xml "line 21: figure 2: period: \"2022-Q3\" lies in the future"
expect_refusal bad-future-period-json '$.delivered: "2099-01-15" lies in the future' \
  '$.figures[0].period: ' '2098-12' 'lies in the future'
expect_refusal bad-unknown-indicator-json '$.figures[4].indicator: "9.9.9" is not in the'
# The XXE fixture names /etc/passwd: nothing of it may appear anywhere.
if grep -rq "root:x:0" data feeds ./*.out 2>/dev/null; then fail "/etc/passwd content leaked"; fi
pass "no trace of the external entity's file"

gw audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
assert_contains "$(cat verify.out)" "intact"
pass "exchange log intact after all refusals"
