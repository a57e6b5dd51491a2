/*
 * drop_folder.h - fetching file:// URLs from a source's explicit drop
 * folder (files delivered by hand or by another system, e.g. a CSV saved
 * from Excel). It behaves like the HTTPS transport towards the rest of the
 * host: the body is streamed into the spool under its SHA-256, a
 * validator (size and modification time) makes an unchanged file a "not
 * modified", and the same result struct feeds the exchange log.
 */
#ifndef GW_DROP_FOLDER_H
#define GW_DROP_FOLDER_H
#include <stdint.h>
#include "transport.h"

/* 1 when url starts with "file://". */
int drop_folder_is_file_url(const char *url);

/* Fetch file:///path, refusing anything that does not resolve (after
 * symlinks) to a regular file inside drop_folder. known_etag (may be NULL)
 * is the validator stored by the last successful run. Always fills *res;
 * returns 0 when res->outcome is GW_OK. */
int drop_folder_fetch(const char *url, const char *drop_folder,
                      const char *spool_dir, const char *known_etag,
                      uint64_t max_bytes, struct gw_transport_result *res);

#endif
