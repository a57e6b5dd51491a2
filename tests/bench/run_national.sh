#!/usr/bin/env bash
# run_national.sh - the national-scale import benchmark: the gateway against
# the pandas script a data steward would write (tests/bench/pandas_normalise.py),
# on a generated RIVM Gezondheidsmonitor table (tests/bench/gen_statline_national.py)
# served over local HTTPS by tests/server/fixture_server.py. Not part of ctest
# (it takes many minutes); tests/integration/test_bench_equal.sh is the small
# version that runs in the suite. Figures go to docs/performance.md.
#
# usage: tests/bench/run_national.sh [BUILD_DIR]        (default: build)
#   BENCH_RUNS=3          runs per tool and scale (medians are reported)
#   BENCH_PANDAS_RUNS=N   runs of the pandas script per scale (default:
#                         BENCH_RUNS; at scale 4 one run needs ~16 GB)
#   BENCH_SCALES="1 4"    generator scales (1 = national, ~5.5M observations)
#   BENCH_PARALLEL_SCALE=0.02  scale of each of the 10 tables of the parallel
#                         run (empty: skip the parallel measurement)
#   BENCH_PARALLEL_LATENCIES="0 0.5"  the parallel run once per value: the
#                         fixture server waits that many seconds before each
#                         answer (0: local, CPU-bound; 0.5: like a remote server)
#   BENCH_OUT=DIR         work dir (default: a new /tmp/gw-bench-XXXXXX);
#                         generated tables there are reused when present
#   BENCH_KEEP=1          keep the work dir (always kept when BENCH_OUT is set)
#   BENCH_APPEND=1        keep the measurements already in BENCH_OUT (run the
#                         scales in separate invocations, report them together)
#   PANDAS_PYTHON=/usr/bin/python3   the Python that has Debian's python3-pandas
#
# For each scale: the gateway imports the table end to end (fetch, parse,
# normalise, store, export the JSON feed) from an empty data dir, BENCH_RUNS
# times; the pandas script fetches the same pages and writes the same feed,
# BENCH_RUNS times; compare_outputs.py checks both feeds hold the same
# observations. Then a re-run of the gateway on its filled store (nothing
# changed: every request must be answered 304), and ten sources (ten copies
# of the table): each alone, then all ten in one `gateway run --jobs 1` (one
# after the other) and `--jobs 10` (all at once), without and with latency.
#
# Reports medians of wall time, observations/s, CPU (user+sys) and peak RSS
# (ru_maxrss of the process, from os.wait4) as a markdown table on stdout,
# and everything as JSON in $OUT/result.json.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
GW_BIN=$BUILD/gateway
PLUGIN_DIR=$BUILD/plugins
RUNS=${BENCH_RUNS:-3}
SCALES=${BENCH_SCALES:-1 4}
PANDAS_RUNS=${BENCH_PANDAS_RUNS:-$RUNS}
PARALLEL_SCALE=${BENCH_PARALLEL_SCALE-0.02}
PARALLEL_LATENCIES=${BENCH_PARALLEL_LATENCIES:-0 0.5}
PANDAS_PYTHON=${PANDAS_PYTHON:-/usr/bin/python3}
PYTHON=${PYTHON:-python3}
BENCH=$ROOT/tests/bench

[ -x "$GW_BIN" ] || { echo "run_national: no gateway binary at $GW_BIN" >&2; exit 2; }
[ -f "$PLUGIN_DIR/cbs_odata.so" ] || { echo "run_national: no cbs_odata plugin in $PLUGIN_DIR" >&2; exit 2; }
"$PANDAS_PYTHON" -c "import pandas" 2>/dev/null || {
  echo "run_national: $PANDAS_PYTHON cannot import pandas (apt-get install python3-pandas)" >&2
  exit 2
}

if [ -n "${BENCH_OUT:-}" ]; then
  OUT=$BENCH_OUT
  mkdir -p "$OUT"
  BENCH_KEEP=1
else
  OUT=$(mktemp -d /tmp/gw-bench-XXXXXX)
fi
OUT=$(cd "$OUT" && pwd)
SERVER_PIDS=()
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  if [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$OUT"; else echo "run_national: kept $OUT" >&2; fi
}
trap cleanup EXIT

log() { echo "run_national: $*" >&2; }

