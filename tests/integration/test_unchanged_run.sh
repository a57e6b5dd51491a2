#!/usr/bin/env bash
# An unchanged source costs conditional GETs only: after a committed run,
# the next run asks for the same pages with their validators, and when
# every one answers 304 the plugin is not run, nothing is parsed or
# staged, and the feeds stay as they are. A changed page, a changed config
# or a lost page list each bring back a full run.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# A copy of the fixtures the test can change under the server.
cp -r "$GW_SOURCE_DIR/tests/fixtures/statline" root
it_start_server S "$WORK/root"
it_write_config "[{\"id\":\"cbs\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"}]"
manifest=data/state/cbs.pages.json

gw --json run >first.json 2>first.err || fail "first run: $(cat first.err)"
inserted=$(json_get first.json "d['runs'][0]['inserted']")
[ "$inserted" -gt 0 ] || fail "the first run stored nothing"
[ -f "$manifest" ] || fail "no page list after a committed run"
pages=$(json_get "$manifest" "len(d['pages'])")
[ "$pages" -ge 3 ] || fail "the page list has $pages pages"
feeds0=$(cat feeds/indicators.json feeds/indicators.xml feeds/indicators.csv | sha256sum)
pass "a committed run leaves its page list ($pages pages)"

# ---- nothing changed: conditional GETs only ---------------------------------
before=$(requests_total S)
log_before=$(wc -l <data/exchange.log)
gw --json run >second.json 2>second.err || fail "unchanged run: $(cat second.err)"
assert_eq "$(json_get second.json "d['runs'][0]['outcome']")" ok "unchanged run: outcome"
assert_eq "$(json_get second.json "d['runs'][0]['pages']")" "$pages" "unchanged run: pages asked"
assert_eq "$(json_get second.json "d['runs'][0]['not_modified']")" "$pages" "unchanged run: 304s"
assert_eq "$(json_get second.json "d['runs'][0]['emitted']")" 0 "unchanged run: rows parsed"
assert_eq "$(json_get second.json "d['runs'][0]['inserted'] + d['runs'][0]['revised']")" 0 "unchanged run: stored"
assert_eq "$(($(requests_total S) - before))" "$pages" "unchanged run: requests"
"$PYTHON" - "$WORK/S.requests" "$before" <<'PY' || fail "unchanged run: not every request was a 304 with a validator"
import json, sys
lines = open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]
bad = [l for l in map(json.loads, lines) if l["status"] != 304 or not l.get("if_none_match")]
sys.exit(1 if bad else 0)
PY
tail -n +"$((log_before + 1))" data/exchange.log >second.log
grep -q '"event":"parse".*"outcome":"skipped"' second.log || fail "no skipped parse record: $(cat second.log)"
grep -q '"event":"store".*"outcome":"unchanged"' second.log || fail "no unchanged store record"
assert_eq "$(grep -c '"event":"fetch".*"not_modified":true' second.log)" "$pages" "304 fetch records"
assert_eq "$(cat feeds/indicators.json feeds/indicators.xml feeds/indicators.csv | sha256sum)" "$feeds0" "feeds after an unchanged run"
gw audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
pass "nothing changed: $pages conditional GETs, all 304, nothing parsed, feeds as they were"

# ---- a changed page: a full run that stores the change ----------------------
page=root/ODataFeed/odata/90001NED/TypedDataSet.skip54.json
"$PYTHON" - "$page" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for row in doc["value"]:
    for k, v in row.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "ID":
            row[k] = v + 1000
json.dump(doc, open(sys.argv[1], "w"))
PY
gw --json run >third.json 2>third.err || fail "run after a change: $(cat third.err)"
revised=$(json_get third.json "d['runs'][0]['revised']")
[ "$revised" -gt 0 ] || fail "a changed page revised nothing: $(cat third.json)"
[ "$(json_get third.json "d['runs'][0]['emitted']")" -gt 0 ] || fail "the changed source was not parsed"
feeds1=$(cat feeds/indicators.json feeds/indicators.xml feeds/indicators.csv | sha256sum)
[ "$feeds1" != "$feeds0" ] || fail "feeds not republished after a change"
pass "a changed page brings back a full run ($revised revisions)"

# ---- a changed config: a full run even when every page is 304 ---------------
gw --json run >fourth.json 2>fourth.err || fail "unchanged run 2: $(cat fourth.err)"
assert_eq "$(json_get fourth.json "d['runs'][0]['emitted']")" 0 "unchanged again"
"$PYTHON" - gateway.json <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
# Any edit counts (the config file is fingerprinted whole): here the
# layout only.
json.dump(cfg, open(sys.argv[1], "w"), indent=4)
PY
gw --json run >fifth.json 2>fifth.err || fail "run after a config change: $(cat fifth.err)"
[ "$(json_get fifth.json "d['runs'][0]['emitted']")" -gt 0 ] || fail "a config change did not bring a full run"
assert_eq "$(json_get fifth.json "d['runs'][0]['not_modified']")" "$pages" "config change: pages still 304"
pass "a changed config brings back a full run, though every page is 304"

# ---- a full run starts by dropping the list ---------------------------------
# A run that fails after the list was dropped leaves none: the next run
# is a full one (the same holds for a kill between commit and save).
it_start_server F "$WORK/root" --flaky 'TypedDataSet\?.*skip=54:1000:500'
"$PYTHON" - gateway.json "$BASE_F" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["sources"][0]["url"] = sys.argv[2] + "/ODataFeed/odata/90001NED"
cfg["sources"][0]["retry"] = {"max_attempts": 1}
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
if gw --json run >sixth.json 2>sixth.err; then fail "a run with a failing page succeeded"; fi
[ ! -e "$manifest" ] || fail "a failed full run left a page list"
pass "a failed full run leaves no page list"
