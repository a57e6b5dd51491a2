#!/usr/bin/env bash
# TLS refusals (DESIGN 9, docs/tls.md) with the real binary: a digikoppeling
# source against fixture servers presenting each certificate of the test
# PKI, an `openssl s_server` offering only TLS 1.1, and a public source
# without a client certificate against a server that demands one. Each
# must be refused with its precise message and a `refuse` record in the
# exchange log, nothing may be stored, and `gateway audit verify` must
# still pass. Then mutual TLS with the right OIN succeeds (the control),
# and the config refuses a digikoppeling source without crl_file.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset HTTPS_PROXY https_proxy ALL_PROXY all_proxy

SERVER_OIN=00000099000000000001
WRONG_OIN=00000099000000000002
FIXTURES=$GW_SOURCE_DIR/tests/fixtures/statline
C=$WORK/certs

it_make_ca
# One fixture server per certificate; all demand our client certificate.
for name in server expired-server wrongsan-server untrusted-server \
  revoked-server wrongoin-server; do
  var=${name%-server}
  var=${var//-/_}
  it_start_server "$var" "$FIXTURES" --cert "$C/$name.crt" --key "$C/$name.key" \
    --client-ca "$C/ca.crt"
done
BASE_good=$BASE_server

# A server that speaks TLS 1.1 and nothing newer.
TLS11_PORT=$("$PYTHON" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1]); s.close()")
openssl s_server -quiet -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' \
  -cert "$C/server.crt" -key "$C/server.key" -accept "127.0.0.1:$TLS11_PORT" \
  -www >tls11.log 2>&1 </dev/null &
SERVER_PIDS+=($!)
for _ in $(seq 1 100); do
  "$PYTHON" -c "import socket,sys; socket.create_connection(('127.0.0.1',int(sys.argv[1])),1)" \
    "$TLS11_PORT" 2>/dev/null && break
  sleep 0.1
done
# Control: the server is up and really speaks TLS 1.1.
echo | openssl s_client -connect "127.0.0.1:$TLS11_PORT" -tls1_1 \
  -cipher 'DEFAULT@SECLEVEL=0' >tls11-control.out 2>&1 ||
  fail "the TLS 1.1 server does not answer a TLS 1.1 client: $(cat tls11-control.out)"
BASE_tls11="https://127.0.0.1:$TLS11_PORT"

# write_config SOURCE_JSON [nocert]: the test config, with our client
# certificate unless "nocert".
write_config() {
  local client="\"client_cert\": \"$C/client.crt\", \"client_key\": \"$C/client.key\","
  [ "${2:-}" = nocert ] && client=""
  cat >"$WORK/gateway.json" <<JSON
{
  "data_dir": "data",
  "plugin_dir": "$GW_PLUGIN_DIR",
  "catalogue": "$GW_SOURCE_DIR/schemas/indicators.json",
  "tls": { "ca_file": "$C/ca.crt", $client "min_version": "1.2" },
  "audit": { "path": "data/exchange.log",
             "processing_activity_id": "https://register.example.nl/verwerkingen/indicatoren" },
  "sources": [$1],
  "exports": [{"format":"json","path":"feeds/indicators.json"}]
}
JSON
}

# dk_source ID BASE [EXTRA_JSON]: a digikoppeling source.
dk_source() {
  echo "{\"id\":\"$1\",\"plugin\":\"cbs_odata\",\"url\":\"$2/odata/v1/CBS/90002NED\",\"tls_profile\":\"digikoppeling\",\"expected_oin\":\"$SERVER_OIN\",\"crl_file\":\"$C/ca.crl\"${3:+,$3}}"
}

stored() {
  gw export --format json | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['count'])"
}

refusals() { grep -c '"event":"refuse"' data/exchange.log 2>/dev/null || true; }

