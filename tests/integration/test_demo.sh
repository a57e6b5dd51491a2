#!/usr/bin/env bash
# ops/demo.sh end to end, as a user runs it (minus install and build): every
# plugin's fixtures served over local HTTPS (the Swing mock demands its API
# key, one CSV comes from a drop folder), all sources imported, feeds and
# the monitor report written; the monitor reproduces the municipality's
# reference table: werkelijk 2020/2021 and begroot 2022/2023, every cell.
source "$(dirname "$0")/lib.sh"

out="$WORK/demo"
GW_SKIP_DEPS=1 GW_DEMO_NO_BUILD=1 GW_DEMO_BUILD="$GW_BUILD_DIR" GW_DEMO_OUT="$out" \
  bash "$GW_SOURCE_DIR/ops/demo.sh" >demo.out 2>&1 || fail "ops/demo.sh failed: $(tail -30 demo.out)"
assert_contains "$(cat demo.out)" "10 source(s), 0 failure(s)" "demo run summary"
assert_contains "$(cat demo.out)" "demo: done" "demo end"
for f in feeds/indicators.json feeds/indicators.xml feeds/indicators.csv monitor.html monitor.json monitor.csv; do
  [ -s "$out/$f" ] || fail "demo did not write $f"
done
pass "demo imports 10 sources of 4 plugins and writes feeds and the monitor report"

"$PYTHON" "$GW_SOURCE_DIR/tests/tools/compare_monitor.py" "$out/monitor.json" \
  "$GW_SOURCE_DIR/schemas/indicators.json" >cmp.out || fail "monitor differs from the reference table: $(cat cmp.out)"
pass "monitor reproduces the reference table: $(head -1 cmp.out)"

/usr/bin/python3 "$GW_SOURCE_DIR/tests/tools/validate_json.py" "$GW_SOURCE_DIR/schemas/observation.schema.json" \
  "$out/feeds/indicators.json" || fail "demo JSON feed invalid"
xmllint --noout --nonet --schema "$GW_SOURCE_DIR/schemas/feed.xsd" "$out/feeds/indicators.xml" 2>xml.err ||
  fail "demo XML feed invalid: $(cat xml.err)"
"$GW_BIN" --config "$out/gateway.json" audit verify >/dev/null || fail "demo exchange log does not verify"
if grep -rq "demo-key-not-secret" "$out/data" "$out/feeds" "$out"/monitor.*; then
  fail "the Swing API key was written to disk"
fi
pass "demo feeds validate, the exchange log verifies, the API key is nowhere on disk"
