#!/usr/bin/env bash
# `gateway run` runs sources concurrently, at most --jobs (default
# daemon.max_concurrent) at a time, and reports them as before: exit status,
# the table and the JSON "runs" in configuration order, the same counts as
# one at a time.
#
# Ten csv_export sources share one slow page. The page is slow without any
# clock: this test's own small HTTPS server (barrier_server.py) holds every
# answer until K requests wait together (or all N sources have asked), so
# a gateway that fetches one source at a time never gets K at once and
# every request waits out the server's safety timeout (300 s; the sources
# allow a stall of 600 s, so a page held back under valgrind is never
# retried: every fetch record is one source's one page). Whether fetches
# overlapped is read from the exchange log's fetch spans (start_time,
# end_time in ms): no wall-clock thresholds.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_make_ca
mkdir -p pages
cp "$GW_SOURCE_DIR/tests/fixtures/csv/diemen_lokaal.csv" pages/page.csv

cat >barrier_server.py <<'PY'
# barrier_server.py ROOT_FILE CERT KEY PORT_FILE: GET /slow/K/N/<name>.csv
# answers with ROOT_FILE once K requests of the same K/N wait together or
# N of them have arrived (or after 300 s, so a sequential client still
# ends). Every answer is logged to stderr.
import http.server, os, socket, ssl, sys, threading

body = open(sys.argv[1], "rb").read()
cond = threading.Condition()
groups = {}  # (K, N) -> {"seen": n, "waiting": [events]}


