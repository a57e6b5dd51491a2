/*
 * transport.h - the host's only door to the network (DESIGN 3, 9).
 *
 * libcurl with a fixed TLS policy: peer and host verification always on
 * (there is no switch to turn them off), TLS >= 1.2, https only (redirects
 * too, and never to another host), connect/total/low-speed timeouts, a byte
 * cap counted in the write callback (so chunked and gzip-decoded bodies are
 * capped too), gzip accepted. The body streams into the spool; the result
 * says what an auditor needs: status, TLS version, peer certificate SHA-256
 * and subject (OIN from serialNumber), bytes and payload SHA-256.
 *
 * Profile digikoppeling (DESIGN 9, docs/tls.md) adds: mutual TLS with the
 * configured client certificate, trust in the configured CA file only
 * (never the system store), CRL checking of the whole chain against a
 * required CRL file, the host name checked inside the handshake, the NCSC
 * cipher lists, and the expected OIN compared with the peer certificate's
 * subject serialNumber inside the handshake, so a wrong peer never sees a
 * byte of HTTP. The checks themselves live in tls_checks.c.
 *
 * One gw_transport is used by one thread at a time; it keeps one curl easy
 * handle so connections are reused across the pages of a run.
 */
#ifndef GW_TRANSPORT_H
#define GW_TRANSPORT_H
#include <stddef.h>
#include <stdint.h>
#include "gateway/plugin.h"
#include "digest.h"

struct gw_transport; /* opaque; one per thread */

typedef enum gw_tls_profile {
  GW_TLS_PUBLIC = 0,   /* system or configured CA bundle, hostname check */
  GW_TLS_DIGIKOPPELING /* mutual TLS, PKIo root only, CRL, OIN check */
} gw_tls_profile;

struct gw_tls_settings {
  gw_tls_profile profile;
  const char *ca_file;       /* NULL: system bundle (public profile);
                                digikoppeling: required, the only trust */
  const char *client_cert;   /* PEM, or NULL; digikoppeling: required */
  const char *client_key;    /* PEM, or NULL; digikoppeling: required */
  const char *pinned_pubkey; /* "sha256//base64;..." or NULL */
  const char *expected_oin;  /* digikoppeling: peer subject serialNumber,
                                20 digits, required */
  int min_tls_minor;         /* 2 for TLS 1.2 (the floor), 3 for 1.3 */
  /* Appended for the digikoppeling profile (additive): PEM file with the
   * CRLs of every CA in the peer's chain (root included); required with
   * digikoppeling, refused with public. Re-read for every connection, so
   * a refreshed file is used without a restart. */
  const char *crl_file;
};

struct gw_transport_limits {
  long connect_timeout_ms; /* default 10000 */
  long total_timeout_ms;   /* default 300000 */
  long low_speed_bytes;    /* abort when slower than this ... default 100 */
  long low_speed_seconds;  /* ... for this long. default 30 */
  uint64_t max_bytes;      /* body cap after decoding; default 256 MiB */
  /* Added for proxies (additive). NULL (the default): libcurl's environment
   * (HTTPS_PROXY/https_proxy, NO_PROXY/no_proxy); "": no proxy at all, even
   * when HTTPS_PROXY is set; else "http://host:port" or "https://host:port".
   * TLS to the origin is verified end to end through the CONNECT tunnel. */
  const char *proxy;
};

struct gw_transport_request {
  const char *url;
  const char *const *headers;    /* NULL-terminated "Name: value" or NULL */
  const char *if_none_match;     /* ETag to send, or NULL/"" */
  const char *if_modified_since; /* Last-Modified to send, or NULL/"" */
  const char *spool_dir;
};

#define GW_TLS_VERSION_MAX 16
#define GW_SUBJECT_MAX 512
#define GW_OIN_MAX 32
#define GW_ETAG_MAX 256
#define GW_HTTPDATE_MAX 64
#define GW_PATH_MAX 4096
#define GW_CONTENT_TYPE_MAX 128
#define GW_TRANSPORT_ERR_MAX 512

struct gw_transport_result {
  gw_result outcome;  /* OK; RETRY for transient failures (connect,
                         timeout, TLS handshake timeout, 5xx, 408, 429);
                         FAIL otherwise */
  long http_status;   /* 0 when no response */
  int not_modified;   /* 304: nothing spooled, sha/path empty */
  long retry_after_s; /* parsed Retry-After, -1 when absent */
  uint64_t bytes;     /* body bytes after decoding */
  char payload_sha256[GW_SHA256_HEX_SIZE];
  char spool_path[GW_PATH_MAX];
  char tls_version[GW_TLS_VERSION_MAX]; /* "TLSv1.3" */
  char peer_cert_sha256[GW_SHA256_HEX_SIZE];
  char peer_subject[GW_SUBJECT_MAX]; /* RFC 2253 one-line */
  char peer_oin[GW_OIN_MAX];         /* subject serialNumber, or "" */
  char etag[GW_ETAG_MAX];
  char last_modified[GW_HTTPDATE_MAX];
  char content_type[GW_CONTENT_TYPE_MAX];
  char effective_url[GW_PATH_MAX];
  double seconds;
  char error[GW_TRANSPORT_ERR_MAX]; /* one line, "" on success */
  /* Appended for TLS refusals (additive): 1 when the transfer failed
   * because one side refused the other in TLS - certificate (untrusted
   * CA, expired, revoked, host name), OIN, TLS version, a client
   * certificate demanded or refused, a public-key pin. error then starts
   * with the refusal as listed in docs/tls.md, and peer_* and tls_version
   * hold what was seen of the peer certificate ("" when nothing was).
   * outcome is always GW_FAIL: a refusal does not heal by retrying. */
  int tls_refused;
};

/* Call once per process before threads start (curl_global_init). */
int transport_global_init(void);
void transport_global_cleanup(void);

/* settings and limits are copied. 0 or -1 (err). */
int transport_new(const struct gw_tls_settings *tls,
                  const struct gw_transport_limits *limits,
                  struct gw_transport **out, char *err, size_t err_size);
void transport_free(struct gw_transport *t);

/* Perform one GET. Always fills *res (outcome says what happened); returns
 * 0 when res->outcome is GW_OK, -1 otherwise. A non-2xx/304 status is not
 * spooled. */
int transport_fetch(struct gw_transport *t,
                    const struct gw_transport_request *req,
                    struct gw_transport_result *res);

/* Default limits (the values documented above). */
void transport_default_limits(struct gw_transport_limits *limits);

/* 1 when url is an absolute https URL with a host; fills host (lower-case)
 * and port (443 when absent) when the pointers are non-NULL. */
int url_https_origin(const char *url, char *host, size_t host_size, int *port);

#endif
