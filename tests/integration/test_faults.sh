#!/usr/bin/env bash
# Faults end to end: the real gateway against a StatLine v3 table whose
# last page (the third) fails in one way after page 2 came back with new
# values. A good import first leaves a stored state and published feeds.
# For each fault the run must end in bounded time with a clear error, store
# nothing of its pages (page 2's new values would show if it did), leave
# the feeds byte-identical, log the failed fetch or parse and the aborted
# store, and keep the exchange log verifiable. Last, the new values alone
# are a good run: the store and feeds advance by that whole run.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# Valgrind and ASan slow the binary down (TLS handshakes most): the time
# bounds scale with it (SCALE), and the faulty source's timeouts too, less
# (TSCALE: the good pages before the fault must still fit, but every
# timeout is paid twice per fault).
SCALE=1 TSCALE=1
[ -n "${GW_SANITIZED:-}" ] && SCALE=3 TSCALE=2
[ -n "${GW_VALGRIND:-}" ] && SCALE=10 TSCALE=5

TABLE=/ODataFeed/odata/90001NED
PAGE2='TypedDataSet\?.*skip=27'
PAGE3='TypedDataSet\?.*skip=54'
FEEDS="feeds/indicators.json feeds/indicators.xml feeds/indicators.csv"
RETRY="\"retry\":{\"base_ms\":50,\"cap_ms\":100,\"max_attempts\":2,\"max_age_s\":$((30 * TSCALE))}"
MAX_BYTES=1048576

# limits CONNECT_TOTAL_MS LOW_SPEED_S: tight limits for the faulty source.
limits() {
  printf '"limits":{"connect_timeout_ms":%d,"total_timeout_ms":%d,"low_speed_bytes":100,"low_speed_seconds":%d,"max_bytes":%d}' \
    "$(($1 * TSCALE))" "$(($1 * TSCALE))" "$(($2 * TSCALE))" "$MAX_BYTES"
}

# source_at BASE [LIMITS]: the one source, always id "cbs", so a faulty run
# competes with the stored state of the good one.
source_at() {
  it_write_config "[{\"id\":\"cbs\",\"plugin\":\"cbs_odata\",\"url\":\"$1$TABLE\",$RETRY,${2:-$(limits 4000 2)}}]"
}

# store_state: every stored revision and every HTTP validator (a failed run
# must not leave an ETag behind either: the next run would get a 304 for a
# page whose data was never stored).
store_state() {
  sql "SELECT * FROM observation ORDER BY id; SELECT '--'; SELECT * FROM http_validator ORDER BY url" |
    sha256sum | cut -d' ' -f1
}

# export_state: what the gateway itself would publish now (without the
# generated_at header). The checks run the bare binary: under valgrind
# the faulty runs are the subject, and the last checks use the wrapper.
export_state() {
  "$GW_BIN" --config "$WORK/gateway.json" export --format json 2>export.err | "$PYTHON" -c \
    "import json,sys,hashlib; print(hashlib.sha256(json.dumps(json.load(sys.stdin)['observations'],sort_keys=True).encode()).hexdigest())" ||
    fail "export failed: $(cat export.err)"
}

feed_state() {
  local f
  for f in $FEEDS; do sha_of "$f"; done | tr '\n' ' '
}

log_records() { wc -l <data/exchange.log | tr -d ' '; }

# check_log FROM_LINE URL_REGEX NEEDLE: the records after FROM_LINE hold a
# fetch of URL_REGEX, a failed parse whose error has NEEDLE, and an aborted
# store; nothing was stored. Prints the fetch attempts and outcomes.
check_log() {
  "$PYTHON" - data/exchange.log "$1" "$2" "$3" <<'PY'
import json, re, sys
path, start, url_re, needle = sys.argv[1], int(sys.argv[2]), re.compile(sys.argv[3]), sys.argv[4]
recs = [json.loads(l) for i, l in enumerate(open(path, encoding="utf-8")) if i >= start and l.strip()]
fetches = [r for r in recs if r.get("event") == "fetch" and url_re.search(r.get("url", ""))]
parses = [r for r in recs if r.get("event") == "parse" and r.get("source") == "cbs"]
stores = [r for r in recs if r.get("event") == "store" and r.get("source") == "cbs"]
problems = []
if not fetches:
    problems.append("no fetch record for the faulty page")
if len(parses) != 1 or parses[0].get("outcome") == "ok" or needle not in (parses[0].get("error") or ""):
    problems.append("expected one failed parse record naming '%s', got %s" %
                    (needle, [(p.get("outcome"), p.get("error")) for p in parses]))
if len(stores) != 1 or stores[0].get("outcome") != "aborted" or stores[0].get("inserted") or stores[0].get("revised"):
    problems.append("expected one aborted store record storing nothing, got %s" %
                    [(s.get("outcome"), s.get("inserted"), s.get("revised")) for s in stores])
if problems:
    print("; ".join(problems))
    sys.exit(1)
print(" ".join("%s:%s:%s" % (f.get("attempt"), f.get("http_status"), f.get("outcome")) for f in fetches))
PY
}

