#!/usr/bin/env bash
# No log, no exchange: when the exchange log cannot be written, a run must
# fail and store nothing, and the published feeds stay as they were.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
it_write_config "[{\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"}]"
gw run >first.out 2>&1 || fail "baseline run failed: $(cat first.out)"
sha_feed=$(sha_of feeds/indicators.json)
[ -s data/exchange.log ] || fail "baseline wrote no exchange log"

# Same store and feeds, but a log that refuses every write (ENOSPC).
sed -e 's|"path": "data/exchange.log"|"path": "/dev/full"|' gateway.json >full.json
grep -q '/dev/full' full.json || fail "could not point the log at /dev/full"
# A new source id, so a stored figure can only have come from this run.
sed -i 's|"id":"sociaal-domein"|"id":"zonder-log"|' full.json
rc=0
$GW_WRAPPER "$GW_BIN" --config full.json run >full.out 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a run without a writable exchange log succeeded: $(cat full.out)"
assert_contains "$(cat full.out)" "no log, no exchange" "refusal message"
n=$(gw export --format json | "$PYTHON" -c "import json,sys; print(sum(1 for o in json.load(sys.stdin)['observations'] if o['source']['id']=='zonder-log'))")
assert_eq "$n" "0" "observations stored by the run without a log"
assert_eq "$(sha_of feeds/indicators.json)" "$sha_feed" "published feed"
pass "a run whose exchange log cannot be written fails, stores nothing, publishes nothing"
