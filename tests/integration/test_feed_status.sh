#!/usr/bin/env bash
# The last good feed stays published when a run fails, and its status
# sidecar ("<feed>.status.json") says how old it is: after a good run the
# three feeds have sidecars that validate against feed-status.schema.json
# (stale false, generated_at of the file itself, its sha256); after the
# source fails the feeds are byte-identical, the sidecars are rewritten
# with stale true, the same generated_at, a growing age and the failure
# count; a recovered source clears stale. Sidecars stay out of the
# exchange log.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
source_json() { # URL
  echo "[{\"id\":\"sociaal\",\"plugin\":\"cbs_odata\",\"url\":\"$1\",\"retry\":{\"max_attempts\":1}}]"
}
GOOD_URL="$BASE_S/ODataFeed/odata/90001NED"
FEEDS="feeds/indicators.json feeds/indicators.xml feeds/indicators.csv"

validate_sidecars() { # WHEN
  local f
  for f in $FEEDS; do
    [ -f "$f.status.json" ] || fail "$1: no sidecar for $f"
    /usr/bin/python3 "$GW_SOURCE_DIR/tests/tools/validate_json.py" \
      "$GW_SOURCE_DIR/schemas/feed-status.schema.json" "$f.status.json" ||
      fail "$1: $f.status.json does not match feed-status.schema.json"
  done
}

# side FEED EXPR: EXPR over the sidecar of FEED (as d).
side() { json_get "$1.status.json" "($2)"; }

# The generated_at a consumer finds in the feed file itself.
file_generated_at() { # FEED
  "$PYTHON" - "$1" <<'PY'
import datetime, json, os, sys, xml.etree.ElementTree as ET
path = sys.argv[1]
if path.endswith(".json"):
    print(json.load(open(path, encoding="utf-8"))["feed"]["generated_at"])
elif path.endswith(".xml"):
    print(ET.parse(path).getroot().get("generated_at"))
else:
    ns = os.stat(path).st_mtime_ns
    t = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    print(t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ns % 10**9 // 10**6))
PY
}

# (1) a good run: feeds and sidecars, not stale.
it_write_config "$(source_json "$GOOD_URL")"
gw --json run >run1.json 2>run1.err || fail "good run failed: $(cat run1.err)"
validate_sidecars "after a good run"
declare -A SHA GEN CHECKED
for f in $FEEDS; do
  SHA[$f]=$(sha_of "$f")
  GEN[$f]=$(side "$f" "d['generated_at']")
  CHECKED[$f]=$(side "$f" "d['checked_at']")
  fmt=${f##*.}
  assert_eq "$(side "$f" "d['feed'], d['format'], d['path'] == '$WORK/$f'")" "('indicators', '$fmt', True)" \
    "identity in $f.status.json"
  assert_eq "$(side "$f" "d['sha256']")" "${SHA[$f]}" "sha256 in $f.status.json"
  assert_eq "${GEN[$f]}" "$(file_generated_at "$f")" "generated_at of $f"
  assert_eq "$(side "$f" "d['stale'], 0 <= d['age_seconds'] < 60")" "(False, True)" "freshness of $f"
  assert_eq "$(side "$f" "[(s['id'], s['last_outcome'], s['consecutive_failures'], s['last_error'], s['last_success_at'] == s['last_run_at']) for s in d['sources']]")" \
    "[('sociaal', 'ok', 0, None, True)]" "sources in $f.status.json"
done
pass "a good run publishes three feeds, each with a valid sidecar that is not stale"

# (2) the source now fails (500, no retries): feeds untouched, sidecars stale.
sleep 1.2
for n in 1 2; do
  it_write_config "$(source_json "$BASE_S/_fault/status/500")"
  rc=0
  gw --json run >fail$n.json 2>fail$n.err || rc=$?
  assert_eq "$rc" 1 "exit status of a run against a 500 (other: a crash or a valgrind finding)"
  # A 500 is a failure that may pass: the run's outcome is "retry".
  assert_eq "$(json_get fail$n.json "d['runs'][0]['outcome']")" retry "outcome of failing run $n"
  validate_sidecars "after failing run $n"
  for f in $FEEDS; do
    assert_eq "$(sha_of "$f")" "${SHA[$f]}" "$f after failing run $n (must stay byte-identical)"
    assert_eq "$(side "$f" "d['sha256'], d['generated_at']")" "('${SHA[$f]}', '${GEN[$f]}')" \
      "published file in $f.status.json after failing run $n"
    assert_eq "$(side "$f" "d['stale'], d['age_seconds'] >= 1, d['checked_at'] > '${CHECKED[$f]}'")" \
      "(True, True, True)" "staleness of $f after failing run $n"
    assert_eq "$(side "$f" "[(s['last_outcome'], s['consecutive_failures'], s['last_success_at'] < s['last_run_at']) for s in d['sources']]")" \
      "[('retry', $n, True)]" "sources in $f.status.json after failing run $n"
    assert_contains "$(side "$f" "d['sources'][0]['last_error']")" "_fault/status/500" "last_error in $f.status.json"
    CHECKED[$f]=$(side "$f" "d['checked_at']")
  done
done
pass "a failing source leaves the feeds byte-identical; sidecars say stale, with age and failure count"

# (3) the source recovers with unchanged data: the feeds stay as they were
# (same generated_at), and are no longer stale.
it_write_config "$(source_json "$GOOD_URL")"
gw --json run >run2.json 2>run2.err || fail "recovery run failed: $(cat run2.err)"
validate_sidecars "after recovery"
for f in $FEEDS; do
  assert_eq "$(sha_of "$f")" "${SHA[$f]}" "$f after an unchanged recovery"
  assert_eq "$(side "$f" "d['stale'], d['generated_at'], d['sources'][0]['consecutive_failures']")" \
    "(False, '${GEN[$f]}', 0)" "$f.status.json after recovery"
done
pass "recovery clears stale; an unchanged feed keeps its generated_at"

# (4) the exchange log has the three feed writes and nothing of the sidecars.
assert_eq "$(grep -c '"event":"export"' data/exchange.log)" 3 "export records in the exchange log"
assert_eq "$(grep -c 'status\.json' data/exchange.log || true)" 0 "sidecar mentions in the exchange log"
gw audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
pass "sidecars stay out of the exchange log; feed writes are logged as before"
