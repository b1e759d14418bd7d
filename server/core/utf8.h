/* UTF-8 helpers for text limits: counting characters and cutting at character boundaries. */
#ifndef BILLKEY_UTF8_H
#define BILLKEY_UTF8_H

#include <stddef.h>

/* Decodes the UTF-8 sequence at s (at most `avail` bytes): returns its length and sets *cp, or
 * returns 0 when it is not valid (bad lead or continuation byte, truncated, overlong form,
 * surrogate, above U+10FFFF). */
size_t utf8_decode(const unsigned char *s, size_t avail, unsigned *cp);

/* 1 when s is entirely valid UTF-8 (NULL counts as valid), else 0. */
int utf8_valid(const char *s);

/* Number of characters in s, counting each lead byte (s is assumed valid UTF-8, as bodies and
 * iamport answers are checked before they get here). NULL counts 0. */
size_t utf8_char_count(const char *s);

/* Longest prefix of s, at most max_bytes long, that does not end inside a character. For
 * printf's "%.*s". NULL gives 0. */
int utf8_prefix_len(const char *s, size_t max_bytes);

/* Drops an incomplete character at the end of s (what a truncating snprintf leaves). */
void utf8_trim_partial(char *s);

/* A NUL-terminated copy of the `len` bytes at s in which every byte that does not start a valid
 * UTF-8 sequence is replaced by U+FFFD. For text from outside (iamport's answers) that must be
 * storable in PostgreSQL. Caller frees. */
char *utf8_repair(const char *s, size_t len);

#endif
