/* libFuzzer harness: request bodies (JSON, bracket form) and query strings through body_parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "server/http/body.h"
#include "server/http/body_form.h"
#include "server/http/body_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
    "application/json",
    "application/x-www-form-urlencoded",
    "application/json; charset=utf-8",
    "text/plain",
};

/* The first byte picks the entry point, the rest is the body. An accepted body must be an
 * object, and the error must be NUL-terminated and quote at most its buffers. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned pick = data[0] % 7;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    cJSON *out = NULL;
    struct body_error err;
    enum body_status st;

    if (pick < 4) {
        st = body_parse(content_types[pick], body, len, &out, &err);
    } else if (pick == 4) {
        st = len ? body_parse_json(body, len, &out, &err) : BODY_OK;
    } else if (pick == 5) {
        st = body_parse_form(body, len, &out, &err);
    } else {
        char *query = malloc(len + 1);
        memcpy(query, body, len);
        query[len] = '\0';
        st = body_parse_query(query, &out, &err);
        free(query);
    }
    if (st == BODY_OK) {
        if (out && !cJSON_IsObject(out))
            abort();
    } else {
        if (out || strnlen(err.message, sizeof err.message) == sizeof err.message ||
            strnlen(err.field, sizeof err.field) == sizeof err.field)
            abort();
    }
    cJSON_Delete(out);
    return 0;
}