# check_sidecars: every feed's status file names the feed as it is and
# says that source cbs failed last, with its error.
check_sidecars() {
  "$PYTHON" - $FEEDS <<'PY' || fail "$1: feed status sidecars"
import hashlib, json, sys
for feed in sys.argv[1:]:
    s = json.load(open(feed + ".status.json", encoding="utf-8"))
    digest = hashlib.sha256(open(feed, "rb").read()).hexdigest()
    src = [x for x in s["sources"] if x["id"] == "cbs"][0]
    if s["sha256"] != digest:
        sys.exit("%s: sidecar sha256 %s is not the feed's %s" % (feed, s["sha256"], digest))
    if src["last_outcome"] == "ok" or not src["last_error"]:
        sys.exit("%s: sidecar does not report the failure: %s" % (feed, src))
PY
}

# ---- the good import -------------------------------------------------------
it_start_server G "$GW_SOURCE_DIR/tests/fixtures/statline"
source_at "$BASE_G" '"limits":{}'
gw --json run >good.json 2>good.err || fail "good import failed: $(cat good.err)"
good_inserted=$(json_get good.json "d['runs'][0]['inserted']")
[ "$good_inserted" -gt 0 ] || fail "the good import stored nothing"
STORE0=$(store_state)
EXPORT0=$(export_state)
FEEDS0=$(feed_state)
pass "good import: $good_inserted observations stored and published"

