#!/usr/bin/env bash
# Crash safety (docs/robustness.md): the real gateway is killed with SIGKILL
# at random moments, 50 times, while `gateway run` imports three StatLine
# sources (one of them a generated multi-page table whose figures change
# before every run, so every run revises and republishes) and while
# `gateway export` rewrites a feed. After every kill:
#   - the store opens (`gateway status`) and SQLite's integrity_check is ok;
#   - each feed is a complete version: either the one published before the
#     killed command, or the one a clean export of the store as the kill
#     left it produces (compared by SHA-256 with only generated_at and the
#     feed name blanked out), and every feed status file is complete JSON;
#   - nothing a consumer could take for a feed is left behind: the only
#     other files in the feed directory are hidden ".NAME.tmp-*" files;
#   - every spool payload is complete (its SHA-256 is its name);
#   - `gateway audit verify` finds the log intact, or only the documented
#     torn last line, which `audit verify --seal-torn` then resolves.
# At the end a clean run without new data must succeed, publish feeds that
# match the store, and the log must verify.
#
# The kill moments come from a seeded generator: GW_CRASH_SEED=N repeats a
# sequence (it is printed), GW_CRASH_KILLS=N changes the count.
#
# Under valgrind (GW_WRAPPER) the killed commands, the timed run they are
# spread over and the checks between kills run the plain binary: valgrind
# has nothing to report on a process killed with SIGKILL, and wrapping them
# would make the test take most of an hour. The first import, the final
# clean run and the final verify stay under the wrapper.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

SEED=${GW_CRASH_SEED:-20261124}
RANDOM=$SEED
gwc() { "$GW_BIN" --config "$WORK/gateway.json" "$@"; }
KILLS=${GW_CRASH_KILLS:-50}
PAGES=2
[ -z "$GW_WRAPPER" ] || echo "# under $GW_WRAPPER: the killed commands and the checks between kills run the plain binary"
[ "$KILLS" -ge 10 ] || fail "GW_CRASH_KILLS=$KILLS: at least 10 kills"
echo "# seed $SEED (GW_CRASH_SEED=$SEED repeats this sequence), $KILLS kills"

# --- fixtures: the committed tables plus a generated RIVM table of $PAGES
# pages; vary ROUND rewrites its figures so that every run revises them.
mkdir -p fxbase
"$PYTHON" "$GW_SOURCE_DIR/tests/fixtures/statline/generate.py" --out fxbase \
  --pages-rivm "$PAGES" --page-size 1000 >/dev/null
cp -r fxbase fx
vary() {
  "$PYTHON" - fxbase fx "$1" <<'PY'
import glob, json, os, sys
base, out, rnd = sys.argv[1], sys.argv[2], int(sys.argv[3])
rel = "ODataFeed/odata/50120NED"
for src in glob.glob(os.path.join(base, rel, "TypedDataSet*.json")):
    d = json.load(open(src, encoding="utf-8"))
    for row in d["value"]:
        # every Marges variant of a row moves by the same amount, so the
        # bounds stay around the value
        if isinstance(row.get("Roker_11"), (int, float)):
            row["Roker_11"] = round(row["Roker_11"] + (rnd % 7) * 0.1, 1)
    dst = os.path.join(out, os.path.relpath(src, base))
    with open(dst + ".new", "w", encoding="utf-8") as f:
        json.dump(d, f)
    os.replace(dst + ".new", dst)
PY
}