# expect_refusal CASE SOURCE_JSON MESSAGE [PEER_OIN [nocert]]
expect_refusal() {
  local case=$1 source=$2 message=$3 peer_oin=${4:-} before rc=0 rec
  write_config "$source" "${5:-}"
  gw check >"$case.check" 2>&1 || fail "$case: gateway check: $(cat "$case.check")"
  before=$(refusals)
  gw run >"$case.out" 2>&1 || rc=$?
  # 1: the run failed (under $GW_WRAPPER a memory error would be 99)
  [ "$rc" -eq 1 ] || fail "$case: expected exit 1, got $rc: $(cat "$case.out")"
  assert_contains "$(cat "$case.out")" "$message" "$case: run output"
  [ "$(refusals)" -eq $((before + 1)) ] ||
    fail "$case: expected one new refuse record, have $(refusals) (was $before)"
  rec=$(grep '"event":"refuse"' data/exchange.log | tail -1)
  assert_contains "$rec" '"outcome":"refused"' "$case: refuse record"
  assert_contains "$rec" '"reason":"tls"' "$case: refuse record"
  assert_contains "$rec" "\"error\":\"$message" "$case: refuse record"
  assert_contains "$rec" '"url":"https://127.0.0.1:' "$case: refuse record"
  if [ -n "$peer_oin" ]; then
    assert_contains "$rec" "\"peer_oin\":\"$peer_oin\"" "$case: refuse record"
    echo "$rec" | grep -q '"peer_cert_sha256":"[0-9a-f]\{64\}"' ||
      fail "$case: no peer certificate fingerprint: $rec"
  fi
  assert_eq "$(stored)" "0" "$case: observations stored"
  assert_eq "$(find data/spool -type f 2>/dev/null | wc -l)" "0" "$case: spooled files"
  gw audit verify >"$case.verify" 2>&1 ||
    fail "$case: audit verify: $(cat "$case.verify")"
  pass "$case: refused with '$message', refuse record written, nothing stored, log verifies"
}

expect_refusal expired "$(dk_source expired "$BASE_expired")" \
  "certificate expired" "$SERVER_OIN"
expect_refusal wrong-san "$(dk_source wrongsan "$BASE_wrongsan")" \
  "hostname mismatch" "$SERVER_OIN"
expect_refusal untrusted "$(dk_source untrusted "$BASE_untrusted")" \
  "untrusted CA" "$SERVER_OIN"
expect_refusal revoked "$(dk_source revoked "$BASE_revoked")" \
  "certificate revoked" "$SERVER_OIN"
expect_refusal wrong-oin "$(dk_source wrongoin "$BASE_wrongoin")" \
  "peer OIN $WRONG_OIN does not match expected_oin $SERVER_OIN" "$WRONG_OIN"
# The wrong peer never saw an HTTP request: the handshake failed first.
assert_eq "$(requests_total wrongoin)" "0" "HTTP requests reaching the wrong-OIN server"
expect_refusal tls11 "$(dk_source tls11 "$BASE_tls11")" \
  "TLS version refused by peer"
# A public source with no client certificate configured at all.
expect_refusal no-client-cert \
  "{\"id\":\"nocert\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_good/odata/v1/CBS/90002NED\"}" \
  "server requires a client certificate" "" nocert

# Control: the same kind of source against the good server succeeds.
write_config "$(dk_source good "$BASE_good")"
gw run >good.out 2>&1 || fail "mutual TLS with the right OIN failed: $(cat good.out)"
n=$(stored)
[ "$n" -gt 0 ] || fail "the successful run stored nothing"
rec=$(grep '"event":"fetch"' data/exchange.log | tail -1)
assert_contains "$rec" "\"peer_oin\":\"$SERVER_OIN\"" "fetch record of the good run"
gw audit verify >verify.out 2>&1 || fail "audit verify after the good run: $(cat verify.out)"
pass "mutual TLS with the right OIN: $n observations stored, peer OIN logged"

# Config: crl_file is required with digikoppeling and refused without it.
write_config "{\"id\":\"nocrl\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_good/x\",\"tls_profile\":\"digikoppeling\",\"expected_oin\":\"$SERVER_OIN\"}"
if gw check >nocrl.out 2>&1; then fail "a digikoppeling source without crl_file passed the check"; fi
assert_contains "$(cat nocrl.out)" 'gateway.json:' "config error location"
assert_contains "$(cat nocrl.out)" 'sources[0]: missing required key "crl_file"' "config error"
write_config "{\"id\":\"pubcrl\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_good/x\",\"crl_file\":\"$C/ca.crl\"}"
if gw check >pubcrl.out 2>&1; then fail "crl_file on a public source passed the check"; fi
assert_contains "$(cat pubcrl.out)" 'sources[0].crl_file: only used with "tls_profile": "digikoppeling"' "config error"
pass "config: crl_file required with digikoppeling, refused with public"