# ---- one fault at a time ---------------------------------------------------
# fault NAME MAX_SECONDS NEEDLE [LIMITS]: page 2 new values, page 3 NAME.
# With NAME "-" page 3 is served normally (the "changing" variant below
# passes its own --flaky rules through FAULT_ARGS).
fault() {
  local name=$1 max_s=$2 needle=$3 lim=${4:-} rc=0 start elapsed_ms from attempts
  local srv="F${#FAULTS_DONE[@]}"
  it_start_server "$srv" "$GW_SOURCE_DIR/tests/fixtures/statline" \
    --flaky "$PAGE2:1000:new-values" --flaky "$PAGE3:1000:$name"
  local base_var="BASE_$srv"
  source_at "${!base_var}" "$lim"
  from=$(log_records)
  start=$(date +%s%N)
  gw --json run >"$name.json" 2>"$name.err" || rc=$?
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  [ "$rc" -eq 1 ] || fail "$name: expected exit 1, got $rc: $(cat "$name.err")"
  [ "$elapsed_ms" -le $((max_s * SCALE * 1000)) ] ||
    fail "$name: the run took ${elapsed_ms} ms (bound $((max_s * SCALE)) s)"
  assert_contains "$(cat "$name.err")" "cbs: " "$name: stderr"
  assert_contains "$(cat "$name.err")" "$needle" "$name: stderr"
  assert_eq "$(json_get "$name.json" "'$needle' in d['runs'][0]['error'] and d['runs'][0]['inserted'] + d['runs'][0]['revised'] == 0")" \
    True "$name: run error names '$needle' and nothing was written"
  assert_eq "$(store_state)" "$STORE0" "$name: store (observations, validators)"
  assert_eq "$(export_state)" "$EXPORT0" "$name: exported observations"
  assert_eq "$(feed_state)" "$FEEDS0" "$name: published feeds"
  check_sidecars "$name"
  attempts=$(check_log "$from" "skip=54" "$needle") || fail "$name: exchange log: $attempts"
  "$GW_BIN" --config "$WORK/gateway.json" audit verify >verify.out 2>&1 ||
    fail "$name: audit verify: $(cat verify.out)"
  FAULTS_DONE+=("$name")
  RESULTS+=("$name|${elapsed_ms} ms|$attempts|$(grep -m1 'level=error msg=' "$name.err" | sed 's/.*msg="//; s/"$//' | cut -c1-160)")
  pass "$name: refused in ${elapsed_ms} ms, fetches $attempts, store/feeds unchanged, log verifies"
}
FAULTS_DONE=()
RESULTS=()

fault 500 10 "HTTP status 500"
# 429 carries Retry-After: 1: the one retry waits for it, then gives up.
fault 429 10 "HTTP status 429"
assert_eq "$(json_get 429.json "d['runs'][0]['seconds'] >= 1.0")" True "429: Retry-After: 1 waited for"
# 1 byte/s: the low-speed limit (100 B/s for 2 s) ends each attempt.
fault trickle 15 "Operation too slow"
# Never answers: with the low-speed limit out of the way, the total
# timeout (1.5 s) ends each attempt.
fault hang 15 "Timeout was reached" "$(limits 1500 60)"
fault short 10 "partial file"
fault endless 10 "exceeds the limit of $MAX_BYTES bytes"
fault gzip-bomb 10 "exceeds the limit of $MAX_BYTES bytes"
fault redirect-http 10 "refused redirect"
fault redirect-host 10 "to https://localhost:"
fault html200 10 "invalid JSON at line 1 column 1"
# The table changes between pages: page 3 has other columns.
fault other-table 10 "has no column BanenPer1000Inwoners_4, which DataProperties lists"

# ---- new values alone: a whole new run -------------------------------------
it_start_server NEW "$GW_SOURCE_DIR/tests/fixtures/statline" --flaky "$PAGE2:1000:new-values"
source_at "$BASE_NEW"
gw --json run >new.json 2>new.err || fail "run with new values failed: $(cat new.err)"
revised=$(json_get new.json "d['runs'][0]['revised']")
[ "$revised" -gt 0 ] || fail "new values on page 2 revised nothing"
assert_eq "$(json_get new.json "d['runs'][0]['inserted']")" 0 "new run: inserted"
assert_eq "$(sql "SELECT count(*) FROM observation WHERE valid_to IS NULL")" \
  "$good_inserted" "current observations after the new run"
assert_eq "$(sql "SELECT count(*) FROM observation WHERE revision = 2")" \
  "$revised" "second revisions"
# Every second revision comes from the one new run and is 1000 more than
# the first.
assert_eq "$(sql "SELECT count(DISTINCT n.run_id) || ' ' || sum(abs(n.value - o.value - 1000) < 1e-6) FROM observation n JOIN observation o USING (indicator, area, period, breakdown, source_id) WHERE n.revision = 2 AND o.revision = 1")" \
  "1 $revised" "second revisions: one run, each +1000"
[ "$(feed_state)" != "$FEEDS0" ] || fail "feeds not republished after the new run"
/usr/bin/python3 "$GW_SOURCE_DIR/tests/tools/validate_json.py" "$GW_SOURCE_DIR/schemas/observation.schema.json" \
  feeds/indicators.json || fail "the new JSON feed is not valid"
assert_eq "$(json_get feeds/indicators.json "len(d['observations'])")" "$good_inserted" "observations in the new feed"
gw export --format json >export.json 2>export.err || fail "export after the new run: $(cat export.err)"
assert_eq "$(json_get export.json "len(d['observations'])")" "$good_inserted" "observations exported after the new run"
gw audit verify >verify.out 2>&1 || fail "audit verify after the new run: $(cat verify.out)"
pass "new values alone: one whole run, $revised revisions, feeds republished complete"

# ---- a failing URL that carries a credential ------------------------------
# Transport errors quote the URL ("... (GET <url>)"): the credential must
# not reach the exchange log, the run's error or the journal through them.
it_start_server SECRET "$GW_SOURCE_DIR/tests/fixtures/statline" --flaky ".*:1000:500"
CANARY_KEY=sEcReT-canary-4711
it_write_config "[{\"id\":\"cbs\",\"plugin\":\"cbs_odata\",\"url\":\"${BASE_SECRET/https:\/\//https://gw:$CANARY_KEY@}$TABLE\",$RETRY,$(limits 4000 2)}]"
rc=0
gw --json run >secret.json 2>secret.err || rc=$?
assert_eq "$rc" 1 "run against a failing URL with a credential"
assert_contains "$(cat secret.err)" "HTTP status 500" "failing URL with a credential: stderr"
assert_contains "$(cat secret.err)" "REDACTED@127.0.0.1" "failing URL with a credential: stderr"
if grep -rl "$CANARY_KEY" data/exchange.log* secret.json secret.err >/dev/null 2>&1; then
  fail "the credential appears in: $(grep -rl "$CANARY_KEY" data/exchange.log* secret.json secret.err | tr '\n' ' ')"
fi
pass "a failing URL's credential is redacted in the log, the run error and stderr"

echo "# fault | time | fetch attempts (attempt:status:outcome) | first error"
for r in "${RESULTS[@]}"; do echo "# $r"; done
