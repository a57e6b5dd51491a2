#!/usr/bin/env bash
# The privacy guard (DESIGN 10): a payload holding a person-level record
# (here the test BSN 999900006 in a field named Bsn) is refused whole
# before the plugin reads it, quarantined, and logged as a `refuse` record
# with the field path and a salted hash, never the value.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/privacy"
it_write_config "[{\"id\":\"personen\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/PERSONEN\",\"params\":{\"dataset\":\"90001NED\"}}]"

rc=0
gw run >run.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a person-level payload was not refused (exit $rc): $(cat run.out)"
assert_contains "$(cat run.out)" "person-level data" "refusal message"
assert_contains "$(cat run.out)" "bsn" "finding kind"
if grep -q 999900006 run.out data/exchange.log; then
  fail "the BSN value leaked into the output or the exchange log"
fi
rec=$(grep '"event":"refuse"' data/exchange.log | head -1)
[ -n "$rec" ] || fail "no refuse record"
assert_contains "$rec" '"finding":"bsn"' "refuse record"
assert_contains "$rec" 'Bsn' "field path in the refuse record"
echo "$rec" | grep -q '"value_hash_salted":"[0-9a-f]\{64\}"' || fail "no salted hash: $rec"
q=$(ls data/quarantine 2>/dev/null | wc -l)
[ "$q" -eq 1 ] || fail "expected one quarantined payload, found $q"
perm=$(stat -c %a data/quarantine/*)
assert_eq "$perm" "600" "quarantined file mode"
if ls data/spool 2>/dev/null | grep -q "$(ls data/quarantine)"; then
  fail "the refused payload is still in the spool"
fi
n=$(gw export --format json | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['count'])")
assert_eq "$n" "0" "observations stored from a refused payload"
gw audit verify >/dev/null 2>&1 || fail "exchange log does not verify"
pass "person-level payload refused, quarantined (0600), logged with path and salted hash only"
