/* Private pieces shared by body.c, body_json.c and body_form.c (not for other modules). */
#ifndef BILLKEY_BODY_INTERNAL_H
#define BILLKEY_BODY_INTERNAL_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "server/http/body.h"

/* How much of a hostile header or number we quote in an error message. */
#define BODY_QUOTE_CAP 64

/* ---- errors (body.c) ---- */

/* Fills *err (if any) with field[0..field_len) (cut to BODY_FORM_MAX_KEY_LEN on a UTF-8
 * boundary; field may be NULL) and the formatted message, and returns st. Messages may quote user
 * text; a cut never splits UTF-8. */
enum body_status body_fail(struct body_error *err, enum body_status st, const char *field,
                           size_t field_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Copies at most BODY_QUOTE_CAP bytes of s into dst (BODY_QUOTE_CAP + 4 bytes), replacing
 * anything but printable ASCII with '?', so header text is safe to put in a message. */
void body_quote_ascii(char *dst, const char *s, size_t n);

/* ---- byte-level checks (body.c) ---- */

/* Returns 1 if s[0..n) is strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF);
 * else 0 and *bad_at is the offset of the first byte of the bad sequence. */
int body_utf8_valid(const unsigned char *s, size_t n, size_t *bad_at);
/* 1 when s[0..n) has a byte below 0x20 or 0x7f, else 0. */
int body_has_control_char(const char *s, size_t n);
int body_ascii_lower(int c);
int body_is_digit(char c);
/* BODY_OK, or BODY_MALFORMED ("body contains a NUL byte at byte N") when data[0..len) has one. */
enum body_status body_reject_nul(const char *data, size_t len, struct body_error *err);

/* ---- the two encodings: len > 0; *out as body_parse ---- */

/* Strict JSON object (body_json.c). */
enum body_status body_parse_json(const char *data, size_t len, cJSON **out,
                                 struct body_error *err);
/* Form-urlencoded / query string with bracket notation (body_form.c). */
enum body_status body_parse_form(const char *data, size_t len, cJSON **out,
                                 struct body_error *err);

#endif
