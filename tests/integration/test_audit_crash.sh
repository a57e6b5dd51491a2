#!/usr/bin/env bash
# Crashes while appending: a process that appends signed, fsync'ed records
# (bench_xlog_verify append-loop, with checkpoints every 5 records and a
# new segment every 20 kB) is killed with SIGKILL at random moments, 20
# times, and now and then the last line is cut as a power failure would
# leave it. After every crash `gateway audit verify` must find the log
# intact or report a torn last line, and after `--seal-torn` it must be
# intact: never anything else. A few killed `gateway run`s append to the
# same log at the end.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

APPENDER=${GW_BUILD_DIR:?}/tests/bench_xlog_verify
[ -x "$APPENDER" ] || fail "no appender at $APPENDER"
GW_AUDIT_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export GW_AUDIT_KEY

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
it_write_config "[{\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"}]"
"$PYTHON" - gateway.json <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["audit"].update({"signing_key": "${GW_AUDIT_KEY}", "checkpoint_every": 5,
                     "rotate_bytes": 20000})
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
log=data/exchange.log
mkdir -p data

# check_after_crash WHAT: intact, or torn and then intact after sealing.
seals=0
check_after_crash() {
  local rc=0
  gw audit verify >verify.out 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    assert_contains "$(cat verify.out)" "intact"
    return
  fi
  assert_eq "$rc" 1 "verify after $1 ($(cat verify.out))"
  assert_contains "$(cat verify.out)" "torn last line" "verify after $1"
  rc=0
  gw audit verify --seal-torn >seal.out 2>&1 || rc=$?
  assert_eq "$rc" 0 "verify --seal-torn after $1 ($(cat seal.out))"
  assert_contains "$(cat seal.out)" "sealed the torn last line"
  seals=$((seals + 1))
}

# cut_last_line: the active file loses the end of its last record (prints
# "cut"; nothing when a rotation has just left it empty).
cuts=0
cut_last_line() {
  "$PYTHON" - "$log" <<'PY'
import os, random, sys
path = sys.argv[1]
if not os.path.exists(path) or os.path.getsize(path) < 2:
    sys.exit(0)
print("cut")
data = open(path, "rb").read()
start = data.rstrip(b"\n").rfind(b"\n") + 1
cut = random.randint(start + 1, len(data) - 1)
os.truncate(path, cut)
PY
}

# Under valgrind every verify of the growing log costs seconds and the
# crash logic itself is proven by the gcc and ASan runs; 8 crashes there
# still exercise every verify/seal path under valgrind's eyes.
crashes=20 cut_every=3 min_cuts=3
if [ "${GW_VALGRIND:-0}" = 1 ]; then
  crashes=8 cut_every=2 min_cuts=2
  echo "under valgrind: $crashes crashes instead of 20"
fi
for i in $(seq 1 "$crashes"); do
  BENCH_SIGNING_KEY=$GW_AUDIT_KEY BENCH_CHECKPOINT_EVERY=5 \
    BENCH_ROTATE_BYTES=20000 BENCH_CHECKPOINT_FILE=$log.checkpoints \
    "$APPENDER" append-loop "$log" >appender.out 2>&1 &
  pid=$!
  # The random moment starts once the appender has written something: on
  # a loaded machine its start-up alone can outlast the longest sleep.
  for _ in $(seq 1 100); do
    [ -s "$log" ] && break
    sleep 0.1
  done
  sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null || fail "the appender ended by itself: $(cat appender.out)"
  wait "$pid" 2>/dev/null || true
  if [ $((i % cut_every)) -eq 0 ] && [ -n "$(cut_last_line)" ]; then
    cuts=$((cuts + 1))
  fi
  check_after_crash "crash $i"
done
[ "$cuts" -ge "$min_cuts" ] || fail "only $cuts last lines could be cut"
[ "$seals" -ge "$cuts" ] || fail "$cuts last lines were cut, but only $seals torn tails sealed"
records=$(cat data/exchange.log.0* "$log" 2>/dev/null | wc -l)
segments=$(ls data/exchange.log.0* 2>/dev/null | wc -l)
[ "$records" -gt 100 ] || fail "the appender wrote only $records records"
[ "$segments" -ge 2 ] || fail "no segments were closed ($segments)"
pass "$crashes crashes of the appender ($cuts with a cut last line): $records records in $segments segments, $seals torn tails sealed, intact every time"

for i in 1 2 3; do
  # not through gw(): $! must be the gateway (or valgrind) itself
  $GW_WRAPPER "$GW_BIN" --config "$WORK/gateway.json" run >run.out 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 6))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  check_after_crash "killed gateway run $i"
done
gw run >run.out 2>&1 || fail "a run after the crashes: $(cat run.out)"
gw audit verify >final.out 2>&1 || fail "final verify: $(cat final.out)"
assert_contains "$(cat final.out)" "intact"
assert_contains "$(cat final.out)" "checkpoints in $WORK/$log.checkpoints are contained in the log"
torn=$(grep -c '"event":"torn_tail"' data/exchange.log.0* "$log" | awk -F: '{s += $2} END {print s}')
assert_eq "$torn" "$seals" "torn_tail records"
pass "killed gateway runs leave the log intact; every sealed tail has its torn_tail record"
