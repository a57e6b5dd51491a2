/*
 * tls_identity.h - who is on the other end of a TLS connection, in the
 * form the exchange log and the allow-lists use: the negotiated version,
 * the peer certificate's SHA-256 fingerprint, its subject (RFC 2253, one
 * line) and the OIN from the subject's serialNumber (DESIGN 8, 9).
 *
 * One piece of code for both directions: the transport reads the server's
 * certificate after a fetch, the feed server reads the client's
 * certificate before it answers a request.
 *
 * Everything is copied into the caller's struct; nothing is kept.
 */
#ifndef GW_TLS_IDENTITY_H
#define GW_TLS_IDENTITY_H
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "digest.h"

#define GW_TLS_ID_VERSION_MAX 16
#define GW_TLS_ID_SUBJECT_MAX 512
#define GW_TLS_ID_OIN_MAX 32

struct gw_tls_identity {
  char tls_version[GW_TLS_ID_VERSION_MAX]; /* "TLSv1.3", or "" */
  int has_cert;                            /* a peer certificate was seen */
  char cert_sha256[GW_SHA256_HEX_SIZE];    /* lower-case hex, or "" */
  char subject[GW_TLS_ID_SUBJECT_MAX];     /* "CN=x,O=y", or "" */
  char oin[GW_TLS_ID_OIN_MAX];             /* subject serialNumber, or "" */
};

/* The identity of ssl's peer (and the negotiated version). A subject or
 * OIN that does not fit is left empty rather than cut, so it can never
 * match an allow-list entry by accident. */
void tls_identity_from_ssl(const SSL *ssl, struct gw_tls_identity *out);

/* The fingerprint, subject and OIN of one certificate (no version). */
void tls_identity_from_cert(X509 *cert, struct gw_tls_identity *out);

#endif
