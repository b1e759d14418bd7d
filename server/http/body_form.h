/* Request body parsing: form-urlencoded and query strings (iamport bracket notation). */
#ifndef BILLKEY_BODY_FORM_H
#define BILLKEY_BODY_FORM_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "server/http/body_tree.h"

/* Parses data[0..len) (not NUL-terminated; len 0 gives an empty object) as form-urlencoded
 * fields with bracket notation, with the rules of body_parse (body.h). Ownership and errors as
 * body_parse_json. */
enum body_status body_parse_form(const char *data, size_t len, cJSON **out, struct body_error *err);

#endif
