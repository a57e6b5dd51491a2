/*
 * serve_auth.h - who may use the feed server and which indicators each
 * client may read (docs/api.md, "Clients and tokens").
 *
 * Two sources of clients, either or both configured:
 *
 *  - the client allow-list (serve.clients, JSON): certificate clients,
 *    matched by the SHA-256 fingerprint of their certificate, by its exact
 *    subject (RFC 2253), or by the OIN in its subject serialNumber:
 *      {"clients": [{"name": "dashboard", "cert_sha256": "ab12...",
 *                    "indicators": "*"},
 *                   {"name": "sociale-kaart", "oin": "00000001...",
 *                    "indicators": ["bijstand_per_10k"],
 *                    "rate_limit": {"requests_per_second": 5, "burst": 10}}]}
 *    The TLS layer has already verified the certificate against
 *    serve.client_ca_file before anything here looks at it.
 *
 *  - the token file (serve.tokens_file): one bearer token per line, stored
 *    only as the SHA-256 of the token, with the client's name and its
 *    indicators ("*" or a comma-separated list):
 *      # sha256(token)                                    client  indicators
 *      9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 * begroting bijstand_per_10k,roken A presented token is hashed and compared
 * with every line in constant time, so neither the token nor its position leaks
 * through timing.
 *
 * Several entries may share a name (a client with a certificate and a
 * token, or two tokens during a rotation): they share one rate-limit
 * bucket (serve_client.bucket).
 *
 * Ownership: the auth object owns every client; pointers stay valid until
 * serve_auth_free().
 */
#ifndef GW_SERVE_AUTH_H
#define GW_SERVE_AUTH_H
#include <stddef.h>
#include "catalogue.h"
#include "tls_identity.h"

#define SERVE_CLIENT_NAME_MAX 64
#define SERVE_TOKEN_MAX 512

struct serve_client {
  char name[SERVE_CLIENT_NAME_MAX];
  char **indicators;    /* NULL-terminated ids, or NULL: every indicator */
  long rate_per_second; /* -1: the server's default */
  long burst;           /* -1: the server's default */
  size_t bucket;        /* shared by every entry with this name */
};

struct serve_auth;

/* Load the allow-list and/or the token file (either path may be NULL).
 * With cat, every indicator named must exist in the catalogue. Errors
 * name the file, the line (or client) and what is wrong. 0 or -1. */
int serve_auth_load(const char *clients_path, const char *tokens_path,
                    const struct gw_catalogue *cat, struct serve_auth **out,
                    char *err, size_t err_size);
/* The same from text in memory (label names it in messages). */
int serve_auth_from_text(const char *clients_json, const char *clients_label,
                         const char *tokens_text, const char *tokens_label,
                         const struct gw_catalogue *cat,
                         struct serve_auth **out, char *err, size_t err_size);
void serve_auth_free(struct serve_auth *a);

size_t serve_auth_client_count(const struct serve_auth *a);
size_t serve_auth_token_count(const struct serve_auth *a);
/* Distinct client names = rate-limit buckets. */
size_t serve_auth_bucket_count(const struct serve_auth *a);
/* The first entry of bucket i (for its rate-limit settings). */
const struct serve_client *serve_auth_bucket_client(const struct serve_auth *a,
                                                    size_t i);

/* The allow-listed client of a verified certificate, or NULL. *how gets
 * "cert_sha256", "subject" or "oin" (the fingerprint wins over the
 * others). */
const struct serve_client *serve_auth_by_cert(const struct serve_auth *a,
                                              const struct gw_tls_identity *id,
                                              const char **how);
/* The client of a bearer token, or NULL. */
const struct serve_client *serve_auth_by_token(const struct serve_auth *a,
                                               const char *token);

/* 1 when the client may read indicator; 1 for every indicator when it
 * has "*". */
int serve_client_may_read(const struct serve_client *c, const char *indicator);
int serve_client_reads_all(const struct serve_client *c);

/* Constant-time comparison of two equally long byte strings: 1 equal. */
int serve_equal_ct(const void *a, const void *b, size_t len);

#endif
