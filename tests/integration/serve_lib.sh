# shellcheck shell=bash
# serve_lib.sh - shared by the test_serve*.sh integration tests: a store
# filled from the StatLine fixtures, bearer tokens and a client allow-list,
# the feed server started on a free port (under $GW_WRAPPER when set), and
# curl helpers that count every request so the tests can check that each
# one left exactly one "serve" record in the exchange log.
#
# Not a test itself (the CMake glob takes test_*.sh only); source it after
# lib.sh.

CA="$WORK/certs/ca.crt"
SERVE_PID=
# A wrapped server (valgrind) needs longer to start and to answer.
SERVE_WAIT=${GW_WRAPPER:+600}
SERVE_WAIT=${SERVE_WAIT:-100}

# serve_fill_store: run the three StatLine demo sources once, publishing
# the default feeds (indicators.json/.xml/.csv).
serve_fill_store() {
  it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
  it_write_config "[
    {\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"},
    {\"id\":\"rivm-gezondheid\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/50120NED\"},
    {\"id\":\"jeugdhulp\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/odata/v1/CBS/90002NED\"}]"
  gw run >run.out 2>&1 || fail "run failed: $(cat run.out)"
}

sha256_text() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# make_client_cert NAME SUBJECT: a client certificate from the test CA.
make_client_cert() {
  local name=$1 subject=$2
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$WORK/certs/$name.key" 2>/dev/null || fail "key for $name"
  printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n' \
    >"$WORK/certs/$name.ext"
  openssl req -new -key "$WORK/certs/$name.key" -subj "$subject" \
    -config /dev/null -out "$WORK/certs/$name.csr" 2>/dev/null ||
    fail "request for $name"
  openssl x509 -req -in "$WORK/certs/$name.csr" -CA "$CA" \
    -CAkey "$WORK/certs/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 2 -sha256 -extfile "$WORK/certs/$name.ext" \
    -out "$WORK/certs/$name.crt" 2>/dev/null || fail "certificate for $name"
}

cert_sha256() {
  openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2
}

# serve_configure: tokens (TOKEN_ALL: every indicator; TOKEN_SOME: two),
# certificate clients, and the "serve" object. SERVE_EXTRA (JSON members)
# is added to the serve object.
serve_configure() {
  TOKEN_ALL="all-$(openssl rand -hex 16)"
  TOKEN_SOME="some-$(openssl rand -hex 16)"
  {
    echo "# sha256(token) client indicators"
    echo "$(sha256_text "$TOKEN_ALL") dashboard *"
    echo "$(sha256_text "$TOKEN_SOME") begroting bijstand_per_10k,banen_per_1000"
  } >"$WORK/tokens.txt"
  make_client_cert limited "/O=Gemeente Diemen TEST/CN=limited-client"
  make_client_cert stranger "/O=Somewhere TEST/CN=stranger"
  cat >"$WORK/clients.json" <<JSON
{"clients": [
  {"name": "diemen", "oin": "00000099000000000384", "indicators": "*",
   "comment": "certs/client.crt: matched by the OIN in its serialNumber"},
  {"name": "limited", "cert_sha256": "$(cert_sha256 "$WORK/certs/limited.crt")",
   "indicators": ["bijstand_per_10k"],
   "rate_limit": {"requests_per_second": 1, "burst": 3}}
]}
JSON
  "$PYTHON" - "$WORK/gateway.json" "${SERVE_EXTRA:-}" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
serve = {"listen": "127.0.0.1:0", "cert_file": "certs/server.crt",
         "key_file": "certs/server.key", "client_ca_file": "certs/ca.crt",
         "clients": "clients.json", "tokens_file": "tokens.txt",
         "rate_limit": {"requests_per_second": 1000, "burst": 1000},
         "cache_seconds": 60}
if sys.argv[2]:
    serve.update(json.loads("{" + sys.argv[2] + "}"))
cfg["serve"] = serve
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
}

# serve_start [CONFIG]: start the server, set BASE.
serve_start() {
  local config=${1:-$WORK/gateway.json} i
  rm -f "$WORK/serve.port"
  $GW_WRAPPER "$GW_BIN" --config "$config" serve --port-file "$WORK/serve.port" \
    >"$WORK/serve.out" 2>&1 </dev/null &
  SERVE_PID=$!
  SERVER_PIDS+=("$SERVE_PID")
  for i in $(seq 1 "$SERVE_WAIT"); do
    [ -s "$WORK/serve.port" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -s "$WORK/serve.port" ] || fail "gateway serve did not start: $(cat "$WORK/serve.out")"
  BASE="https://127.0.0.1:$(cat "$WORK/serve.port")"
}

# serve_stop: SIGTERM, and the server must exit 0 (a valgrind finding
# would make it 99).
serve_stop() {
  local rc=0
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID" || rc=$?
  assert_eq "$rc" 0 "exit status of gateway serve after SIGTERM ($(cat "$WORK/serve.out"))"
  assert_contains "$(cat "$WORK/serve.out")" "serve: stopped" "serve output"
  SERVE_PID=
}

# req [curl args...] URL: one counted request; prints the HTTP status, the
# body goes to $WORK/body, the headers to $WORK/headers. Requests are
# counted in a file: req mostly runs in a $(...) subshell.
req() {
  echo x >>"$WORK/requests.count"
  # curl writes no file for an empty body: never read the last one's
  rm -f "$WORK/body" "$WORK/headers"
  : >"$WORK/body"
  curl -sS --cacert "$CA" --max-time 60 -o "$WORK/body" -D "$WORK/headers" \
    -w '%{http_code}' "$@"
}

# as_all / as_some PATH [curl args...]: a request with a bearer token.
as_all() {
  local path=$1
  shift
  req -H "Authorization: Bearer $TOKEN_ALL" "$@" "$BASE$path"
}
as_some() {
  local path=$1
  shift
  req -H "Authorization: Bearer $TOKEN_SOME" "$@" "$BASE$path"
}

# header NAME: a header of the last answer, without CR.
header() {
  { grep -i "^$1:" "$WORK/headers" || true; } | head -1 | cut -d' ' -f2- | tr -d '\r'
}

# error_message: the message of the last JSON error body.
error_message() {
  json_get "$WORK/body" "d['error']['message']"
}

# requests_made: how many requests req made.
requests_made() {
  if [ -f "$WORK/requests.count" ]; then wc -l <"$WORK/requests.count" | tr -d ' '; else echo 0; fi
}

# serve_records: the number of "serve" records in the exchange log.
serve_records() {
  "$PYTHON" -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('event')=='serve'))" "$WORK/data/exchange.log"
}
