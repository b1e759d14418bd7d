/* Request body parsing, the layer below the encodings: limits, the error type, error reporting
 * and byte checks shared by body_json.c, body_form.c and body.c. */
#ifndef BILLKEY_BODY_TREE_H
#define BILLKEY_BODY_TREE_H

#include <stddef.h>

/* Limits. JSON: nesting depth (the top-level object is level 1). Form and query strings: bracket
 * levels after the name ("a[b][c]" has 2), decoded field-name bytes, non-empty pairs, and the
 * largest array index. */
#define BODY_JSON_MAX_DEPTH 32
#define BODY_FORM_MAX_DEPTH 8
#define BODY_FORM_MAX_KEY_LEN 128
#define BODY_FORM_MAX_FIELDS 1000
#define BODY_FORM_MAX_INDEX 1000

enum body_status { BODY_OK = 0, BODY_UNSUPPORTED_MEDIA_TYPE, BODY_MALFORMED };

/* Why parsing failed. field is the offending field in bracket notation ("schedules[1][amount]",
 * cut to 128 bytes on a UTF-8 boundary), or "" when the error is not about one field. message is
 * lower-case, names what failed and quotes the subject. Byte offsets in messages are 0-based. */
struct body_error {
    char field[BODY_FORM_MAX_KEY_LEN + 1];
    char message[256];
};

/* How much of a hostile header or number we quote in an error message. */
#define BODY_QUOTE_CAP 64

/* Fills *err (if any) with field[0..field_len) (cut to BODY_FORM_MAX_KEY_LEN on a UTF-8
 * boundary; field may be NULL) and the formatted message, and returns st. Messages may quote user
 * text; a cut never splits UTF-8. */
enum body_status body_fail(struct body_error *err, enum body_status st, const char *field,
                           size_t field_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Copies at most BODY_QUOTE_CAP bytes of s into dst (BODY_QUOTE_CAP + 4 bytes), replacing
 * anything but printable ASCII with '?', so header text is safe to put in a message. */
void body_quote_ascii(char *dst, const char *s, size_t n);

/* Returns 1 if s[0..n) is strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF);
 * else 0 and *bad_at is the offset of the first byte of the bad sequence. */
int body_utf8_valid(const unsigned char *s, size_t n, size_t *bad_at);
/* 1 when s[0..n) has a byte below 0x20 or 0x7f, else 0. */
int body_has_control_char(const char *s, size_t n);
int body_is_digit(char c);
/* BODY_OK, or BODY_MALFORMED ("body contains a NUL byte at byte N") when data[0..len) has one. */
enum body_status body_reject_nul(const char *data, size_t len, struct body_error *err);

#endif
