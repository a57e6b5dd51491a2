#!/usr/bin/env bash
# Progress of `gateway run` on stderr (DESIGN 12): key=value lines when
# stderr is a file (event=progress per fetch with --progress-every 0, one
# event=run_finished per source, no escape sequences, stdout still pure
# JSON); an in-place line under a pseudo-terminal that gives way to the
# table row, or stays with its outcome when stdout is elsewhere; nothing
# with --no-progress; only failed sources under --quiet.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
it_write_config "[
  {\"id\":\"rivm-gezondheid\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/50120NED\"}]" '[]'

ESC=$'\033'
CR=$'\r'
LF=$'\n'

# pty_run.py OUT_FILE STDOUT_FILE|- CMD...: CMD with stderr (and stdout, when
# STDOUT_FILE is -) on a new pseudo-terminal 200 columns wide; everything
# the terminal showed goes to OUT_FILE; exits with CMD's status.
cat >pty_run.py <<'PY'
import fcntl, os, struct, subprocess, sys, termios
out_file, stdout_file, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
stdout = slave if stdout_file == "-" else open(stdout_file, "wb")
proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout,
                        stderr=slave, start_new_session=True)
os.close(slave)
if stdout is not slave:
    stdout.close()
seen = bytearray()
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: the last writer closed the terminal
        break
    if not chunk:
        break
    seen += chunk
rc = proc.wait()
with open(out_file, "wb") as f:
    f.write(seen)
sys.exit(rc)
PY
# The wrapper (valgrind) runs inside the terminal too; unquoted on purpose.
# shellcheck disable=SC2086
gw_pty() { # TERM OUT_FILE STDOUT_FILE|- GATEWAY_ARGS...
  local term=$1 out=$2 stdout=$3
  shift 3
  TERM=$term "$PYTHON" pty_run.py "$out" "$stdout" $GW_WRAPPER "$GW_BIN" --config "$WORK/gateway.json" "$@"
}

# ---- (1) stderr is a file: structured lines --------------------------
gw --json run --progress-every 0 >run1.json 2>run1.err || fail "run failed: $(cat run1.err)"
pages=$(json_get run1.json "d['runs'][0]['pages']")
inserted=$(json_get run1.json "d['runs'][0]['inserted']")
[ "$pages" -ge 6 ] || fail "the paged source fetched only $pages pages"
[ "$inserted" -gt 0 ] || fail "the run stored nothing"
n_progress=$(grep -c "level=info event=progress source=rivm-gezondheid " run1.err || true)
[ "$n_progress" -ge "$pages" ] || fail "$n_progress progress lines for $pages fetches:"$'\n'"$(cat run1.err)"
last=$(grep "event=progress source=rivm-gezondheid " run1.err | tail -n 1)
assert_contains "$last" " pages=$pages " "the last progress line"
assert_eq "$(grep -c 'event=run_finished' run1.err)" 1 "run_finished lines"
finished=$(grep 'event=run_finished' run1.err)
assert_contains "$finished" "level=info event=run_finished source=rivm-gezondheid outcome=ok " "run_finished"
assert_contains "$finished" " pages=$pages " "run_finished"
assert_contains "$finished" " inserted=$inserted " "run_finished"
case "$finished" in time=20*) ;; *) fail "run_finished does not start with time=: $finished" ;; esac
if grep -q "[$ESC$CR]" run1.err; then fail "escape sequences in a log file: $(cat -A run1.err)"; fi
"$PYTHON" -c "import json,sys; json.load(open(sys.argv[1]))" run1.json || fail "stdout is not pure JSON"
pass "stderr to a file: $n_progress event=progress lines, run_finished with pages=$pages inserted=$inserted"

gw run --progress-every 3600 >run2.out 2>run2.err || fail "run failed: $(cat run2.err)"
assert_eq "$(grep -c 'event=progress' run2.err || true)" 0 "progress lines within the interval"
assert_eq "$(grep -c 'event=run_finished source=rivm-gezondheid outcome=ok' run2.err)" 1 "run_finished lines"
assert_contains "$(cat run2.out)" "rivm-gezondheid        ok" "the table"
if grep -q "event=" run2.out; then fail "progress on stdout: $(cat run2.out)"; fi
pass "the interval holds progress lines back; run_finished is always written, on stderr only"

