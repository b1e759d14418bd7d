/* Request body parsing: JSON or form-urlencoded (iamport bracket notation) into one cJSON tree. */
#ifndef BILLKEY_BODY_H
#define BILLKEY_BODY_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "server/http/body_tree.h" /* limits, enum body_status, struct body_error */

/* Parses `len` bytes of `data` (not NUL-terminated) according to content_type, the raw
 * Content-Type header. The media type is compared case-insensitively and must be
 * "application/json" or "application/x-www-form-urlencoded"; parameters are allowed, and a
 * charset parameter, if present, must be utf-8.
 *
 * Both encodings give the same shape: form values are always strings, "a[b]=1" makes an object,
 * "a[0]=1" and "a[]=1" make arrays (indexes dense from 0 in order of first appearance).
 *
 * Malformed: a NUL byte anywhere; invalid UTF-8; JSON that is not a single object, has trailing
 * bytes, numbers that are not strict JSON or not finite, raw control characters or \u0000 in
 * strings, nesting deeper than BODY_JSON_MAX_DEPTH, or a key twice in one object; form fields
 * with bad percent-encoding, empty or over-long names, control characters in names, bad bracket
 * syntax, too deep, too many fields, index gaps, or conflicts (a repeated scalar, a scalar and a
 * container at the same place, an object and an array at the same place).
 *
 * len == 0 is BODY_OK with an empty object whatever the content type (even NULL).
 * content_type NULL with len > 0 is BODY_UNSUPPORTED_MEDIA_TYPE.
 *
 * On BODY_OK *out is a new object the caller owns (free with cJSON_Delete). Otherwise *out is
 * NULL and *err (when err is not NULL) says what is wrong. */
enum body_status body_parse(const char *content_type, const char *data, size_t len, cJSON **out,
                            struct body_error *err);

/* Parses a URL query string (without the leading '?') with the form rules above. NULL or ""
 * gives an empty object. Never returns BODY_UNSUPPORTED_MEDIA_TYPE. Ownership as body_parse. */
enum body_status body_parse_query(const char *query, cJSON **out, struct body_error *err);

#endif