# measure.py NAME -- CMD...: runs CMD, appends one JSON line to
# $OUT/measurements.jsonl with wall, user, sys and the child's peak RSS.
cat >"$OUT/measure.py" <<'PY'
import json, os, subprocess, sys, time
name, cmd = sys.argv[1], sys.argv[3:]
start = time.monotonic()
proc = subprocess.Popen(cmd, stdout=open(os.environ["MEASURE_STDOUT"], "w"),
                        stderr=open(os.environ["MEASURE_STDERR"], "w"))
_, status, ru = os.wait4(proc.pid, 0)
wall = time.monotonic() - start
rc = os.waitstatus_to_exitcode(status)
rec = {"name": name, "rc": rc, "wall": round(wall, 3), "user": round(ru.ru_utime, 3),
       "sys": round(ru.ru_stime, 3), "cpu": round(ru.ru_utime + ru.ru_stime, 3),
       "maxrss_kb": ru.ru_maxrss}
with open(os.environ["MEASURE_LOG"], "a") as f:
    f.write(json.dumps(rec) + "\n")
sys.exit(rc)
PY
export MEASURE_LOG=$OUT/measurements.jsonl
[ -n "${BENCH_APPEND:-}" ] || : >"$MEASURE_LOG"

measure() { # NAME STDOUT STDERR -- CMD...
  local name=$1 out=$2 err=$3
  shift 3
  MEASURE_STDOUT=$out MEASURE_STDERR=$err "$PYTHON" "$OUT/measure.py" "$name" "$@"
}

[ -f "$OUT/certs/ca.crt" ] || bash "$ROOT/certs/make-test-ca.sh" "$OUT/certs" >/dev/null

# generate SCALE COPIES: DATA dir for it, reused when its manifest matches.
generate() {
  local scale=$1 copies=$2 dir=$OUT/data-$1-x$2
  if [ ! -f "$dir/manifest.json" ]; then
    log "generating scale $scale ($copies table(s)) in $dir"
    rm -rf "$dir"
    "$PYTHON" "$BENCH/gen_statline_national.py" --out "$dir" --scale "$scale" --copies "$copies" 2>&1 | sed 's/^/  /' >&2
  fi
  DATA=$dir
}

# start_server ROOT NAME [LATENCY]: sets BASE
start_server() {
  local root=$1 name=$2 latency=${3:-0} i
  rm -f "$OUT/$name.port"
  "$PYTHON" "$ROOT/tests/server/fixture_server.py" --root "$root" \
    --cert "$OUT/certs/server.crt" --key "$OUT/certs/server.key" --port 0 \
    --latency "$latency" \
    --port-file "$OUT/$name.port" --request-log "$OUT/$name.requests" \
    >"$OUT/$name.server.log" 2>&1 </dev/null &
  SERVER_PIDS+=($!)
  for i in $(seq 1 100); do
    [ -s "$OUT/$name.port" ] && break
    sleep 0.1
  done
  [ -s "$OUT/$name.port" ] || { log "fixture server did not start: $(cat "$OUT/$name.server.log")"; exit 1; }
  BASE=https://127.0.0.1:$(cat "$OUT/$name.port")
}

# write_config FILE WORKDIR CATALOGUE SOURCES_JSON
write_config() {
  cat >"$1" <<JSON
{
  "data_dir": "$2/data",
  "plugin_dir": "$PLUGIN_DIR",
  "catalogue": "$3",
  "tls": { "ca_file": "$OUT/certs/ca.crt", "min_version": "1.2" },
  "audit": { "path": "$2/data/exchange.log",
             "processing_activity_id": "https://register.example.nl/verwerkingen/indicatoren" },
  "sources": $4,
  "exports": [{"format": "json", "path": "$2/feeds/indicators.json"}]
}
JSON
}

gateway_run() { # NAME WORKDIR [run args...]
  local name=$1 work=$2
  shift 2
  measure "$name" "$work/run.json" "$work/run.err" -- \
    "$GW_BIN" --config "$work/gateway.json" --json run --no-progress "$@" ||
    { log "$name failed: $(tail -5 "$work/run.err")"; exit 1; }
}

requests_since() { # SERVER_NAME FROM_LINE -> "total n304"
  "$PYTHON" -c '
import json, sys
lines = open(sys.argv[1]).readlines()[int(sys.argv[2]):]
print(len(lines), sum(1 for l in lines if json.loads(l)["status"] == 304))' "$OUT/$1.requests" "$2"
}

