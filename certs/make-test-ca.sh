#!/usr/bin/env bash
# make-test-ca.sh OUTDIR - a throw-away TEST PKI for the test suite and demo.
#
# Writes only into OUTDIR (created if missing), never into the repository:
#   ca.crt ca.key                     "Gateway TEST CA" (the trusted test root)
#   server.crt server.key             CN=localhost, SAN DNS:localhost,
#                                     IP:127.0.0.1, serialNumber = test OIN
#                                     00000099000000000001
#   client.crt client.key             CN=gemeente-diemen-test, serialNumber
#                                     00000099000000000384 (mutual TLS)
#   other-ca.crt other-ca.key         a second, untrusted root
#   untrusted-server.crt/.key         valid for localhost/127.0.0.1 but signed
#                                     by the OTHER CA ("untrusted CA" tests)
#   expired-server.crt/.key           like server.crt, signed by the test CA,
#                                     but its validity ended in 2021
#   revoked-server.crt/.key           like server.crt, but revoked in ca.crl
#   wrongsan-server.crt/.key          like server.crt, but its SAN is only
#                                     DNS:wrong-host.invalid
#   wrongoin-server.crt/.key          like server.crt, but serialNumber is
#                                     the OTHER test OIN 00000099000000000002
#   ca.crl                            CRL of the test CA (30 days), listing
#                                     revoked-server only
#
# Idempotent: existing, complete and still valid files are kept; a missing
# or expiring piece is (re)made, and a re-made CA re-issues its leaves.
# Keys are written with mode 0600. These keys protect nothing: never use
# them outside tests, and never commit them (see certs/README.md).
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
command -v openssl >/dev/null || {
  echo "$0: openssl not found (apt-get install openssl)" >&2
  exit 1
}

OUTDIR=$1
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
# Should OUTDIR ever sit inside a work tree, git still ignores the keys.
[[ -f $OUTDIR/.gitignore ]] || printf '*\n' >"$OUTDIR/.gitignore"
umask 077

# Everything is built in a staging dir inside OUTDIR and moved into place
# (key first, certificate last), so an interrupted run never leaves a
# certificate next to a key that does not match it.
STAGE=$(mktemp -d "$OUTDIR/.stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
export RANDFILE="$STAGE/.rnd" # never touch ~/.rnd

CA_DAYS=3650
LEAF_DAYS=825
SERVER_OIN=00000099000000000001
CLIENT_OIN=00000099000000000384
WRONG_OIN=00000099000000000002
CRL_DAYS=30

die() {
  echo "$0: $*" >&2
  exit 1
}

# Complete and valid for at least one more day (and, for leaves, issued by
# the expected CA).
pair_ok() {
  local name=$1 issuer=${2:-}
  [[ -s "$OUTDIR/$name.crt" && -s "$OUTDIR/$name.key" ]] || return 1
  openssl x509 -in "$OUTDIR/$name.crt" -noout -checkend 86400 \
    >/dev/null 2>&1 || return 1
  if [[ -n "$issuer" ]]; then
    openssl verify -CAfile "$OUTDIR/$issuer.crt" "$OUTDIR/$name.crt" \
      >/dev/null 2>&1 || return 1
  fi
  return 0
}

new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$1" 2>/dev/null || die "cannot generate key $1"
  chmod 600 "$1"
}

random_serial() {
  echo "0x$(openssl rand -hex 16)"
}

install_pair() {
  local name=$1
  mv -f "$STAGE/$name.key" "$OUTDIR/$name.key"
  mv -f "$STAGE/$name.crt" "$OUTDIR/$name.crt"
  chmod 600 "$OUTDIR/$name.key"
  chmod 644 "$OUTDIR/$name.crt"
}

make_root() {
  local name=$1 cn=$2
  new_key "$STAGE/$name.key"
  cat >"$STAGE/$name.ext" <<EOF
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
  openssl req -new -x509 -key "$STAGE/$name.key" -sha256 \
    -subj "/O=Indicator Gateway TEST/CN=$cn" -days "$CA_DAYS" \
    -set_serial "$(random_serial)" \
    -config /dev/null -extensions v3_ca -extfile "$STAGE/$name.ext" \
    -out "$STAGE/$name.crt" 2>"$STAGE/err" ||
    make_root_fallback "$name" "$cn"
  install_pair "$name"
}

