#!/usr/bin/env bash
# Swing Open Data Service end to end: a mock instance over local HTTPS that
# wants an API key. The run stores the 13 BBV indicators for Diemen with the
# municipality's own werkelijk 2020/2021 figures (NB stays null), for both
# ExternalCode readings ("384" and "GM0384"); the key never reaches the
# exchange log or any other file the gateway writes; a wrong key, a variable
# that does not exist and a period without data fail with messages a data
# steward understands, and leave what was stored before untouched.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

KEY=test-key-123
it_start_server S "$GW_SOURCE_DIR/tests/fixtures/swing" --require-header "apikey: $KEY"
export SWING_APIKEY=$KEY

# swing_source ID INSTANCE_PATH [PERIODS_JSON [EXTRA_PARAMS_JSON]]
swing_source() {
  local periods=${3:-'["2020","2021"]'} extra=${4:-}
  printf '{"id":"%s","plugin":"swing_ods","url":"%s%s/jiveservices/odata","params":{"apikey":"${SWING_APIKEY}","periods":%s%s}}' \
    "$1" "$BASE_S" "$2" "$periods" "${extra:+,$extra}"
}

it_write_config "[$(swing_source wsjg ""), $(swing_source wsjg-gm /gmcodes)]"
gw check >check.out 2>&1 || fail "gateway check: $(cat check.out)"
pass "check accepts the config (apikey as a secret)"

gw --json run >run1.json 2>run1.err || fail "first run failed: $(cat run1.err)"
for s in wsjg wsjg-gm; do
  outcome=$(json_get run1.json "[r['outcome'] for r in d['runs'] if r['source']=='$s'][0]")
  assert_eq "$outcome" ok "outcome of $s"
  inserted=$(json_get run1.json "[r['inserted'] for r in d['runs'] if r['source']=='$s'][0]")
  assert_eq "$inserted" "78" "observations stored by $s (13 variables x 2 years x 3 areas)"
done
assert_eq "$(requests_with_status S 401)" "0" "requests refused during a run with the right key"
pass "both instances stored every BBV variable"

feed=feeds/indicators.json
# indicator code -> werkelijk 2020, 2021 ("null" = NB in the reference table)
expected="3.1.1 917 838
3.1.3 68.6 null
3.1.4 410 411
3.1.5 91 null
3.1.6 83 81
3.3.1 1 null
3.3.2 5 5
3.3.3 2.1 1.5
3.3.4 10.81 null
3.3.5 2 null
3.3.6 6.9 9.9
3.3.7 0.5 null
3.3.8 null 0.2"
ids=$(json_get "$GW_SOURCE_DIR/schemas/indicators.json" "' '.join(i['code']+'='+i['id'] for i in d['indicators'] if any(s['plugin']=='swing_ods' for s in i['sources']))")
while read -r code y2020 y2021; do
  id=""
  for pair in $ids; do [ "${pair%%=*}" = "$code" ] && id=${pair#*=}; done
  [ -n "$id" ] || fail "the catalogue maps no swing_ods variable to indicator $code"
  for src in wsjg wsjg-gm; do
    for year in 2020 2021; do
      want=$y2020
      [ "$year" = 2021 ] && want=$y2021
      got=$(json_get "$feed" "[('null' if o['value'] is None else '%g' % o['value']) + ' ' + o['status'] for o in d['observations'] if o['indicator']=='$id' and o['area']=='GM0384' and o['period']=='$year' and o['source']['id']=='$src'][0]")
      if [ "$want" = null ]; then
        assert_eq "$got" "null missing" "$code ($id) GM0384 $year from $src"
      else
        assert_eq "$got" "$want final" "$code ($id) GM0384 $year from $src"
      fi
    done
  done
done <<<"$expected"
pass "Diemen's figures equal the reference table (NB stays null, never 0)"

# The key is a secret: not in the exchange log, the store, the spool or
# anything else under the data dir, nor in the feeds or run output.
if grep -rl -- "$KEY" data feeds run1.json run1.err >leaks.txt 2>/dev/null; then
  fail "the API key leaked into: $(tr '\n' ' ' <leaks.txt)"
fi
grep -q '"event":"fetch"' data/exchange.log || fail "no fetch records in the exchange log"
gw audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
pass "the API key appears nowhere the gateway writes; the log verifies"

db_sha=$(sha_of data/gateway.db)
feed_sha=$(sha_of "$feed")

# A wrong key: 401, told as such, nothing changes.
export SWING_APIKEY=not-the-key
set +e
gw run wsjg >run2.out 2>run2.err
rc=$?
set -e
assert_eq "$rc" "1" "exit status with a wrong key"
assert_contains "$(cat run2.err)" "API key refused for source wsjg" "stderr with a wrong key"
[ "$(requests_with_status S 401)" -ge 1 ] || fail "the server saw no refused request"
grep -q -- "not-the-key" data/exchange.log && fail "the wrong key leaked into the exchange log"
assert_eq "$(sha_of "$feed")" "$feed_sha" "feed after a refused key"
pass "a wrong key fails the run with 'API key refused for source wsjg'"
export SWING_APIKEY=$KEY

# A variable that does not exist on the instance.
it_write_config "[$(swing_source wsjg "" "" '"variables":["bbv_jeugdhulp","bbv_bestaat_niet"]')]"
set +e
gw run >run3.out 2>run3.err
rc=$?
set -e
assert_eq "$rc" "1" "exit status with a nonexistent variable"
assert_contains "$(cat run3.err)" "Swing variable bbv_bestaat_niet does not exist on 127.0.0.1:" "stderr"
assert_contains "$(cat run3.err)" "(source wsjg)" "stderr"
pass "a nonexistent variable is named"

# A period the instance has no data for: 404, told as no data.
it_write_config "[$(swing_source wsjg "" '["2030"]' '"variables":["bbv_jeugdhulp"]')]"
set +e
gw run >run4.out 2>run4.err
rc=$?
set -e
assert_eq "$rc" "1" "exit status for a period without data"
assert_contains "$(cat run4.err)" "no data at this level/period (bbv_jeugdhulp, gemeente, 2030)" "stderr"
pass "a period without data is reported as 'no data at this level/period'"

# Nothing stored before was lost.
n=$(gw export --format json | "$PYTHON" -c "import json,sys; print(sum(1 for o in json.load(sys.stdin)['observations'] if o['source']['id'] in ('wsjg','wsjg-gm')))")
assert_eq "$n" "156" "Swing observations after the failed runs"
gw audit verify >verify2.out 2>&1 || fail "audit verify after failures: $(cat verify2.out)"
pass "failed runs kept the stored figures; the log still verifies (db was $db_sha)"