it_start_server S "$WORK/fx"
it_write_config "[
  {\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"},
  {\"id\":\"rivm-gezondheid\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/50120NED\"},
  {\"id\":\"jeugdhulp\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/odata/v1/CBS/90002NED\"}]"

FORMATS="json xml csv"
feed() { echo "feeds/indicators.$1"; }

# inspect.py FEED...: per feed the SHA-256 of its content with the header's
# generated_at and name blanked ("missing" when absent). Only the header is
# touched, so a cut or mixed file can never match a complete version. A
# feed's status file (FEED.status.json), where present, must be complete
# JSON.
cat >inspect.py <<'PY'
import hashlib, json, re, sys
for path in sys.argv[1:]:
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        print("missing")
        continue
    head, rest = data[:2048], data[2048:]
    head = re.sub(rb'generated_at(":"|=")[^"]*"', rb'generated_at\1-"', head, count=1)
    head = re.sub(rb'(\{"feed":\{"name":"| name=")[^"]*"', rb'\1-"', head, count=1)
    print(hashlib.sha256(head + rest).hexdigest())
    try:
        status = open(path + ".status.json", encoding="utf-8").read()
    except FileNotFoundError:
        continue
    try:
        json.loads(status)["feed"]
    except Exception as e:
        print("incomplete status file %s.status.json: %s" % (path, e))
PY
digests() { # FEEDS... -> one digest per line
  "$PYTHON" inspect.py "$@"
}

# reference_digests: a clean export of the store as it is now, per format.
reference_digests() {
  local f
  mkdir -p ref
  for f in $FORMATS; do
    gwc -q export --format "$f" -o "ref/indicators.$f" 2>ref.err ||
      fail "clean export ($f) after $WHAT: $(cat ref.err)"
  done
  digests ref/indicators.json ref/indicators.xml ref/indicators.csv
}

# --- clean runs: the first import, then one with changed figures (timed)
gw run >run0.out 2>&1 || fail "first clean run: $(cat run0.out)"
vary 1
t0=$(date +%s%N)
gwc run >run1.out 2>&1 || fail "second clean run: $(cat run1.out)"
RUN_MS=$((($(date +%s%N) - t0) / 1000000))
WHAT="the clean runs"
digests $(feed json) $(feed xml) $(feed csv) >cur.digests
mapfile -t prev <cur.digests
reference_digests >ref.digests
mapfile -t ref <ref.digests
for k in 0 1 2; do
  assert_eq "${prev[$k]}" "${ref[$k]}" "feed $k of a clean run vs a clean export (the comparison itself)"
done
grep -q '"revised":[1-9]' data/exchange.log || fail "the changed figures were not revised: $(cat run1.out)"
declare -A EXPORT_MS
for f in $FORMATS; do
  t0=$(date +%s%N)
  gwc -q export --format "$f" -o "$(feed "$f")" || fail "clean export $f"
  EXPORT_MS[$f]=$((($(date +%s%N) - t0) / 1000000))
done
digests $(feed json) $(feed xml) $(feed csv) >cur.digests
mapfile -t prev <cur.digests
echo "# a run with changed figures takes ${RUN_MS} ms; exports json ${EXPORT_MS[json]} ms, xml ${EXPORT_MS[xml]} ms, csv ${EXPORT_MS[csv]} ms"
pass "clean runs publish feeds equal to clean exports (the old/new check works)"

# --- the checks after a kill
torn=0
check_log() {
  local rc=0
  gwc audit verify >verify.out 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    assert_contains "$(cat verify.out)" "intact" "audit verify after $WHAT"
    return
  fi
  assert_eq "$rc" 1 "audit verify after $WHAT ($(cat verify.out))"
  assert_contains "$(cat verify.out)" "torn last line" "audit verify after $WHAT"
  rc=0
  gwc audit verify --seal-torn >seal.out 2>&1 || rc=$?
  assert_eq "$rc" 0 "audit verify --seal-torn after $WHAT ($(cat seal.out))"
  torn=$((torn + 1))
}

check_store() {
  gwc status >status.out 2>&1 || fail "gateway status after $WHAT: $(cat status.out)"
  if command -v sqlite3 >/dev/null; then
    local ic
    ic=$(sqlite3 data/gateway.db 'PRAGMA integrity_check;' 2>&1) || fail "sqlite3 after $WHAT: $ic"
    assert_eq "$ic" ok "integrity_check after $WHAT"
  fi
}

new_versions=0
check_feeds() {
  local cur k f changed=0
  digests $(feed json) $(feed xml) $(feed csv) >cur.digests
  mapfile -t cur <cur.digests
  for k in 0 1 2; do
    [ "${cur[$k]}" = "${prev[$k]}" ] || changed=1
  done
  if [ "$changed" = 1 ]; then
    reference_digests >ref.digests
    mapfile -t ref <ref.digests
    for k in 0 1 2; do
      [ "${cur[$k]}" = "${prev[$k]}" ] && continue
      [ "${cur[$k]}" = "${ref[$k]}" ] ||
        fail "after $WHAT, feed $k is neither the previous version nor the store's (${cur[$k]})"
      new_versions=$((new_versions + 1))
    done
  fi
  [ "${#cur[@]}" -eq 3 ] || fail "after $WHAT: ${cur[*]}"
  prev=("${cur[@]}")
  local name
  for name in $(ls -A feeds); do
    case "$name" in
    indicators.json | indicators.xml | indicators.csv | indicators.*.status.json) ;;
    .indicators.*.tmp-*) ;; # hidden, and no feed's extension at its end
    *) fail "after $WHAT, feeds/$name is left behind" ;;
    esac
  done
}

