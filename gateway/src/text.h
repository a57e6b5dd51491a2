/*
 * text.h - small bounded string helpers (the project bans strcpy, strcat,
 * sprintf and atoi). All functions always NUL-terminate when size > 0 and
 * report truncation instead of silently cutting.
 */
#ifndef GW_TEXT_H
#define GW_TEXT_H
#include <stddef.h>
#include <stdint.h>

/* Copy src into dst; returns 0, or -1 when it did not fit (dst truncated). */
int text_copy(char *dst, size_t size, const char *src);
/* Append src to the string in dst; 0 or -1 on truncation. */
int text_append(char *dst, size_t size, const char *src);
/* snprintf that returns 0, or -1 on error/truncation. */
int text_format(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copy src without leading/trailing ASCII white space; 0 or -1. */
int text_copy_trimmed(char *dst, size_t size, const char *src);
/* The part of s without leading/trailing ASCII white space, as a pointer
 * into s and a length (no copy). s must not be NULL. */
const char *text_trim_span(const char *s, size_t *len);
/* Strict integer parsing: whole string, range-checked. 0 or -1. */
int text_parse_int64(const char *s, int64_t *out);
int text_parse_uint64(const char *s, uint64_t *out);
/* Lower-case hex of len bytes into out (size >= 2*len+1). */
void text_hex(const unsigned char *bytes, size_t len, char *out);
/* 1 when s ends with suffix. */
int text_ends_with(const char *s, const char *suffix);

#endif
