/* Reply helpers: the iamport envelope {code, message, response}; control API errors. */
#ifndef BILLKEY_SB_REPLY_H
#define BILLKEY_SB_REPLY_H

#include <cjson/cJSON.h>

#include "server/http/http.h"

/* {"code":code,"message":message,"response":response}; takes ownership of response (NULL gives
 * JSON null). message may be NULL (JSON null). */
void sb_envelope(struct reply *rep, int http_status, int code, const char *message,
                 cJSON *response);
/* Success: HTTP 200, code 0, message null. Takes ownership of response. */
void sb_ok(struct reply *rep, cJSON *response);
/* Failure envelope with a printf message and response null. */
void sb_fail(struct reply *rep, int http_status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Control API error: HTTP status with {"error": message}. */
void sb_control_error(struct reply *rep, int http_status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