declare -A SPOOL_CHECKED
check_spool() {
  local name
  for name in $(ls data/spool); do # ls hides the .tmp-* files
    [ -z "${SPOOL_CHECKED[$name]:-}" ] || continue
    [ "$(sha_of "data/spool/$name")" = "$name" ] || fail "after $WHAT, spool file $name is not complete"
    SPOOL_CHECKED[$name]=1
  done
}

# kill_at MS CMD...: start the gateway, SIGKILL it after MS milliseconds.
# Not through gw(): $! must be the gateway itself (never valgrind, see the
# top of the file).
finished=0
kill_at() {
  local ms=$1 pid
  shift
  "$GW_BIN" --config "$WORK/gateway.json" "$@" >killed.out 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  kill -9 "$pid" 2>/dev/null || finished=$((finished + 1))
  wait "$pid" 2>/dev/null || true
}

# kill_when_publishing CMD...: SIGKILL the gateway the moment a feed's
# temporary file appears: the store is committed, the feeds not yet.
kill_when_publishing() {
  local pid before
  before=$(ls -A feeds | grep -c '^\.indicators\.json\.tmp-' || true)
  "$GW_BIN" --config "$WORK/gateway.json" "$@" >killed.out 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(ls -A feeds | grep -c '^\.indicators\.json\.tmp-')" -gt "$before" ] && break
    sleep 0.01
  done
  if kill -9 "$pid" 2>/dev/null; then
    publishing=$((publishing + 1))
  else
    finished=$((finished + 1))
  fi
  wait "$pid" 2>/dev/null || true
}

runs=0
exports=0
publishing=0
for i in $(seq 1 "$KILLS"); do
  if [ $((i % 10)) -eq 0 ]; then
    # The window is the feed write; on a loaded machine the poll can miss
    # it and the run finishes first: then the kill is tried again (at most
    # 3 times), so every tenth kill really lands during publication.
    for attempt in 1 2 3; do
      before_publishing=$publishing
      vary "$i$attempt"
      WHAT="kill $i (run, at the start of publication, attempt $attempt)"
      kill_when_publishing run
      runs=$((runs + 1))
      [ "$publishing" -eq "$before_publishing" ] || break
      check_store
      check_log
      check_feeds
      check_spool
    done
  elif [ $((i % 2)) -eq 1 ]; then
    vary "$i"
    ms=$((RANDOM % (RUN_MS + RUN_MS / 10 + 1)))
    WHAT="kill $i (run after $ms ms)"
    kill_at "$ms" run
    runs=$((runs + 1))
  else
    set -- $FORMATS
    shift $((RANDOM % 3))
    ms=$((RANDOM % (EXPORT_MS[$1] + EXPORT_MS[$1] / 10 + 1)))
    WHAT="kill $i (export $1 after $ms ms)"
    kill_at "$ms" export --format "$1" -o "$(feed "$1")"
    exports=$((exports + 1))
  fi
  check_store
  check_log
  check_feeds
  check_spool
done
leftover=$(ls -A feeds | grep -c '\.tmp-' || true)
# the kills that matter most for the feeds must really have happened
[ "$publishing" -ge 1 ] || fail "no run was killed while publishing its feeds"
pass "$KILLS kills ($runs during runs, $publishing of them while publishing, $exports during exports, $finished finished first): store ok, feeds complete ($new_versions new versions), $torn torn tails sealed, $leftover hidden temporary files left"

# --- recovery: a clean run without new data
WHAT="the final clean run"
gw run >final.out 2>&1 || fail "a clean run after the kills: $(cat final.out)"
check_store
check_log
gw audit verify >verify.out 2>&1 || fail "final audit verify: $(cat verify.out)"
assert_contains "$(cat verify.out)" "intact"
digests $(feed json) $(feed xml) $(feed csv) >cur.digests
mapfile -t cur <cur.digests
reference_digests >ref.digests
mapfile -t ref <ref.digests
for k in 0 1 2; do
  assert_eq "${cur[$k]}" "${ref[$k]}" "feed $k after the final clean run vs the store"
done
pass "a clean run after the kills succeeds, its feeds match the store, the log is intact"