COMPARE_RC=0
for scale in $SCALES; do
  generate "$scale" 1
  start_server "$DATA" "s$scale"
  url=$BASE/ODataFeed/odata/50120NED
  work=$OUT/gw-$scale
  mkdir -p "$work"
  write_config "$work/gateway.json" "$work" "$DATA/catalogue.json" \
    "[{\"id\": \"rivm-national\", \"plugin\": \"cbs_odata\", \"url\": \"$url\"}]"
  for i in $(seq 1 "$RUNS"); do
    rm -rf "$work/data" "$work/feeds"
    log "scale $scale: gateway run $i/$RUNS"
    gateway_run "gateway scale=$scale run=$i" "$work"
  done
  cp "$work/run.json" "$work/first-run.json"
  log "scale $scale: gateway re-run, nothing changed"
  before=$(wc -l <"$OUT/s$scale.requests")
  gateway_run "gateway-304 scale=$scale" "$work"
  read -r total n304 <<<"$(requests_since "s$scale" "$before")"
  echo "{\"name\": \"requests-304 scale=$scale\", \"requests\": $total, \"not_modified\": $n304}" >>"$MEASURE_LOG"
  pwork=$OUT/pandas-$scale
  mkdir -p "$pwork"
  for i in $(seq 1 "$PANDAS_RUNS"); do
    log "scale $scale: pandas run $i/$PANDAS_RUNS"
    measure "pandas scale=$scale run=$i" "$pwork/run.json" "$pwork/run.err" -- \
      "$PANDAS_PYTHON" "$BENCH/pandas_normalise.py" --url "$url" \
      --catalogue "$DATA/catalogue.json" --cafile "$OUT/certs/ca.crt" \
      --out "$pwork/observations.json" ||
      { log "pandas failed: $(tail -5 "$pwork/run.err")"; exit 1; }
  done
  # The floor: the same number of rows written straight into a fresh
  # store, with nothing else of an import (tests/bench/bench_store_floor.c).
  if [ -x "$BUILD/tests/bench_store_floor" ]; then
    obs=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["observations_per_table"])' "$DATA/manifest.json")
    log "scale $scale: store floor, $obs rows"
    mkdir -p "$OUT/floor-$scale"
    measure "floor scale=$scale" "$OUT/floor-$scale/floor.json" "$OUT/floor-$scale/floor.err" -- \
      "$BUILD/tests/bench_store_floor" run "$OUT/floor-$scale" "$obs" ||
      { log "store floor failed: $(tail -5 "$OUT/floor-$scale/floor.err")"; exit 1; }
    "$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["name"]="floor-result scale="+sys.argv[2]; print(json.dumps(r))' \
      "$OUT/floor-$scale/floor.json" "$scale" >>"$MEASURE_LOG"
    rm -f "$OUT/floor-$scale"/floor.db*
  fi
  log "scale $scale: comparing the feeds"
  rc=0
  "$PYTHON" "$BENCH/compare_outputs.py" "$work/feeds/indicators.json" \
    "$pwork/observations.json" >"$OUT/compare-$scale.txt" 2>&1 || rc=$?
  cat "$OUT/compare-$scale.txt" >&2
  echo "{\"name\": \"compare scale=$scale\", \"rc\": $rc}" >>"$MEASURE_LOG"
  [ "$rc" = 0 ] || COMPARE_RC=1
  # The feeds are big (GB at scale 4): keep only the comparison.
  rm -f "$pwork/observations.json"
  rm -rf "$work/feeds" "$work/data"
done

