/*
 * tls_checks.h - the checks the transport adds INSIDE the OpenSSL
 * handshake, and the words for a TLS refusal (DESIGN 9, docs/tls.md).
 *
 * libcurl hands the transport each new SSL_CTX (CURLOPT_SSL_CTX_FUNCTION);
 * tls_checks_install() hooks three OpenSSL callbacks into it:
 *   - the certificate verify callback: remembers the first verification
 *     error and the leaf certificate, and for the digikoppeling profile
 *     compares the leaf's subject serialNumber with the expected OIN, so a
 *     wrong peer fails the handshake before any HTTP byte is sent;
 *   - the info callback: remembers fatal TLS alerts in both directions
 *     (a peer that refuses our TLS version or our missing certificate
 *     says so only by an alert);
 *   - the client-certificate callback: notes that the server asked for a
 *     certificate we do not have.
 * For digikoppeling it also puts the host name check and CRL checking of
 * the whole chain into OpenSSL's own verification.
 *
 * Ownership: the transport owns one struct gw_tls_watch per handle and
 * resets it before every transfer; the SSL_CTX only borrows a pointer to
 * it (ex_data) for as long as libcurl keeps that SSL_CTX, which never
 * outlives the transfer. Everything reported is copied into the watch.
 */
#ifndef GW_TLS_CHECKS_H
#define GW_TLS_CHECKS_H
#include <openssl/ssl.h>
#include <stddef.h>

#include "tls_identity.h"

#define GW_TLS_WATCH_TEXT_MAX 512

struct gw_tls_watch {
  /* Set by the transport (borrowed strings, alive during the transfer): */
  const char *expected_oin; /* non-NULL: the digikoppeling OIN check */
  const char *host;         /* digikoppeling: name or IP to verify */
  int have_client_cert;     /* we present a client certificate */
  /* Seen during the handshake: */
  int verify_error;            /* first X509_V_ERR_* reported, 0 none */
  int verify_depth;            /* chain position of that error (0 = leaf) */
  int oin_mismatch;            /* the error is our OIN check */
  int client_cert_requested;   /* ... and we had none to give */
  int alert_received;          /* first fatal alert from the peer, -1 none */
  int alert_sent;              /* first fatal alert we sent, -1 none */
  int leaf_seen;               /* leaf below is filled */
  struct gw_tls_identity leaf; /* the peer's certificate */
  char failed_subject[GW_TLS_WATCH_TEXT_MAX]; /* cert at verify_depth */
  char failed_not_after[64];                  /* its notAfter, or "" */
  char failed_not_before[64];                 /* its notBefore, or "" */
};

/* Forget everything seen (keeps the fields the transport sets). */
void tls_watch_reset(struct gw_tls_watch *w);

/* Hook the checks into ctx; w must outlive ctx's handshakes. digikoppeling:
 * also demand CRLs for the whole chain and verify w->host inside the
 * handshake. 0, or -1 (ctx unusable: the transfer must fail). */
int tls_checks_install(SSL_CTX *ctx, struct gw_tls_watch *w, int digikoppeling);

/* When what the watch saw explains a failed transfer as a TLS refusal
 * (either side), writes "<refusal>: <detail>" into out and returns 1;
 * otherwise 0 and out is "". */
int tls_watch_explain(const struct gw_tls_watch *w, char *out, size_t out_size);

#endif