def barrier(k, n):
    with cond:
        g = groups.setdefault((k, n), {"seen": 0, "waiting": []})
        g["seen"] += 1
        mine = threading.Event()
        g["waiting"].append(mine)
        if len(g["waiting"]) >= k or g["seen"] >= n:
            for e in g["waiting"]:
                e.set()
            g["waiting"] = []
    mine.wait(300)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write((fmt % args) + "\n")

    def do_GET(self):
        parts = self.path.split("?")[0].split("/")
        if len(parts) != 5 or parts[1] != "slow":
            self.send_error(404)
            return
        barrier(int(parts[2]), int(parts[3]))
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        sock, addr = super().get_request()
        return ctx.wrap_socket(sock, server_side=True), addr


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv = Server(("127.0.0.1", 0), Handler)
tmp = sys.argv[4] + ".tmp"
with open(tmp, "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(tmp, sys.argv[4])
srv.serve_forever()
PY
"$PYTHON" barrier_server.py pages/page.csv "$WORK/certs/server.crt" \
  "$WORK/certs/server.key" slow.port 2>slow.log &
SERVER_PIDS+=($!)
for _ in $(seq 1 100); do
  [ -s slow.port ] && break
  sleep 0.1
done
[ -s slow.port ] || fail "barrier server did not start: $(cat slow.log)"
BASE="https://127.0.0.1:$(cat slow.port)"

N=10
# config K [DAEMON_MAX]: ten sources whose page waits for K fetches at once.
config() {
  local k=$1 i sources="" sep=""
  for i in $(seq 1 $N); do
    sources+="$sep{\"id\":\"src$(printf %02d "$i")\",\"plugin\":\"csv_export\",
      \"url\":\"$BASE/slow/$k/$N/src$i.csv\",
      \"limits\":{\"low_speed_seconds\":600,\"connect_timeout_ms\":120000},
      \"params\":{\"dataset\":\"diemen_lokaal\",\"area_column\":\"Gemeente\",\"period_column\":\"Jaar\",\"area_prefix\":\"GM\"}}"
    sep=","
  done
  IT_CONFIG_EXTRA=${2:+"\"daemon\": {\"max_concurrent\": $2}"} it_write_config "[$sources]" '[{"format":"json","path":"feeds/indicators.json"}]'
}

# spans FILE: "first_end last_start max_at_once fetches" of the fetch records.
spans() {
  "$PYTHON" - "$1" <<'PY'
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
f = [r for r in f if r.get("event") == "fetch"]
starts = sorted(r["start_time"] for r in f)
ends = sorted(r["end_time"] for r in f)
# An end and a start in the same millisecond do not overlap.
events = sorted([(t, 1) for t in starts] + [(t, -1) for t in ends])
now = peak = 0
for _, d in events:
    now += d
    peak = max(peak, now)
print(ends[0], starts[-1], peak, len(f))
PY
}

# run_case NAME K [DAEMON_MAX] -- GATEWAY_RUN_ARGS...
run_case() {
  local name=$1 k=$2 daemon_max=$3
  shift 4
  config "$k" "$daemon_max"
  rm -rf data feeds
  gw --json run "$@" >"$name.json" 2>"$name.err" || fail "$name: run failed: $(cat "$name.err")"
  read -r FIRST_END LAST_START PEAK FETCHES < <(spans data/exchange.log)
  assert_eq "$FETCHES" "$N" "$name: fetch records"
  assert_eq "$(json_get "$name.json" "len(d['runs'])")" "$N" "$name: runs reported"
  assert_eq "$(json_get "$name.json" "','.join(r['source'] for r in d['runs'])")" \
    "$(seq -f 'src%02g' -s, 1 $N)" "$name: runs in configuration order"
  assert_eq "$(json_get "$name.json" "sum(r['outcome'] != 'ok' for r in d['runs'])")" 0 "$name: failed runs"
  assert_eq "$(json_get "$name.json" "d['failures']")" 0 "$name: failures"
  assert_eq "$(json_get "$name.json" "d['feeds'][0]['outcome']")" "written" "$name: feed"
}

# ---- one at a time: the reference counts ----------------------------------
run_case seq 1 "" -- --jobs 1
assert_eq "$PEAK" 1 "--jobs 1: fetches at once"
[ "$FIRST_END" -le "$LAST_START" ] || fail "--jobs 1: fetches overlapped"
counts_seq=$(json_get seq.json "[(r['emitted'], r['inserted'], r['rejected']) for r in d['runs']]")
feed_seq=$(json_get seq.json "d['feeds'][0]['observations']")
[ "$(json_get seq.json "d['runs'][0]['inserted']")" -gt 0 ] || fail "the page stored nothing"
pass "--jobs 1: one fetch at a time, $feed_seq observations published"

# ---- all ten at once --------------------------------------------------------
run_case all $N "" -- --jobs $N
[ "$LAST_START" -lt "$FIRST_END" ] ||
  fail "--jobs $N: the last fetch started at $LAST_START, after the first ended at $FIRST_END"
assert_eq "$PEAK" "$N" "--jobs $N: fetches at once"
assert_eq "$(json_get all.json "[(r['emitted'], r['inserted'], r['rejected']) for r in d['runs']]")" \
  "$counts_seq" "--jobs $N: per-source counts"
assert_eq "$(json_get all.json "d['feeds'][0]['observations']")" "$feed_seq" "--jobs $N: feed size"
"$GW_BIN" --config "$WORK/gateway.json" audit verify >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
pass "--jobs $N: all fetches overlapped (last start $LAST_START < first end $FIRST_END), same counts, log verifies"

# ---- bounded: --jobs 4 and the daemon.max_concurrent default ---------------
run_case four 4 "" -- --jobs 4
assert_eq "$PEAK" 4 "--jobs 4: most fetches at once"
pass "--jobs 4: at most 4 fetches at once, and 4 did overlap"

run_case default 3 3 --
assert_eq "$PEAK" 3 "daemon.max_concurrent 3: most fetches at once"
pass "without --jobs, daemon.max_concurrent (3) sources run at once"

# ---- the table on stdout and the progress lines on stderr -----------------
config $N ""
rm -rf data feeds
gw run --jobs $N --progress-every 0 >table.out 2>table.err || fail "table run failed: $(cat table.err)"
rows=$(grep -E '^src[0-9]{2} +ok ' table.out | awk '{print $1}' | paste -sd, -)
assert_eq "$rows" "$(seq -f 'src%02g' -s, 1 $N)" "table rows in configuration order"
# Each record is one write, whole however many sources report at once
# (a diagnostic of another run may still sit between two records).
whole_finished=$(grep -oE 'event=run_finished source=src[0-9]{2} outcome=ok run_id=[0-9a-f]{32} pages=1 not_modified=0 bytes=[0-9]+ rows=[0-9]+ unmapped=[0-9]+ rejected=0 suppressed=[0-9]+ inserted=[0-9]+ revised=0 unchanged=0 retries=0 seconds=[0-9]+[.][0-9]{2}$' table.err | sort -u | wc -l)
assert_eq "$whole_finished" "$N" "whole run_finished records, one per source"
assert_eq "$(grep -o 'event=run_finished' table.err | wc -l)" "$N" "run_finished records"
n_progress=$(grep -o 'event=progress' table.err | wc -l)
assert_eq "$(grep -oE 'event=progress source=src[0-9]{2} pages=[0-9]+ not_modified=[0-9]+ bytes=[0-9]+ rows=[0-9]+ rejected=[0-9]+ retries=[0-9]+ elapsed_s=[0-9]+[.][0-9]$' table.err | wc -l)" \
  "$n_progress" "whole progress records"
[ "$n_progress" -ge "$N" ] || fail "$n_progress progress records for $N sources"
pass "table rows in configuration order; $N whole run_finished and $n_progress whole progress records"

gw run --jobs 0 >/dev/null 2>jobs.err && fail "--jobs 0 accepted"
assert_contains "$(cat jobs.err)" "--jobs expects a whole number from 1 to 64" "--jobs 0"
pass "--jobs 0 is refused"
