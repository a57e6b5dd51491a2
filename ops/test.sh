#!/usr/bin/env bash
# ops/test.sh - the whole quality gate, as CI runs it (.ci/run).
#
# Stages (run in this order; GW_TEST_STAGES selects a subset):
#   gcc       RelWithDebInfo build in build/ with gcc, full ctest
#   clang     build-clang/ with clang: compiles everything, warnings are
#             errors (the project flags carry -Werror); no tests
#   asan      build-asan/ with -DGW_SANITIZE=ON (clang when present),
#             full ctest under ASan+UBSan, leaks and UB are fatal; tests
#             see GW_SANITIZED=1 (memory measurements are meaningless)
#   valgrind  the integration tests of build/ with the gateway under
#             valgrind ($GW_WRAPPER), and with GW_VALGRIND_UNIT=1 every unit
#             test executable too; tests see GW_VALGRIND=1 (timings and
#             RSS are meaningless there). Unit tests run under ASan+UBSan
#             with LeakSanitizer in the asan stage anyway; the valgrind
#             pass over them (about ten minutes on 2 CPUs) is left out by
#             default so CI stays inside its 30-minute budget.
#   fuzz      build-fuzz/ with clang -DGW_FUZZ=ON; each fuzz_* harness
#             runs a short smoke on its seed corpus
#
# Knobs:
#   GW_TEST_STAGES    default "gcc clang asan valgrind fuzz"
#   GW_JOBS           parallel build/test jobs, default $(nproc)
#   GW_FUZZ_SECONDS   per harness, default 10
#   GW_VALGRIND_UNIT  0 (default) or 1
#   GW_SKIP_DEPS=1    do not check/install Debian packages
#   GW_BUILD_ROOT     where the build dirs go, default the source root
#
# Exit status: 0 when every selected stage passed (or was skipped because
# there is nothing for it yet), 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=ops/lib/deps.sh
source "$ROOT/ops/lib/deps.sh"

