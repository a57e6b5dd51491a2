#!/usr/bin/env bash
# Proxies: a per-source "proxy", the HTTPS_PROXY environment variable, a
# source that bypasses the environment's proxy with "none", and a proxy that
# is down (the run fails and the message names the proxy). TLS to the
# fixture server stays verified end to end through the CONNECT tunnel.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
# 127.0.0.1 must not be exempted, or libcurl would connect directly.
unset NO_PROXY no_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy HTTP_PROXY http_proxy

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
port=$(cat "$WORK/S.port")
target="CONNECT 127.0.0.1:$port"

rm -f proxy.port
"$PYTHON" "$GW_SOURCE_DIR/tests/server/connect_proxy.py" --port-file proxy.port \
  --log proxy.log >proxy.out 2>&1 </dev/null &
SERVER_PIDS+=($!)
for _ in $(seq 1 100); do
  [ -s proxy.port ] && break
  sleep 0.1
done
[ -s proxy.port ] || fail "proxy did not start: $(cat proxy.out)"
PROXY="http://127.0.0.1:$(cat proxy.port)"

# A port nobody listens on: bind, note, close.
DOWN_PORT=$("$PYTHON" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1]); s.close()")
DOWN="http://127.0.0.1:$DOWN_PORT"

source_json() { # ID [PROXY_JSON_VALUE]
  local extra=""
  [ $# -ge 2 ] && extra=",\"proxy\":$2"
  echo "[{\"id\":\"$1\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/odata/v1/CBS/90002NED\"$extra}]"
}

connects() { grep -c -F -x "$target" proxy.log 2>/dev/null || true; }

# (a) per-source proxy
it_write_config "$(source_json via-config "\"$PROXY\"")"
gw check >check.out 2>&1 || fail "gateway check: $(cat check.out)"
gw run >a.out 2>&1 || fail "run through the configured proxy failed: $(cat a.out)"
n=$(connects)
[ "$n" -ge 1 ] || fail "proxy log shows no '$target' after (a): $(cat proxy.log 2>/dev/null)"
pass "per-source proxy: run ok, proxy saw $n x '$target'"

# (b) HTTPS_PROXY from the environment, no "proxy" key
before=$(connects)
it_write_config "$(source_json via-env)"
HTTPS_PROXY=$PROXY gw run >b.out 2>&1 || fail "run through HTTPS_PROXY failed: $(cat b.out)"
after=$(connects)
[ "$after" -gt "$before" ] || fail "HTTPS_PROXY was not used (CONNECTs $before -> $after)"
pass "HTTPS_PROXY: run ok, proxy saw $((after - before)) more CONNECTs"

# (c) HTTPS_PROXY set, but the source says "none"
before=$(connects)
it_write_config "$(source_json direct '"none"')"
HTTPS_PROXY=$PROXY gw run >c.out 2>&1 || fail "direct run failed: $(cat c.out)"
after=$(connects)
assert_eq "$after" "$before" "CONNECTs with \"proxy\": \"none\""
# Control: the same environment with a proxy that is down also succeeds,
# so the source really went direct.
HTTPS_PROXY=$DOWN gw run >c2.out 2>&1 || fail "\"none\" still used HTTPS_PROXY: $(cat c2.out)"
pass "\"proxy\": \"none\" bypasses HTTPS_PROXY"

# (d) a proxy that is down
it_write_config "$(source_json via-down "\"$DOWN\"")"
if gw run >d.out 2>&1; then fail "run through a proxy that is down succeeded: $(cat d.out)"; fi
assert_contains "$(cat d.out)" "through proxy $DOWN" "error of a run through a dead proxy"
pass "proxy down: run fails and names $DOWN"

# (d') the same through the environment
it_write_config "$(source_json via-env-down)"
if HTTPS_PROXY=$DOWN gw run >d2.out 2>&1; then fail "run through a dead HTTPS_PROXY succeeded"; fi
assert_contains "$(cat d2.out)" "through proxy $DOWN" "error of a run through a dead HTTPS_PROXY"
pass "HTTPS_PROXY down: run fails and names $DOWN"