# OpenSSL 1.1 'req' does not accept -extfile; use -addext instead.
make_root_fallback() {
  local name=$1 cn=$2
  openssl req -new -x509 -key "$STAGE/$name.key" -sha256 \
    -subj "/O=Indicator Gateway TEST/CN=$cn" -days "$CA_DAYS" \
    -set_serial "$(random_serial)" -config /dev/null \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$STAGE/$name.crt" || die "cannot make root $name: $(cat "$STAGE/err")"
}

# leaf_ext NAME USAGE [SAN]: the extension file for a server or client
# leaf (a server's SAN defaults to localhost and 127.0.0.1).
leaf_ext() {
  local name=$1 usage=$2 san=${3:-DNS:localhost, IP:127.0.0.1}
  {
    echo "basicConstraints = critical, CA:FALSE"
    echo "keyUsage = critical, digitalSignature, keyEncipherment"
    echo "subjectKeyIdentifier = hash"
    echo "authorityKeyIdentifier = keyid"
    if [[ $usage == server ]]; then
      echo "extendedKeyUsage = serverAuth"
      echo "subjectAltName = $san"
    else
      echo "extendedKeyUsage = clientAuth"
    fi
  } >"$STAGE/$name.ext"
}

# make_leaf NAME ISSUER USAGE SUBJECT [SAN]: a leaf signed by ISSUER.
make_leaf() {
  local name=$1 issuer=$2 usage=$3 subject=$4 san=${5:-}
  new_key "$STAGE/$name.key"
  leaf_ext "$name" "$usage" ${san:+"$san"}
  openssl req -new -key "$STAGE/$name.key" -subj "$subject" \
    -config /dev/null -out "$STAGE/$name.csr" ||
    die "cannot make request for $name"
  openssl x509 -req -in "$STAGE/$name.csr" -sha256 -days "$LEAF_DAYS" \
    -CA "$OUTDIR/$issuer.crt" -CAkey "$OUTDIR/$issuer.key" \
    -set_serial "$(random_serial)" -extfile "$STAGE/$name.ext" \
    -out "$STAGE/$name.crt" 2>"$STAGE/err" ||
    die "cannot sign $name: $(cat "$STAGE/err")"
  install_pair "$name"
}

# An expired leaf: 'openssl x509 -req' cannot back-date before OpenSSL 3.4
# (-not_before/-not_after), so use 'openssl ca' with explicit dates and a
# private database in the staging dir; this works on OpenSSL 1.1 and 3.x.
make_expired_leaf() {
  local name=$1 issuer=$2 subject=$3
  new_key "$STAGE/$name.key"
  leaf_ext "$name" server
  mkdir -p "$STAGE/db"
  : >"$STAGE/db/index.txt"
  openssl rand -hex 16 >"$STAGE/db/serial"
  cat >"$STAGE/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $STAGE/db/index.txt
serial = $STAGE/db/serial
new_certs_dir = $STAGE/db
certificate = $OUTDIR/$issuer.crt
private_key = $OUTDIR/$issuer.key
default_md = sha256
policy = any_policy
unique_subject = no
preserve = yes
[ any_policy ]
organizationName = optional
commonName = supplied
serialNumber = optional
EOF
  openssl req -new -key "$STAGE/$name.key" -subj "$subject" \
    -config /dev/null -out "$STAGE/$name.csr" ||
    die "cannot make request for $name"
  openssl ca -batch -notext -config "$STAGE/ca.cnf" \
    -startdate 20200101000000Z -enddate 20210101000000Z \
    -extfile "$STAGE/$name.ext" -in "$STAGE/$name.csr" \
    -out "$STAGE/$name.crt" >/dev/null 2>"$STAGE/err" ||
    die "cannot sign $name: $(cat "$STAGE/err")"
  install_pair "$name"
}

expired_ok() {
  [[ -s "$OUTDIR/$1.crt" && -s "$OUTDIR/$1.key" ]] || return 1
  openssl verify -CAfile "$OUTDIR/$2.crt" -no_check_time "$OUTDIR/$1.crt" \
    >/dev/null 2>&1
}

