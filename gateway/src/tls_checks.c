/*
 * tls_checks.c - in-handshake checks and refusal words (see tls_checks.h).
 *
 * OpenSSL verifies in a fixed order (X509_verify_cert): chain to a trusted
 * root, certificate purpose, host name, revocation (CRL), signatures and
 * validity dates; our verify callback then sees the leaf with "ok" last,
 * which is where the OIN is compared. The first error stops the handshake,
 * so the first error recorded is the one reported.
 */
#include "tls_checks.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <string.h>

#include "text.h"

#define TLS_ALERT_HANDSHAKE_FAILURE 40
#define TLS_ALERT_PROTOCOL_VERSION 70
#define TLS_ALERT_CERTIFICATE_REQUIRED 116
#define HOST_TEXT_MAX 256

/* ---- where the watch lives: an ex_data slot of the SSL_CTX ------------- */

static pthread_once_t index_once = PTHREAD_ONCE_INIT;
static int watch_index = -1;

static void make_index(void) {
  watch_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int ctx_index(void) {
  if (pthread_once(&index_once, make_index) != 0)
    return -1;
  return watch_index;
}

static struct gw_tls_watch *watch_of(const SSL *ssl) {
  int idx = ctx_index();
  SSL_CTX *ctx = ssl ? SSL_get_SSL_CTX(ssl) : NULL;
  return ctx && idx >= 0 ? SSL_CTX_get_ex_data(ctx, idx) : NULL;
}

/* ---- small helpers ---------------------------------------------------- */

static void time_text(const ASN1_TIME *t, char *out, size_t size) {
  BIO *bio = BIO_new(BIO_s_mem());
  char *data = NULL;
  long len;
  out[0] = '\0';
  if (!bio || !t)
    goto out;
  if (ASN1_TIME_print(bio, t) != 1)
    goto out;
  len = BIO_get_mem_data(bio, &data);
  if (len > 0 && (size_t)len < size) {
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
  }
out:
  BIO_free(bio);
}

/* Remembers the certificate an error is about, for the message. */
static void note_failed_cert(struct gw_tls_watch *w, X509 *cert) {
  struct gw_tls_identity id;
  w->failed_subject[0] = '\0';
  w->failed_not_after[0] = '\0';
  w->failed_not_before[0] = '\0';
  if (!cert)
    return;
  tls_identity_from_cert(cert, &id);
  if (text_copy(w->failed_subject, sizeof w->failed_subject, id.subject) != 0)
    w->failed_subject[0] = '\0';
  time_text(X509_get0_notAfter(cert), w->failed_not_after,
            sizeof w->failed_not_after);
  time_text(X509_get0_notBefore(cert), w->failed_not_before,
            sizeof w->failed_not_before);
}

static void note_leaf(struct gw_tls_watch *w, X509_STORE_CTX *store,
                      const SSL *ssl) {
  X509 *leaf = X509_STORE_CTX_get0_cert(store);
  if (w->leaf_seen || !leaf)
    return;
  tls_identity_from_cert(leaf, &w->leaf);
  if (text_copy(w->leaf.tls_version, sizeof w->leaf.tls_version,
                ssl ? SSL_get_version(ssl) : "") != 0)
    w->leaf.tls_version[0] = '\0';
  w->leaf_seen = 1;
}

/* ---- the OpenSSL callbacks -------------------------------------------- */

static int on_verify(int ok, X509_STORE_CTX *store) {
  SSL *ssl =
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  struct gw_tls_watch *w = watch_of(ssl);
  if (!w)
    return 0; /* installed without a watch: nothing can be checked */
  note_leaf(w, store, ssl);
  if (!ok) {
    if (!w->verify_error) {
      w->verify_error = X509_STORE_CTX_get_error(store);
      w->verify_depth = X509_STORE_CTX_get_error_depth(store);
      note_failed_cert(w, X509_STORE_CTX_get_current_cert(store));
    }
    return 0;
  }
  /* "ok" at depth 0 comes after every other check of the chain. */
  if (w->expected_oin && X509_STORE_CTX_get_error_depth(store) == 0 &&
      strcmp(w->leaf.oin, w->expected_oin) != 0) {
    w->oin_mismatch = 1;
    w->verify_error = X509_V_ERR_APPLICATION_VERIFICATION;
    w->verify_depth = 0;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

static void on_info(const SSL *ssl, int where, int ret) {
  struct gw_tls_watch *w;
  if (!(where & SSL_CB_ALERT) || (ret >> 8) != SSL3_AL_FATAL)
    return;
  w = watch_of(ssl);
  if (!w)
    return;
  if ((where & SSL_CB_READ) && w->alert_received < 0)
    w->alert_received = ret & 0xff;
  else if ((where & SSL_CB_WRITE) && w->alert_sent < 0)
    w->alert_sent = ret & 0xff;
}

/* Only called when we hold no certificate: answer with none, but note
 * that the server wanted one (its refusal may come as a bare alert). */
static int on_client_cert_request(SSL *ssl, X509 **cert, EVP_PKEY **key) {
  struct gw_tls_watch *w = watch_of(ssl);
  (void)cert;
  (void)key;
  if (w)
    w->client_cert_requested = 1;
  return 0;
}

/* ---- install ------------------------------------------------------------ */

/* "[::1]" and "127.0.0.1" are checked as addresses, anything else as a
 * DNS name without partial wildcards (RFC 6125). */
static int set_expected_host(X509_VERIFY_PARAM *param, const char *host) {
  char name[HOST_TEXT_MAX];
  unsigned char addr[16];
  size_t n;
  if (!host || !*host)
    return -1;
  if (host[0] == '[') {
    n = strlen(host);
    if (n < 3 || host[n - 1] != ']' || n - 2 >= sizeof name)
      return -1;
    memcpy(name, host + 1, n - 2);
    name[n - 2] = '\0';
  } else if (text_copy(name, sizeof name, host) != 0) {
    return -1;
  }
  if (inet_pton(AF_INET, name, addr) == 1 ||
      inet_pton(AF_INET6, name, addr) == 1)
    return X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1 ? 0 : -1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return X509_VERIFY_PARAM_set1_host(param, name, 0) == 1 ? 0 : -1;
}

int tls_checks_install(SSL_CTX *ctx, struct gw_tls_watch *w,
                       int digikoppeling) {
  X509_VERIFY_PARAM *param;
  int idx = ctx_index();
  int rc = -1;
  if (idx < 0 || !SSL_CTX_set_ex_data(ctx, idx, w))
    goto out;
  /* Verification is never off, whatever was set before. */
  SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx) | SSL_VERIFY_PEER,
                     on_verify);
  SSL_CTX_set_info_callback(ctx, on_info);
  if (!w->have_client_cert)
    SSL_CTX_set_client_cert_cb(ctx, on_client_cert_request);
  if (digikoppeling) {
    /* CURLOPT_CRLFILE sets the same flags on the store; set them here too
     * so that a CRL is demanded even if the store were shared or cached:
     * without a CRL for every certificate in the chain, verification
     * fails ("unable to get certificate CRL"). */
    param = SSL_CTX_get0_param(ctx);
    if (!param ||
        X509_VERIFY_PARAM_set_flags(
            param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) != 1 ||
        set_expected_host(param, w->host) != 0)
      goto out;
  }
  rc = 0;
out:
  return rc;
}

void tls_watch_reset(struct gw_tls_watch *w) {
  w->verify_error = 0;
  w->verify_depth = 0;
  w->oin_mismatch = 0;
  w->client_cert_requested = 0;
  w->alert_received = -1;
  w->alert_sent = -1;
  w->leaf_seen = 0;
  memset(&w->leaf, 0, sizeof w->leaf);
  w->failed_subject[0] = '\0';
  w->failed_not_after[0] = '\0';
  w->failed_not_before[0] = '\0';
}

/* ---- words ------------------------------------------------------------- */

static const char *subject_or_unknown(const struct gw_tls_watch *w) {
  return w->failed_subject[0] ? w->failed_subject : "(unknown)";
}

static int explain_oin(const struct gw_tls_watch *w, char *out, size_t size) {
  if (!w->leaf.oin[0])
    return text_format(out, size,
                       "peer OIN missing: the certificate %s has no subject "
                       "serialNumber; expected_oin %s",
                       w->leaf.subject[0] ? w->leaf.subject : "(unknown)",
                       w->expected_oin ? w->expected_oin : "");
  return text_format(out, size, "peer OIN %s does not match expected_oin %s",
                     w->leaf.oin, w->expected_oin ? w->expected_oin : "");
}

static int is_untrusted_error(int e) {
  return e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
         e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         e == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE ||
         e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
         e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
         e == X509_V_ERR_CERT_UNTRUSTED || e == X509_V_ERR_CERT_REJECTED;
}

static int is_crl_error(int e) {
  return e == X509_V_ERR_UNABLE_TO_GET_CRL || e == X509_V_ERR_CRL_HAS_EXPIRED ||
         e == X509_V_ERR_CRL_NOT_YET_VALID ||
         e == X509_V_ERR_CRL_SIGNATURE_FAILURE ||
         e == X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE ||
         e == X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER ||
         e == X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD ||
         e == X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD ||
         e == X509_V_ERR_DIFFERENT_CRL_SCOPE;
}

static int explain_verify(const struct gw_tls_watch *w, char *out,
                          size_t size) {
  int e = w->verify_error;
  const char *why = X509_verify_cert_error_string(e);
  const char *who = subject_or_unknown(w);
  if (w->oin_mismatch)
    return explain_oin(w, out, size);
  if (e == X509_V_ERR_CERT_REVOKED)
    return text_format(out, size, "certificate revoked: %s is on the CRL", who);
  if (e == X509_V_ERR_CERT_HAS_EXPIRED)
    return text_format(out, size, "certificate expired: %s, notAfter %s", who,
                       w->failed_not_after);
  if (e == X509_V_ERR_CERT_NOT_YET_VALID)
    return text_format(out, size, "certificate not yet valid: %s, notBefore %s",
                       who, w->failed_not_before);
  if (e == X509_V_ERR_HOSTNAME_MISMATCH || e == X509_V_ERR_IP_ADDRESS_MISMATCH)
    return text_format(out, size,
                       "hostname mismatch: the certificate %s is not valid "
                       "for %s",
                       who, w->host ? w->host : "the requested host");
  if (is_untrusted_error(e))
    return text_format(out, size,
                       "untrusted CA: %s (certificate %s, chain depth %d)", why,
                       who, w->verify_depth);
  if (e == X509_V_ERR_UNABLE_TO_GET_CRL)
    return text_format(out, size,
                       "CRL missing: crl_file holds no CRL for the issuer of "
                       "%s (chain depth %d)",
                       who, w->verify_depth);
  if (e == X509_V_ERR_CRL_HAS_EXPIRED)
    return text_format(out, size,
                       "CRL expired: the CRL for %s is past its nextUpdate; "
                       "refresh crl_file",
                       who);
  if (is_crl_error(e))
    return text_format(out, size, "CRL unusable: %s (certificate %s)", why,
                       who);
  if (e == X509_V_ERR_INVALID_PURPOSE)
    return text_format(out, size, "certificate not valid for a TLS server: %s",
                       who);
  return text_format(out, size, "certificate refused: %s (certificate %s)", why,
                     who);
}

/* OpenSSL 3.0 has no name for TLS 1.3's certificate_required. */
static const char *alert_name(int a) {
  return a == TLS_ALERT_CERTIFICATE_REQUIRED ? "certificate required"
                                             : SSL_alert_desc_string_long(a);
}

static int is_certificate_alert(int a) {
  /* bad_certificate .. certificate_unknown, unknown_ca, access_denied */
  return (a >= 42 && a <= 46) || a == 48 || a == 49;
}

static int explain_alert_received(const struct gw_tls_watch *w, char *out,
                                  size_t size) {
  int a = w->alert_received;
  const char *name = alert_name(a);
  if (a == TLS_ALERT_PROTOCOL_VERSION)
    return text_format(out, size,
                       "TLS version refused by peer: it accepts none of "
                       "TLS 1.2 or 1.3 (alert %s)",
                       name);
  if (!w->have_client_cert &&
      (a == TLS_ALERT_CERTIFICATE_REQUIRED ||
       (w->client_cert_requested &&
        (a == TLS_ALERT_HANDSHAKE_FAILURE || is_certificate_alert(a)))))
    return text_format(out, size,
                       "server requires a client certificate: none is "
                       "configured for this source (alert %s)",
                       name);
  if (w->have_client_cert &&
      (is_certificate_alert(a) || a == TLS_ALERT_CERTIFICATE_REQUIRED))
    return text_format(out, size,
                       "client certificate refused by peer (alert %s)", name);
  if (a == TLS_ALERT_HANDSHAKE_FAILURE)
    return text_format(out, size,
                       "TLS handshake refused by peer: no cipher suite or "
                       "parameters in common (alert %s)",
                       name);
  return text_format(out, size, "TLS handshake refused by peer (alert %s)",
                     name);
}

static int explain_alert_sent(const struct gw_tls_watch *w, char *out,
                              size_t size) {
  int a = w->alert_sent;
  const char *name = alert_name(a);
  if (a == TLS_ALERT_PROTOCOL_VERSION)
    return text_format(out, size,
                       "TLS version refused by peer: it offers only versions "
                       "below the minimum TLS 1.2 (alert %s sent)",
                       name);
  return text_format(out, size,
                     "TLS handshake refused: the peer's parameters break the "
                     "TLS policy (alert %s sent)",
                     name);
}

int tls_watch_explain(const struct gw_tls_watch *w, char *out,
                      size_t out_size) {
  /* The explain_* helpers return text_format's result; a cut message is
   * still the right message, so it is not checked. */
  out[0] = '\0';
  if (w->verify_error)
    explain_verify(w, out, out_size);
  else if (w->alert_received >= 0)
    explain_alert_received(w, out, out_size);
  else if (w->alert_sent >= 0)
    explain_alert_sent(w, out, out_size);
  else if (w->client_cert_requested && !w->have_client_cert)
    text_format(out, out_size,
                "server requires a client certificate: none is configured "
                "for this source (the server closed the connection)");
  return out[0] != '\0';
}
