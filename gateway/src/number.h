/*
 * number.h - parsing numbers as Dutch sources write them: "312,4",
 * "312.4", "1.234,5", "1,234.5", "-0,5", " 7 ". Rejects NaN, infinities,
 * hex, empty strings and trailing garbage.
 */
#ifndef GW_NUMBER_H
#define GW_NUMBER_H

/* 0 on success, -1 when text is not a finite decimal number. */
int number_parse(const char *text, double *out);

#endif