# make_crl ISSUER CERT: the CRL of ISSUER revoking CERT, made with
# 'openssl ca' on a private database in the staging dir (thrown away: the
# CRL is re-made from scratch whenever it is missing, stale or incomplete).
make_crl() {
  local issuer=$1 cert=$2
  mkdir -p "$STAGE/crldb"
  : >"$STAGE/crldb/index.txt"
  echo 01 >"$STAGE/crldb/crlnumber"
  cat >"$STAGE/crl.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $STAGE/crldb/index.txt
crlnumber = $STAGE/crldb/crlnumber
certificate = $OUTDIR/$issuer.crt
private_key = $OUTDIR/$issuer.key
default_md = sha256
default_crl_days = $CRL_DAYS
EOF
  openssl ca -batch -config "$STAGE/crl.cnf" -revoke "$OUTDIR/$cert.crt" \
    -crl_reason keyCompromise >/dev/null 2>"$STAGE/err" ||
    die "cannot revoke $cert: $(cat "$STAGE/err")"
  openssl ca -batch -config "$STAGE/crl.cnf" -gencrl \
    -out "$STAGE/$issuer.crl" >/dev/null 2>"$STAGE/err" ||
    die "cannot make the CRL of $issuer: $(cat "$STAGE/err")"
  mv -f "$STAGE/$issuer.crl" "$OUTDIR/$issuer.crl"
  chmod 644 "$OUTDIR/$issuer.crl"
}

# crl_ok ISSUER CERT: the CRL is signed by ISSUER, valid for at least one
# more day, and lists CERT's serial number.
crl_ok() {
  local issuer=$1 cert=$2 next serial
  [[ -s "$OUTDIR/$issuer.crl" ]] || return 1
  openssl crl -in "$OUTDIR/$issuer.crl" -CAfile "$OUTDIR/$issuer.crt" \
    -noout >/dev/null 2>&1 || return 1
  next=$(openssl crl -in "$OUTDIR/$issuer.crl" -noout -nextupdate) || return 1
  next=$(date -d "${next#nextUpdate=}" +%s 2>/dev/null) || return 1
  ((next > $(date +%s) + 86400)) || return 1
  serial=$(openssl x509 -in "$OUTDIR/$cert.crt" -noout -serial) || return 1
  openssl crl -in "$OUTDIR/$issuer.crl" -noout -text |
    grep -q -F "Serial Number: ${serial#serial=}"
}

SERVER_SUBJECT="/O=Indicator Gateway TEST/CN=localhost/serialNumber=$SERVER_OIN"
WRONGSAN_SUBJECT="/O=Indicator Gateway TEST/CN=wrong-host.invalid/serialNumber=$SERVER_OIN"
WRONGOIN_SUBJECT="/O=Indicator Gateway TEST/CN=localhost/serialNumber=$WRONG_OIN"
CLIENT_SUBJECT="/O=Gemeente Diemen TEST/CN=gemeente-diemen-test/serialNumber=$CLIENT_OIN"

if ! pair_ok ca; then
  make_root ca "Gateway TEST CA"
  rm -f "$OUTDIR"/{server,client,expired-server,revoked-server}.{crt,key}
  rm -f "$OUTDIR"/{wrongsan-server,wrongoin-server}.{crt,key} "$OUTDIR/ca.crl"
fi
pair_ok server ca ||
  make_leaf server ca server "$SERVER_SUBJECT"
pair_ok client ca ||
  make_leaf client ca client "$CLIENT_SUBJECT"
expired_ok expired-server ca ||
  make_expired_leaf expired-server ca "$SERVER_SUBJECT"
pair_ok revoked-server ca ||
  make_leaf revoked-server ca server "$SERVER_SUBJECT"
pair_ok wrongsan-server ca ||
  make_leaf wrongsan-server ca server "$WRONGSAN_SUBJECT" \
    "DNS:wrong-host.invalid"
pair_ok wrongoin-server ca ||
  make_leaf wrongoin-server ca server "$WRONGOIN_SUBJECT"
crl_ok ca revoked-server || make_crl ca revoked-server

if ! pair_ok other-ca; then
  make_root other-ca "Gateway OTHER TEST CA"
  rm -f "$OUTDIR"/untrusted-server.{crt,key}
fi
pair_ok untrusted-server other-ca ||
  make_leaf untrusted-server other-ca server "$SERVER_SUBJECT"

echo "test CA ready in $OUTDIR"
