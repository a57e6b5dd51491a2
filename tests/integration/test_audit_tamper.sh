#!/usr/bin/env bash
# Tamper evidence on a real log: two `gateway run`s against the local
# StatLine fixture write an exchange log with signed checkpoints (key from
# "${GW_AUDIT_KEY}", a checkpoint every 5 records). Then every kind of
# tampering is tried on a copy, and `gateway audit verify --log COPY` must
# exit 1 naming it with its own message: a changed byte, a deleted record,
# swapped records, a cut-off tail (against the checkpoint file), a forged
# checkpoint, a replayed old checkpoint, a rewritten log, a wrong key, a
# torn last line (and --seal-torn). Key rotation with and without the old
# verifier key, and segments by size, verify as one log.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

key_a=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
key_b=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export GW_AUDIT_KEY=$key_a

it_start_server S "$GW_SOURCE_DIR/tests/fixtures/statline"
it_write_config "[{\"id\":\"sociaal-domein\",\"plugin\":\"cbs_odata\",\"url\":\"$BASE_S/ODataFeed/odata/90001NED\"}]"

# set_audit KEY=JSON...: sets members of the config's "audit" object.
set_audit() {
  "$PYTHON" - "$WORK/gateway.json" "$@" <<'PY'
import json, sys
path = sys.argv[1]
cfg = json.load(open(path))
for arg in sys.argv[2:]:
    k, v = arg.split("=", 1)
    if v == "DELETE":
        cfg["audit"].pop(k, None)
    else:
        cfg["audit"][k] = json.loads(v)
json.dump(cfg, open(path, "w"), indent=2)
PY
}
set_audit 'signing_key="${GW_AUDIT_KEY}"' 'checkpoint_every=5'

gw run >run1.out 2>&1 || fail "first run: $(cat run1.out)"
gw run >run2.out 2>&1 || fail "second run: $(cat run2.out)"
log=data/exchange.log
cps=data/exchange.log.checkpoints
[ -s "$cps" ] || fail "no checkpoint file next to the log"
records=$(wc -l <"$log")
[ "$records" -ge 20 ] || fail "only $records records"
grep -q '"event":"checkpoint".*"key_id":"[0-9a-f]\{8\}".*\\u2014 indicator-gateway/exchange-log ' "$log" ||
  fail "no signed checkpoint record in the log"
grep -q "^— indicator-gateway/exchange-log " "$cps" || fail "no signed note in $cps"
if grep -q "$key_a" "$log" "$cps" run1.out run2.out; then
  fail "the signing key leaked into the log or the output"
fi
pass "two runs wrote $records records with signed checkpoints (log and checkpoint file)"

gw audit key --output vkey-a >key.out 2>&1 || fail "audit key: $(cat key.out)"
grep -q '^indicator-gateway/exchange-log+[0-9a-f]\{8\}+AQ\|^indicator-gateway/exchange-log+[0-9a-f]\{8\}+A[Q-Za-f]' vkey-a ||
  fail "not a verifier key: $(cat vkey-a)"
key_id_a=$(cut -d+ -f2 vkey-a)
gw audit verify >verify.out 2>&1 || fail "audit verify of the real log: $(cat verify.out)"
assert_contains "$(cat verify.out)" "intact: $records records in 1 segment"
assert_contains "$(cat verify.out)" "signed), newest signed size"
assert_contains "$(cat verify.out)" "checkpoints in $WORK/$cps are contained in the log"
pass "the real log verifies, with the local checkpoint file"

# ---- tampered copies -------------------------------------------------------

cat >tamper.py <<'PY'
# tamper.py OP SRC DST [args]: writes a tampered copy of an exchange log.
import hashlib, json, sys
op, src, dst = sys.argv[1:4]
lines = open(src, "rb").read().split(b"\n")[:-1]
def is_cp(l): return b'"event":"checkpoint"' in l
def rechain(ls, start):
    for i in range(max(start, 1), len(ls)):
        h = hashlib.sha256(ls[i - 1]).hexdigest().encode()
        k = ls[i].index(b'"prev":"') + 8
        ls[i] = ls[i][:k] + h + ls[i][k + 64:]