STAGES=${GW_TEST_STAGES:-gcc clang asan valgrind fuzz}
JOBS=${GW_JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${GW_FUZZ_SECONDS:-10}
VALGRIND_UNIT=${GW_VALGRIND_UNIT:-0}
BUILD_ROOT=${GW_BUILD_ROOT:-$ROOT}
KNOWN_STAGES=" gcc clang asan valgrind fuzz "

VALGRIND_CMD="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --quiet"

SUMMARY=()
FAILED=0
SKIP_NOTE=""

header() {
  printf '\n======================================================================\n'
  printf '== %s\n' "$*"
  printf '======================================================================\n'
}

# Stages call skip "why" and return 0 when there is nothing to do yet.
skip() {
  SKIP_NOTE=$1
  echo "SKIP: $1"
}

configure() { # BUILD_DIR [cmake args...]
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$BUILD_ROOT/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
}

build() { # BUILD_DIR
  cmake --build "$BUILD_ROOT/$1" -j "$JOBS"
}

stage_gcc() {
  configure build -DCMAKE_C_COMPILER=gcc
  build build
  ctest --test-dir "$BUILD_ROOT/build" --output-on-failure -j "$JOBS"
}

stage_clang() {
  command -v clang >/dev/null || {
    echo "clang not found" >&2
    return 1
  }
  configure build-clang -DCMAKE_C_COMPILER=clang
  build build-clang
}

stage_asan() {
  local cc=gcc
  command -v clang >/dev/null && cc=clang
  configure build-asan -DCMAKE_C_COMPILER="$cc" -DGW_SANITIZE=ON
  build build-asan
  # GW_SANITIZED tells tests that measure memory (peak RSS) that the
  # numbers mean nothing under ASan's shadow memory and quarantine.
  env -u GW_WRAPPER GW_SANITIZED=1 \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$BUILD_ROOT/build-asan" --output-on-failure -j "$JOBS"
}

# Unit tests under valgrind. Criterion runs each test in a re-executed
# child whose exit status never reaches us, so valgrind writes one log per
# process and any non-empty log (with --quiet: only errors) is a failure.
# One unit-test executable under valgrind; its output and exit status go to
# files, so parallel runs neither interleave nor depend on `wait PID`.
valgrind_one_unit() {
  local exe=$1 logs=$2 name rc=0
  name=$(basename "$exe")
  GW_SOURCE_DIR="$ROOT" GW_BUILD_DIR="$BUILD_ROOT/build" \
    GW_PLUGIN_DIR="$BUILD_ROOT/build/plugins" GW_VALGRIND=1 \
    $VALGRIND_CMD --trace-children=yes \
    --trace-children-skip='*python*,*bash*,*openssl*,/usr/bin/*,/bin/*' \
    --log-file="$logs/$name.%p.log" \
    "$exe" --jobs 1 --short-filename >"$logs/$name.out" 2>&1 || rc=$?
  echo "$rc" >"$logs/$name.rc"
}

valgrind_unit_tests() {
  local logs exe failed=0 log running=0 rcfile name
  logs="$BUILD_ROOT/build/valgrind-logs"
  rm -rf "$logs"
  mkdir -p "$logs"
  # valgrind is single-threaded: run JOBS executables at a time.
  for exe in "$BUILD_ROOT"/build/tests/test_*; do
    [[ -f $exe && -x $exe ]] || continue
    echo "-- valgrind $(basename "$exe")"
    valgrind_one_unit "$exe" "$logs" &
    running=$((running + 1))
    if [[ $running -ge $JOBS ]]; then
      wait -n || true
      running=$((running - 1))
    fi
  done
  wait
  for rcfile in "$logs"/*.rc; do
    [[ -e $rcfile ]] || continue
    [[ $(cat "$rcfile") == 0 ]] && continue
    name=$(basename "$rcfile" .rc)
    echo "unit test $name failed under valgrind:"
    tail -40 "$logs/$name.out"
    failed=1
  done
  for log in "$logs"/*.log; do
    [[ -s $log ]] || continue
    echo "valgrind reported errors ($log):"
    cat "$log"
    failed=1
  done
  return "$failed"
}

stage_valgrind() {
  local count failed=0
  command -v valgrind >/dev/null || {
    echo "valgrind not found" >&2
    return 1
  }
  # Reuses (or makes) the gcc build; a no-op when the gcc stage just ran.
  configure build -DCMAKE_C_COMPILER=gcc >/dev/null
  build build
  count=$(ctest --test-dir "$BUILD_ROOT/build" -N -L integration |
    sed -n 's/^Total Tests: //p')
  if [[ ${count:-0} -gt 0 ]]; then
    GW_WRAPPER="$VALGRIND_CMD" GW_VALGRIND=1 \
      ctest --test-dir "$BUILD_ROOT/build" -L integration --output-on-failure \
      -j "$JOBS" || failed=1
  else
    echo "no integration tests registered"
  fi
  # The unit tests run even when an integration test failed: one run
  # should report every finding.
  if [[ $VALGRIND_UNIT == 1 ]]; then
    valgrind_unit_tests || failed=1
  elif [[ ${count:-0} -eq 0 ]]; then
    skip "no integration tests and GW_VALGRIND_UNIT=0"
  fi
  return "$failed"
}

# fuzz_one EXE: a short libFuzzer run. New inputs go to a scratch corpus
# (the first directory); the committed seed corpus is only read.
fuzz_one() {
  local exe=$1 name seed work
  name=$(basename "$exe")
  seed="$ROOT/tests/fuzz/corpus/${name#fuzz_}"
  work="$BUILD_ROOT/build-fuzz/corpus/$name"
  mkdir -p "$work"
  echo "-- $name (${FUZZ_SECONDS}s)"
  local -a dirs=("$work")
  if [[ -d $seed ]]; then
    dirs+=("$seed")
  else
    echo "(no seed corpus at tests/fuzz/corpus/${name#fuzz_})"
  fi
  local log="$BUILD_ROOT/build-fuzz/logs/$name.log" rc=0
  mkdir -p "$BUILD_ROOT/build-fuzz/logs"
  "$exe" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
    -artifact_prefix="$BUILD_ROOT/build-fuzz/artifacts/$name-" "${dirs[@]}" \
    >"$log" 2>&1 || rc=$?
  # The full libFuzzer output stays in the log; on a finding it is shown.
  [[ $rc -eq 0 ]] || tail -60 "$log"
  fuzz_report_line "$name" "$log" "$rc" | tee -a "$BUILD_ROOT/build-fuzz/report.txt"
  return "$rc"
}

# One line per harness for the closing report: executions, speed, edges
# covered, corpus size, and whether it found something.
fuzz_report_line() { # NAME LOG RC
  local execs speed cov corpus verdict=ok
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$2" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$2" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$2" | tail -1 | cut -d' ' -f2)
  corpus=$(grep -o 'corp: [0-9]*' "$2" | tail -1 | cut -d' ' -f2)
  [[ $3 -eq 0 ]] || verdict="FINDING (exit $3)"
  printf '%-28s execs=%-10s exec/s=%-7s cov=%-6s corpus=%-6s %s\n' \
    "$1" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${corpus:-?}" "$verdict"
}

stage_fuzz() {
  local exe ran=0 failed=0
  if ! command -v clang >/dev/null; then
    skip "clang not installed (libFuzzer needs clang)"
    return 0
  fi
  if [[ ! -f $ROOT/tests/fuzz/CMakeLists.txt ]]; then
    skip "tests/fuzz/CMakeLists.txt does not exist yet"
    return 0
  fi
  configure build-fuzz -DCMAKE_C_COMPILER=clang -DGW_FUZZ=ON
  build build-fuzz
  mkdir -p "$BUILD_ROOT/build-fuzz/artifacts"
  rm -f "$BUILD_ROOT/build-fuzz/report.txt"
  for exe in "$BUILD_ROOT"/build-fuzz/tests/fuzz/fuzz_*; do
    [[ -f $exe && -x $exe ]] || continue
    ran=$((ran + 1))
    # Keep going after a finding so one run reports every harness.
    if ! fuzz_one "$exe"; then
      echo "FAILED: $(basename "$exe") (artifacts in build-fuzz/artifacts)"
      failed=1
    fi
  done
  if [[ $ran -eq 0 ]]; then
    skip "no fuzz_* harness was built"
  else
    echo "-- fuzz report (${FUZZ_SECONDS}s per harness; build-fuzz/report.txt)"
    cat "$BUILD_ROOT/build-fuzz/report.txt"
  fi
  return "$failed"
}

run_stage() {
  local name=$1 description=$2 started rc status
  header "stage $name: $description"
  started=$(date +%s)
  SKIP_NOTE=""
  # set -e must be live inside the stage, so the subshell may not sit in
  # an if/||/&& context (which would disable it).
  set +e
  (
    set -euo pipefail
    "stage_$name"
    # SKIP_NOTE lives in the subshell; hand it out through a file.
    printf '%s' "$SKIP_NOTE" >"$STATE_DIR/$name.skip"
  )
  rc=$?
  set -e
  SKIP_NOTE=$(cat "$STATE_DIR/$name.skip" 2>/dev/null || true)
  if [[ $rc -ne 0 ]]; then
    status="FAIL (exit $rc)"
    FAILED=1
  elif [[ -n $SKIP_NOTE ]]; then
    status="SKIP ($SKIP_NOTE)"
  else
    status="PASS"
  fi
  SUMMARY+=("$(printf '%-9s %s  [%ss]' "$name" "$status" \
    $(($(date +%s) - started)))")
  echo "== stage $name: $status"
}

main() {
  local stage
  for stage in $STAGES; do
    if [[ $KNOWN_STAGES != *" $stage "* ]]; then
      echo "ops/test.sh: unknown stage '$stage' in GW_TEST_STAGES" \
        "(known:$KNOWN_STAGES)" >&2
      exit 2
    fi
  done
  if [[ ${GW_SKIP_DEPS:-0} != 1 ]]; then
    header "dependencies"
    # shellcheck disable=SC2119 # no arguments: the default package list
    gw_install_deps
  fi
  STATE_DIR=$(mktemp -d)
  trap 'rm -rf "$STATE_DIR"' EXIT

  for stage in $STAGES; do
    case $stage in
    gcc) run_stage gcc "gcc RelWithDebInfo build + ctest" ;;
    clang) run_stage clang "clang build, warnings are errors" ;;
    asan) run_stage asan "ASan+UBSan build + ctest" ;;
    valgrind) run_stage valgrind "integration + unit tests under valgrind" ;;
    fuzz) run_stage fuzz "libFuzzer smoke, ${FUZZ_SECONDS}s per harness" ;;
    esac
  done

  header "summary"
  printf '%s\n' "${SUMMARY[@]}"
  if [[ $FAILED -ne 0 ]]; then
    echo "RESULT: FAIL"
    return 1
  fi
  echo "RESULT: PASS"
}

main "$@"
