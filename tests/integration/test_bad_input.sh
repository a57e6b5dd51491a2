#!/usr/bin/env bash
# Bad input never corrupts what was stored or published: each broken table
# ends in a clear error naming the source and URL, an exchange-log record,
# no partial write to the store, and the published feeds untouched.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server G "$GW_SOURCE_DIR/tests/fixtures/statline"
it_start_server B "$GW_SOURCE_DIR/tests/fixtures/statline-bad"

bad_source() { # ID TABLE [EXTRA_JSON]
  printf '{"id":"%s","plugin":"cbs_odata","url":"%s/ODataFeed/odata/%s","params":{"dataset":"90001NED"%s}%s}' \
    "$1" "$BASE_B" "$2" "${3:-}" "${4:-}"
}

sources="[{\"id\":\"goed\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_G/ODataFeed/odata/90001NED\"}"
for t in BADJSON BADTRUNC BADHTTP BADHOST BADLOOP BADNOVALUE; do
  sources+=",$(bad_source "bad-${t,,}" "$t")"
done
sources+=",$(bad_source bad-topic BADTOPIC ',"topics":["Bijstandsuitkeringen"]')"
sources+=",$(bad_source bad-size BADJSON '' ',"limits":{"max_bytes":200}')"
sources+=",$(bad_source bad-period BADPERIOD '' ',"unknown_periods":"reject"')"
sources+="]"
it_write_config "$sources"

gw run goed >good.out 2>&1 || fail "good source failed: $(cat good.out)"
feed=feeds/indicators.json
sha_feed=$(sha_of "$feed")
count_before=$(gw export --format json | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['count'])")
[ "$count_before" -gt 0 ] || fail "nothing stored by the good source"
pass "baseline: $count_before observations published"

expect_failure() { # SOURCE NEEDLE...
  local src=$1 out rc=0
  shift
  gw run "$src" >"$src.out" 2>&1 || rc=$?
  out=$(cat "$src.out")
  [ "$rc" -eq 1 ] || fail "$src: expected exit 1, got $rc: $out"
  assert_contains "$out" "$src" "$src message"
  for needle in "$@"; do assert_contains "$out" "$needle" "$src message"; done
  grep -q "\"source\":\"$src\"" data/exchange.log || fail "$src: no exchange-log record"
  grep "\"source\":\"$src\"" data/exchange.log | grep -q '"event":"store".*"outcome":"aborted"' ||
    fail "$src: no aborted store record"
  local count_now
  count_now=$(gw export --format json | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['count'])")
  assert_eq "$count_now" "$count_before" "$src: observations after the failed run"
  assert_eq "$(sha_of "$feed")" "$sha_feed" "$src: published feed"
  pass "$src refused cleanly"
}

expect_failure bad-badjson "TypedDataSet" "line"
expect_failure bad-badtrunc "TypedDataSet" "line"
expect_failure bad-badhttp "http://127.0.0.1/" "origin"
expect_failure bad-badhost "evil.example.invalid" "origin"
expect_failure bad-badloop "loop"
expect_failure bad-badnovalue "value"
expect_failure bad-topic "Bijstandsuitkeringen"
expect_failure bad-size "exceeds the limit"

# Unknown period codes: rejected rows are reported, the run itself succeeds.
gw run bad-period >period.out 2>&1 || fail "bad-period run failed: $(cat period.out)"
assert_contains "$(cat period.out)" "2017G400" "opaque period rejection"
rej=$(grep '"source":"bad-period"' data/exchange.log | grep '"event":"parse"' | "$PYTHON" -c "import json,sys; print(json.loads(sys.stdin.readline())['rejected'])")
[ "$rej" -gt 0 ] || fail "bad-period: no rejected rows recorded"
pass "opaque period codes are rejected with the code named when unknown_periods=reject"

gw audit verify >verify.out 2>&1 || fail "audit verify after failures: $(cat verify.out)"
pass "exchange log still verifies"