cps = [i for i, l in enumerate(lines) if is_cp(l)]
plain = [i for i, l in enumerate(lines) if not is_cp(l) and 0 < i < len(lines) - 2]
out = list(lines)
if op == "flip":           # one byte of a middle record
    i = plain[len(plain) // 2]
    k = out[i].index(b'"event":"') + 9
    out[i] = out[i][:k] + bytes([out[i][k] ^ 0x20]) + out[i][k + 1:]
    print(json.loads(lines[i])["seq"])
elif op == "delete":       # a middle record
    i = plain[len(plain) // 2]
    print(json.loads(out.pop(i))["seq"])
elif op == "swap":         # two neighbours
    i = plain[len(plain) // 2]
    out[i], out[i + 1] = out[i + 1], out[i]
    print(json.loads(lines[i])["seq"])
elif op == "truncate":     # the tail after the second-to-last checkpoint
    out = out[:cps[-2] + 1]
    print(len(out))
elif op == "rewrite":      # change a record, recompute the chain after it
    i = plain[len(plain) // 2]
    out[i] = out[i].replace(b'"outcome":"ok"', b'"outcome":"OK"', 1)
    assert out[i] != lines[i]
    rechain(out, i + 1)
    print(json.loads(lines[i])["seq"])
elif op == "forge":        # another root in a checkpoint's note and record
    i = cps[1]
    rec = json.loads(out[i])
    fake = "A" * 43 + "="
    body, sigs = rec["note"].split("\n\n", 1)
    o, n, r = body.split("\n")
    rec["root"] = fake
    rec["note"] = "\n".join([o, n, fake]) + "\n\n" + sigs
    out[i] = json.dumps(rec, separators=(",", ":")).encode()
    rechain(out, i + 1)
    print(rec["seq"])
elif op == "replay":       # an old checkpoint's content in a later one
    old, i = json.loads(out[cps[0]]), cps[2]
    rec = json.loads(out[i])
    for k in ("size", "root", "note", "key_id"):
        rec[k] = old[k]
    out[i] = json.dumps(rec, separators=(",", ":")).encode()
    rechain(out, i + 1)
    print(rec["seq"])
elif op == "torn":         # half of one more record, no newline
    open(dst, "wb").write(b"\n".join(out) + b'\n{"seq":%d,"time":"20' % len(out))
    print(len(out) + 1)
    sys.exit(0)
else:
    sys.exit("unknown op " + op)
open(dst, "wb").write(b"\n".join(out) + b"\n")
PY

# expect_broken NAME OP TEXT [verify args]: tampered copy NAME, verify must
# exit 1 (exactly: a valgrind finding is 99) with TEXT in its message.
expect_broken() {
  local name=$1 op=$2 text=$3 rc=0
  shift 3
  mkdir -p "t-$name"
  "$PYTHON" tamper.py "$op" "$log" "t-$name/exchange.log" >"t-$name/info" ||
    fail "tamper.py $op failed"
  gw audit verify --log "t-$name/exchange.log" "$@" >"t-$name/out" 2>&1 || rc=$?
  assert_eq "$rc" 1 "exit status of audit verify on the $name copy ($(cat "t-$name/out"))"
  assert_contains "$(cat "t-$name/out")" "$text" "verify of the $name copy"
  pass "$name: $(grep 'audit verify:' "t-$name/out" | head -1 | cut -c1-150)..."
}

seq=$("$PYTHON" tamper.py flip "$log" /dev/null)
expect_broken changed flip "record seq $seq at t-changed/exchange.log:$((seq + 1)) was changed"
seq=$("$PYTHON" tamper.py delete "$log" /dev/null)
expect_broken deleted delete "record seq $seq was deleted"
seq=$("$PYTHON" tamper.py swap "$log" /dev/null)
expect_broken swapped swap "records seq $seq and $((seq + 1)) were swapped"
expect_broken truncated truncate "truncated: checkpoint" --checkpoint "$cps"
assert_contains "$(cat t-truncated/out)" "records seq $(cat t-truncated/info).."
seq=$("$PYTHON" tamper.py forge "$log" /dev/null)
expect_broken forged forge "(seq $seq): forged checkpoint: the signature by key 'indicator-gateway/exchange-log' (id $key_id_a) does not verify"
seq=$("$PYTHON" tamper.py replay "$log" /dev/null)
expect_broken replayed replay "(seq $seq): replayed old checkpoint"
expect_broken rewritten rewrite "no longer have the root it signed"
expect_broken rewritten-vs-offsite rewrite "rewritten: the first" --checkpoint "$cps"
expect_broken torn torn "torn last line $("$PYTHON" tamper.py torn "$log" /dev/null)"
assert_contains "$(cat t-torn/out)" "run \`gateway audit verify --seal-torn\`"

# a truncated copy alone verifies: that is why the checkpoint file goes off-site
mkdir -p t-cut-alone
"$PYTHON" tamper.py truncate "$log" t-cut-alone/exchange.log >/dev/null
gw audit verify --log t-cut-alone/exchange.log >t-cut-alone/out 2>&1 ||
  fail "a cleanly cut copy should verify on its own: $(cat t-cut-alone/out)"
pass "a cut-off tail is only visible against the checkpoint file, as documented"

# every verdict has its own message
msgs=$(for d in t-*/; do grep -h 'audit verify:' "$d/out" | head -1 | sed -e 's/[0-9]\+//g' -e "s#t-[a-z-]*/##g"; done | sort | uniq -d)
[ -z "$msgs" ] || fail "two tamper cases share a message: $msgs"

# --seal-torn: bytes moved aside, a torn_tail record, then intact
gw audit verify --log t-torn/exchange.log --seal-torn --key vkey-a >seal.out 2>&1 ||
  fail "verify --seal-torn: $(cat seal.out)"
assert_contains "$(cat seal.out)" "sealed the torn last line"
assert_contains "$(cat seal.out)" "intact"
ls t-torn/exchange.log.torn-* >/dev/null 2>&1 || fail "no .torn- file next to the copy"
grep -q '"event":"torn_tail"' t-torn/exchange.log || fail "no torn_tail record"
pass "--seal-torn keeps the torn bytes, logs a torn_tail record, the copy verifies"

# --json stays JSON whatever the path holds
mkdir -p 'odd "dir"'
cp "$log" 'odd "dir"/exchange.log'
gw --json audit verify --log 'odd "dir"/exchange.log' >odd.json 2>odd.err || fail "json verify: $(cat odd.err)"
assert_eq "$(json_get odd.json "d['intact'] and d['log']")" 'odd "dir"/exchange.log' "--json log"
gw --json audit verify --log t-changed/exchange.log >changed.json 2>/dev/null && fail "tampered copy verified"
assert_eq "$(json_get changed.json "d['problem']")" "changed" "--json problem"
pass "--json output is valid JSON with the problem named"

# ---- wrong key, key rotation ---------------------------------------------

GW_AUDIT_KEY=$key_b gw audit verify >wrong.out 2>&1 && fail "verified with only another key"
assert_contains "$(cat wrong.out)" "signed with key 'indicator-gateway/exchange-log' (id $key_id_a), which is not trusted here (wrong key)"
pass "a log signed with another key is refused, naming the key"

export GW_AUDIT_KEY=$key_b
set_audit "verify_keys=[\"$WORK/vkey-a\"]"
gw run >run3.out 2>&1 || fail "run after the key rotation: $(cat run3.out)"
gw audit key --output vkey-b >/dev/null 2>&1 || fail "audit key b"
[ "$(cut -d+ -f2 vkey-b)" != "$key_id_a" ] || fail "the key id did not change"
gw audit verify >rot.out 2>&1 || fail "verify with the old key in verify_keys: $(cat rot.out)"
assert_contains "$(cat rot.out)" "intact"
set_audit verify_keys=DELETE
gw audit verify >rot2.out 2>&1 && fail "verified without the old verifier key"
assert_contains "$(cat rot2.out)" "(id $key_id_a), which is not trusted here"
gw audit verify --key vkey-a >rot3.out 2>&1 || fail "verify with --key old: $(cat rot3.out)"
pass "key rotation: old checkpoints verify with the old verifier key (verify_keys or --key), not without"

# ---- segments by size ---------------------------------------------------------

set_audit 'rotate_bytes=6000' "path=\"data/seg/exchange.log\"" "checkpoint_file=\"data/seg/cp\""
gw run >run4.out 2>&1 || fail "run with rotate_bytes: $(cat run4.out)"
gw run >run5.out 2>&1 || fail "second run with rotate_bytes: $(cat run5.out)"
[ -f data/seg/exchange.log.000001 ] && [ -f data/seg/exchange.log.000002 ] ||
  fail "no segments: $(ls data/seg)"
segs=$(ls data/seg/exchange.log.0* | wc -l)
gw audit verify >seg.out 2>&1 || fail "verify across segments: $(cat seg.out)"
assert_contains "$(cat seg.out)" "in $((segs + 1)) segments"
total=$(cat data/seg/exchange.log.0* data/seg/exchange.log | wc -l)
assert_contains "$(cat seg.out)" "intact: $total records"
mv data/seg/exchange.log.000002 seg2.bak
gw audit verify >seg2.out 2>&1 && fail "verified with a segment missing"
mv seg2.bak data/seg/exchange.log.000002
pass "rotation by size: $segs closed segments and the active file verify as one log of $total records"
