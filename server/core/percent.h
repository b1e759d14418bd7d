/* Percent-decoding (%XX escapes, optionally '+' as space) for form bodies, URLs and paths. */
#ifndef BILLKEY_PERCENT_H
#define BILLKEY_PERCENT_H

#include <stddef.h>

/* '+' decodes to ' ' (form bodies and query strings); without it '+' stays '+'. */
#define PERCENT_PLUS_IS_SPACE 0x1u
/* An incomplete or non-hex escape ("%", "%4", "%zz") is copied as it is instead of failing.
 * %00 fails whatever the flags: a decoded NUL would cut C strings short. */
#define PERCENT_KEEP_MALFORMED 0x2u

/* Decodes the n bytes at s (no NUL needed) into out, which has room for n + 1 bytes and may be
 * s itself (decoding never grows). Hex digits are case-insensitive. On success returns 0, out is
 * NUL-terminated and *out_len (may be NULL) is its length. On failure returns -1, *bad_at (may
 * be NULL) is the byte offset in s of the offending '%', and out holds garbage. */
int percent_decode_into(char *out, const char *s, size_t n, unsigned flags, size_t *out_len,
                        size_t *bad_at);

/* As percent_decode_into, into a new string the caller frees; NULL on failure (nothing to
 * free). Aborts on out-of-memory like the x* allocators. */
char *percent_decode(const char *s, size_t n, unsigned flags, size_t *out_len, size_t *bad_at);

#endif