if [ -n "$PARALLEL_SCALE" ]; then
  generate "$PARALLEL_SCALE" 10
  for latency in $PARALLEL_LATENCIES; do
    start_server "$DATA" "par-$latency" "$latency"
    sources=$("$PYTHON" -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(json.dumps([{"id": "rivm-%s" % t["table"].lower(), "plugin": "cbs_odata",
                   "url": sys.argv[2] + t["url_path"]} for t in m["tables"]]))' "$DATA/manifest.json" "$BASE")
    work=$OUT/par-$latency
    mkdir -p "$work"
    write_config "$work/gateway.json" "$work" "$DATA/catalogue.json" "$sources"
    ids=$("$PYTHON" -c 'import json,sys; print(" ".join(s["id"] for s in json.loads(sys.argv[1])))' "$sources")
    for id in $ids; do
      rm -rf "$work/data" "$work/feeds"
      log "parallel (latency $latency s): $id alone"
      gateway_run "alone latency=$latency source=$id" "$work" "$id"
    done
    for jobs in 1 10; do
      for i in $(seq 1 "$RUNS"); do
        rm -rf "$work/data" "$work/feeds"
        log "parallel (latency $latency s): all 10 sources, --jobs $jobs, run $i/$RUNS"
        gateway_run "all10 latency=$latency jobs=$jobs run=$i" "$work" --jobs "$jobs"
      done
    done
    rm -rf "$work/data" "$work/feeds"
  done
fi

"$PYTHON" - "$OUT" "$GW_BIN" "$RUNS" <<'PY'
import json, os, platform, statistics, subprocess, sys
out, gw, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
recs = [json.loads(l) for l in open(os.path.join(out, "measurements.jsonl"))]

def pick(prefix):
    return [r for r in recs if r["name"].startswith(prefix)]

def med(rs, field):
    return statistics.median(r[field] for r in rs) if rs else None

def manifest(scale, copies):
    return json.load(open(os.path.join(out, "data-%s-x%s" % (scale, copies), "manifest.json")))

result = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                      "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                                   if l.startswith("model name")), "?")},
          "gateway": gw, "runs": runs, "scales": {}, "measurements": recs}
rows = ["| scale | tool | observations | runs | median wall s | obs/s | median CPU s (user+sys) | median peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|"]
ratios = []
scales = sorted({r["name"].split("scale=")[1].split()[0] for r in recs if "scale=" in r["name"]},
                key=float)
for scale in scales:
    m = manifest(scale, 1)
    obs = m["observations_per_table"]
    entry = {"rows": m["tables"][0]["rows"], "pages": m["tables"][0]["pages"],
             "regions": m["regions"], "observations": obs}
    for tool in ("gateway", "pandas"):
        rs = pick("%s scale=%s " % (tool, scale))
        wall, cpu, rss = med(rs, "wall"), med(rs, "cpu"), med(rs, "maxrss_kb")
        entry[tool] = {"median_wall_s": wall, "median_cpu_s": cpu, "median_maxrss_kb": rss,
                       "obs_per_s": round(obs / wall) if wall else None,
                       "runs": [{k: r[k] for k in ("wall", "user", "sys", "maxrss_kb")} for r in rs]}
        rows.append("| %s | %s | %d | %d | %.1f | %d | %.1f | %.0f |" % (
            scale, tool, obs, len(rs), wall, obs / wall, cpu, rss / 1024))
    g, p = entry["gateway"], entry["pandas"]
    entry["ratio_gateway_over_pandas"] = {
        "wall": round(g["median_wall_s"] / p["median_wall_s"], 3),
        "cpu": round(g["median_cpu_s"] / p["median_cpu_s"], 3),
        "maxrss": round(g["median_maxrss_kb"] / p["median_maxrss_kb"], 3)}
    r304 = pick("gateway-304 scale=%s" % scale)
    req = pick("requests-304 scale=%s" % scale)
    entry["rerun_unchanged"] = {"wall_s": r304[0]["wall"] if r304 else None,
                                "cpu_s": r304[0]["cpu"] if r304 else None,
                                "requests": req[0]["requests"] if req else None,
                                "not_modified": req[0]["not_modified"] if req else None}
    cmp_ = pick("compare scale=%s" % scale)
    entry["outputs_equal"] = bool(cmp_) and cmp_[0]["rc"] == 0
    result["scales"][scale] = entry
    ratios.append("| %s | %.2f | %.2f | %.2f | %s | %.1f s (%s/%s requests 304) |" % (
        scale, entry["ratio_gateway_over_pandas"]["wall"], entry["ratio_gateway_over_pandas"]["cpu"],
        entry["ratio_gateway_over_pandas"]["maxrss"],
        "yes" if entry["outputs_equal"] else "**NO**", entry["rerun_unchanged"]["wall_s"] or 0,
        entry["rerun_unchanged"]["not_modified"], entry["rerun_unchanged"]["requests"]))