# ---- (2) under a pseudo-terminal -------------------------------------
# Nothing changed since the first run, so this run would only ask for 304s
# and skip the plugin (docs/performance.md, "Unchanged sources"); without
# the page list it parses again, and the plugin's own message shows how a
# diagnostic and the live line share the terminal.
rm -f data/state/rivm-gezondheid.pages.json
gw_pty xterm tty1.out - run || fail "run under a terminal failed: $(cat -A tty1.out)"
tty=$(cat tty1.out)
assert_contains "$tty" "${CR}rivm-gezondheid        page 1 " "the terminal (first draw)"
assert_contains "$tty" "${ESC}[K" "the terminal (clear to end of line)"
# stdout is the same terminal: the line is erased and the row takes its place.
# The plugin's end-of-source message erases the live line first (diag's
# terminal hook), so it starts on a clean line; the row then follows on a
# line of its own.
assert_contains "$tty" "${CR}${ESC}[Kgateway: rivm-gezondheid: 50120NED:" "the terminal (message after the line)"
case "$tty" in
*"${CR}${ESC}[Krivm-gezondheid        ok "* | *"${LF}rivm-gezondheid        ok "*) ;;
*) fail "the terminal (row after the line): $(printf %s "$tty" | cat -A)" ;;
esac
if grep -q "event=" tty1.out; then fail "log lines on a terminal: $(cat -A tty1.out)"; fi
pass "terminal: the line is redrawn in place and gives way to the table row"

gw_pty xterm tty2.out table.out run || fail "run under a terminal failed: $(cat -A tty2.out)"
tty=$(cat tty2.out)
assert_contains "$tty" "${CR}rivm-gezondheid        page 1 " "stderr terminal (first draw)"
assert_contains "$tty" "rivm-gezondheid        $pages pages " "stderr terminal (final line)"
assert_contains "$tty" " ok: 0 new, 0 revised${ESC}[K" "stderr terminal (outcome)"
assert_eq "$(tail -c 2 tty2.out | od -An -c | tr -d ' ')" '\r\n' "the end of the final line"
if grep -q "[$ESC$CR]" table.out; then fail "escape sequences on stdout: $(cat -A table.out)"; fi
assert_contains "$(cat table.out)" "rivm-gezondheid        ok " "the table on stdout"
pass "stdout elsewhere: the final line stays on the terminal with its outcome; the table is clean"

gw_pty dumb tty3.out - run || fail "run under a dumb terminal failed: $(cat -A tty3.out)"
if grep -q "$ESC" tty3.out; then fail "escape sequences for TERM=dumb: $(cat -A tty3.out)"; fi
assert_contains "$(cat tty3.out)" "event=run_finished source=rivm-gezondheid outcome=ok" "TERM=dumb"
pass "TERM=dumb gets the plain lines"

# ---- (3) --no-progress and --quiet -----------------------------------
gw run --no-progress --progress-every 0 >np.out 2>np.err || fail "run failed: $(cat np.err)"
if grep -q "event=" np.err; then fail "--no-progress still logged: $(cat np.err)"; fi
gw_pty xterm np_tty.out - run --no-progress || fail "run failed: $(cat -A np_tty.out)"
if grep -q "page 1\|$ESC" np_tty.out; then fail "--no-progress still drew: $(cat -A np_tty.out)"; fi
assert_contains "$(cat np_tty.out)" "rivm-gezondheid        ok " "the table with --no-progress"
pass "--no-progress prints no progress, on a terminal or not"

rc=0
gw run --progress-every >usage.out 2>usage.err || rc=$?
assert_eq "$rc" 2 "exit status of --progress-every without a value"
rc=0
gw run --progress-every soon >usage.out 2>usage.err || rc=$?
assert_eq "$rc" 2 "exit status of a bad --progress-every"
assert_contains "$(cat usage.err)" "--progress-every expects whole seconds"
rc=0
gw run --bogus >usage.out 2>usage.err || rc=$?
assert_eq "$rc" 2 "exit status of an unknown run option"
assert_contains "$(cat usage.err)" "unknown option --bogus"
pass "a bad --progress-every or an unknown option is a usage error"

it_write_config "[
  {\"id\":\"rivm-gezondheid\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/50120NED\"},
  {\"id\":\"bestaat-niet\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/99999NED\"}]" '[]'
rc=0
gw --quiet run --progress-every 0 >q.out 2>q.err || rc=$?
assert_eq "$rc" 1 "exit status with a failing source"
if grep -q "event=progress\|source=rivm-gezondheid" q.err; then fail "--quiet logged progress: $(cat q.err)"; fi
assert_eq "$(grep -c 'level=error event=run_finished source=bestaat-niet outcome=failed' q.err)" 1 \
  "run_finished of the failed source under --quiet"
assert_contains "$(grep 'event=run_finished' q.err)" ' error="' "the failed run_finished"
pass "--quiet: only the failed source's run_finished line (level=error)"
