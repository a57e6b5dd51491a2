/*
 * tls_identity.c - peer certificate fingerprint, subject and OIN (see
 * tls_identity.h), shared by the transport and the feed server.
 */
#include "tls_identity.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <string.h>

#include "text.h"

/* Logs and allow-lists hold one line per value: control bytes become
 * spaces. */
static void make_one_line(char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f)
      *s = ' ';
  }
}

static void read_subject(X509_NAME *name, char *out, size_t size) {
  BIO *bio = BIO_new(BIO_s_mem());
  char *data = NULL;
  long len;
  out[0] = '\0';
  if (!bio)
    return;
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0)
    goto out;
  len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || (size_t)len >= size)
    goto out;
  memcpy(out, data, (size_t)len);
  out[len] = '\0';
  make_one_line(out);
out:
  BIO_free(bio);
}

/* The OIN of a PKIoverheid certificate is its subject serialNumber. */
static void read_oin(X509_NAME *name, char *out, size_t size) {
  int idx = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
  X509_NAME_ENTRY *entry;
  unsigned char *utf8 = NULL;
  int len;
  out[0] = '\0';
  if (idx < 0)
    return;
  entry = X509_NAME_get_entry(name, idx);
  if (!entry)
    return;
  len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (len > 0 && (size_t)len < size) {
    memcpy(out, utf8, (size_t)len);
    out[len] = '\0';
    make_one_line(out);
  }
  OPENSSL_free(utf8);
}

void tls_identity_from_cert(X509 *cert, struct gw_tls_identity *out) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  X509_NAME *subject;
  out->has_cert = 0;
  out->cert_sha256[0] = '\0';
  out->subject[0] = '\0';
  out->oin[0] = '\0';
  if (!cert)
    return;
  out->has_cert = 1;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1 && md_len == 32)
    text_hex(md, md_len, out->cert_sha256);
  subject = X509_get_subject_name(cert);
  if (!subject)
    return;
  read_subject(subject, out->subject, sizeof out->subject);
  read_oin(subject, out->oin, sizeof out->oin);
}

void tls_identity_from_ssl(const SSL *ssl, struct gw_tls_identity *out) {
  if (text_copy(out->tls_version, sizeof out->tls_version,
                SSL_get_version(ssl)) != 0)
    out->tls_version[0] = '\0';
  tls_identity_from_cert(SSL_get0_peer_certificate(ssl), out);
}