print("\n".join(rows))
print()
print("| scale | gateway/pandas wall | gateway/pandas CPU | gateway/pandas RSS | same observations | gateway re-run, nothing changed |")
print("|---|---:|---:|---:|---|---|")
print("\n".join(ratios))
floors = [(s_, pick("floor-result scale=%s" % s_)) for s_ in scales]
if any(f for _, f in floors):
    print()
    print("| scale | pandas, whole run: us/observation | 10x target: gateway us/observation | store floor (insert + commit only): us/observation |")
    print("|---|---:|---:|---:|")
    for s_, f in floors:
        if not f:
            continue
        e = result["scales"][s_]
        p_us = e["pandas"]["median_wall_s"] * 1e6 / e["observations"]
        e["store_floor"] = f[0]
        print("| %s | %.2f | %.2f | %.2f |" % (s_, p_us, p_us / 10, f[0]["us_per_observation"]))
# Linearity: each scale's gateway medians against the smallest scale's.
if len(scales) > 1:
    base = result["scales"][scales[0]]
    print()
    print("| gateway, scale %s -> | observations x | wall x | CPU x | peak RSS x |" % scales[0])
    print("|---|---:|---:|---:|---:|")
    for scale in scales[1:]:
        e = result["scales"][scale]
        lin = {k: round(e["gateway"][f] / base["gateway"][f], 3) for k, f in
               (("wall", "median_wall_s"), ("cpu", "median_cpu_s"), ("maxrss", "median_maxrss_kb"))}
        lin["observations"] = round(e["observations"] / base["observations"], 3)
        e["gateway_vs_scale_%s" % scales[0]] = lin
        print("| %s | %.2f | %.2f | %.2f | %.3f |" % (scale, lin["observations"], lin["wall"],
                                                       lin["cpu"], lin["maxrss"]))
latencies = sorted({r["name"].split("latency=")[1].split()[0] for r in recs
                    if r["name"].startswith(("alone latency=", "all10 latency="))}, key=float)
if latencies:
    pm = [f for f in os.listdir(out) if f.startswith("data-") and f.endswith("-x10")]
    m = json.load(open(os.path.join(out, pm[0], "manifest.json")))
    result["parallel"] = {"scale_each": m["scale"], "observations_each": m["observations_per_table"],
                          "latencies": {}}
    print()
    print("Ten sources, scale %s each (%d observations each):" % (m["scale"], m["observations_per_table"]))
    print()
    print("| server latency | run | wall s | CPU s | peak RSS MiB |")
    print("|---|---|---:|---:|---:|")
    for lat in latencies:
        alone = pick("alone latency=%s " % lat)
        par = {"alone_wall_s": [r["wall"] for r in alone]}
        if alone:
            slowest = max(alone, key=lambda r: r["wall"])
            par["slowest_alone_wall_s"] = slowest["wall"]
            par["sum_alone_wall_s"] = round(sum(r["wall"] for r in alone), 3)
            print("| %s s | slowest source alone | %.1f | %.1f | %.0f |" % (
                lat, slowest["wall"], slowest["cpu"], slowest["maxrss_kb"] / 1024))
            print("| %s s | sum of the ten alone | %.1f | %.1f | |" % (
                lat, par["sum_alone_wall_s"], sum(r["cpu"] for r in alone)))
        for jobs in (1, 10):
            rs = pick("all10 latency=%s jobs=%d " % (lat, jobs))
            if rs:
                par["jobs%d" % jobs] = {"median_wall_s": med(rs, "wall"), "median_cpu_s": med(rs, "cpu"),
                                        "median_maxrss_kb": med(rs, "maxrss_kb"), "runs": len(rs)}
                print("| %s s | all ten, `run --jobs %d` (median of %d) | %.1f | %.1f | %.0f |" % (
                    lat, jobs, len(rs), med(rs, "wall"), med(rs, "cpu"), med(rs, "maxrss_kb") / 1024))
        result["parallel"]["latencies"][lat] = par
with open(os.path.join(out, "result.json"), "w") as f:
    json.dump(result, f, indent=1)
print()
print("result: %s" % os.path.join(out, "result.json"))
PY
if [ -z "${BENCH_KEEP:-}" ]; then
  cp "$OUT/result.json" "${BENCH_RESULT:-./bench-national-result.json}"
  log "result JSON copied to ${BENCH_RESULT:-./bench-national-result.json}"
fi
exit "$COMPARE_RC"
