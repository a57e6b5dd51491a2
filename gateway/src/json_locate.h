/*
 * json_locate.h - find where a value sits in raw JSON text.
 *
 * jansson does not keep the positions of parsed values, but an error
 * message that says "line 14" saves an operator a search through a long
 * config file. This scanner walks the raw text along a JSON pointer
 * (RFC 6901, e.g. "/sources/1/params/table") and reports the line of the
 * value it designates. It never allocates and is linear in the text size.
 */
#ifndef GW_JSON_LOCATE_H
#define GW_JSON_LOCATE_H
#include <stddef.h>

/* 1-based line of the first character of the value at pointer ("" is the
 * whole document), or 0 when the path does not exist or the text is not
 * well-formed along the way. With duplicate object keys the first wins. */
int json_locate_line(const char *text, size_t len, const char *pointer);

#endif
