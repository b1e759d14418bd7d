/* Request body parsing: strict JSON (numbers, strings, depth, duplicate keys) into a cJSON tree. */
#ifndef BILLKEY_BODY_JSON_H
#define BILLKEY_BODY_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "server/http/body_tree.h"

/* Parses data[0..len) (len > 0, not NUL-terminated) as one strict JSON object with the rules of
 * body_parse (body.h). On BODY_OK *out is a new object the caller frees with cJSON_Delete;
 * otherwise *out is NULL and *err (when not NULL) says what is wrong. */
enum body_status body_parse_json(const char *data, size_t len, cJSON **out, struct body_error *err);

#endif
