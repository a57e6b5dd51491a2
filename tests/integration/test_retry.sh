#!/usr/bin/env bash
# The host's retry policy against the local server: a page that fails
# twice with 500 is fetched again (not the whole table) and the run
# succeeds; 429 with Retry-After waits at least that long; a 404 is not
# retried; a server that hangs is given up after max_attempts. Every
# attempt is its own "fetch" record with its attempt number.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

TABLE=/ODataFeed/odata/90001NED
RETRY='"retry":{"base_ms":50,"cap_ms":200,"max_attempts":4,"max_age_s":60}'

# fetch_attempts LOG URL_REGEX: the attempt numbers of the fetch records
# whose url matches, in log order, space-separated.
fetch_attempts() {
  "$PYTHON" - "$1" "$2" <<'PY'
import json, re, sys
def records(node):
    if isinstance(node, dict):
        if node.get("event") == "fetch":
            yield node
        else:
            for v in node.values():
                yield from records(v)
pattern = re.compile(sys.argv[2])
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if not line:
        continue
    for r in records(json.loads(line)):
        if pattern.search(r.get("url", "")):
            out.append(str(r.get("attempt")))
print(" ".join(out))
PY
}

# run_source NAME URL RETRY_JSON [LIMITS_JSON]: fresh data dir, one source.
run_source() {
  local extra=${4:+,$4}
  rm -rf data feeds
  it_write_config "[{\"id\":\"$1\",\"plugin\":\"cbs_odata\",\"url\":\"$2\",$3$extra}]"
}

# (a) the second TypedDataSet page answers 500 twice, then 200.
it_start_server A "$GW_SOURCE_DIR/tests/fixtures/statline" \
  --flaky 'TypedDataSet\?.*skip=27:2:500'
run_source flaky "$BASE_A$TABLE" "$RETRY"
gw --json run >a.json 2>a.err || fail "run with a flaky page failed: $(cat a.err)"
assert_eq "$(json_get a.json "d['runs'][0]['outcome']")" ok "outcome with a flaky page"
inserted=$(json_get a.json "d['runs'][0]['inserted']")
[ "$inserted" -gt 0 ] || fail "the flaky run stored nothing"
assert_eq "$(requests_with_status A 500)" 2 "500 answers served"
assert_eq "$(fetch_attempts data/exchange.log 'TypedDataSet.*skip=27')" "1 2 3" \
  "attempts logged for the flaky page"
assert_eq "$(fetch_attempts data/exchange.log 'TypedDataSet(\?(?!.*skip=)|$)')" "1" \
  "attempts logged for the first page (resume, not restart)"
assert_eq "$(fetch_attempts data/exchange.log 'TypedDataSet.*skip=54')" "1" \
  "attempts logged for the page after"
for p in "$TABLE" "$TABLE/DataProperties" "$TABLE/Perioden"; do
  n=$("$PYTHON" -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['path']==sys.argv[2]))" "$WORK/A.requests" "$p")
  assert_eq "$n" 1 "requests for $p"
done
"$GW_BIN" --config "$WORK/gateway.json" audit verify >verify.out 2>&1 ||
  fail "exchange log does not verify: $(cat verify.out)"
# The same table without failures stores the same number of observations.
it_start_server CLEAN "$GW_SOURCE_DIR/tests/fixtures/statline"
run_source clean "$BASE_CLEAN$TABLE" "$RETRY"
gw --json run >clean.json 2>clean.err || fail "clean run failed: $(cat clean.err)"
assert_eq "$inserted" "$(json_get clean.json "d['runs'][0]['inserted']")" \
  "observations stored with a flaky page vs. without"
pass "a page failing twice with 500 is fetched again and the run completes"

# (b) 429 with Retry-After: 1 once: the retry waits at least a second.
it_start_server B "$GW_SOURCE_DIR/tests/fixtures/statline" \
  --flaky 'TypedDataSet\?.*skip=54:1:429'
run_source slowdown "$BASE_B$TABLE" "$RETRY"
start=$(date +%s%N)
gw --json run >b.json 2>b.err || fail "run after a 429 failed: $(cat b.err)"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_eq "$(json_get b.json "d['runs'][0]['outcome']")" ok "outcome after a 429"
[ "$elapsed_ms" -ge 1000 ] || fail "Retry-After: 1 not honoured: run took ${elapsed_ms} ms"
assert_eq "$(fetch_attempts data/exchange.log 'TypedDataSet.*skip=54')" "1 2" \
  "attempts logged after a 429"
pass "429 with Retry-After: 1 is retried after ${elapsed_ms} ms"

# (c) a 404 is not retried and the run fails.
it_start_server C "$GW_SOURCE_DIR/tests/fixtures/statline" \
  --flaky 'TypedDataSet\?.*skip=27:5:404'
run_source gone "$BASE_C$TABLE" "$RETRY"
if gw --json run >c.json 2>c.err; then fail "a run with a 404 page succeeded"; fi
assert_eq "$(json_get c.json "d['runs'][0]['outcome']")" failed "outcome with a 404"
assert_eq "$(requests_with_status C 404)" 1 "404 answers served"
assert_eq "$(fetch_attempts data/exchange.log 'TypedDataSet.*skip=27')" "1" \
  "attempts logged for a 404"
pass "a 404 is not retried and the run fails"

# (d) a server that never answers: two attempts of 1 s each, then give up.
run_source hang "$BASE_C/_fault/hang" \
  '"retry":{"base_ms":50,"cap_ms":200,"max_attempts":2}' \
  '"limits":{"total_timeout_ms":1000,"connect_timeout_ms":1000}'
start=$(date +%s%N)
if gw --json run >d.json 2>d.err; then fail "a run against a hanging server succeeded"; fi
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_eq "$(fetch_attempts data/exchange.log '_fault/hang')" "1 2" \
  "attempts logged against a hanging server"
# Two 1 s attempts; the bound only has to tell "gave up" from "hung".
# Under valgrind start-up and TLS alone take seconds, so it is wider.
hang_bound_ms=8000
[ "${GW_VALGRIND:-0}" = 1 ] && hang_bound_ms=40000
[ "$elapsed_ms" -lt "$hang_bound_ms" ] ||
  fail "giving up on a hanging server took ${elapsed_ms} ms (bound ${hang_bound_ms})"
assert_contains "$(cat d.err)" "2 attempts" "error after the last attempt"
pass "a hanging server is given up after 2 attempts in ${elapsed_ms} ms"
