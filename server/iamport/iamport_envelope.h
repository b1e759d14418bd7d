/* One call to iamport: the HTTP exchange, its retry policy, and the {code, message, response}
 * envelope decoded into the typed failure kinds. Used by the token cache and the client alike. */
#ifndef BILLKEY_IAMPORT_ENVELOPE_H
#define BILLKEY_IAMPORT_ENVELOPE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "server/iamport/iamport.h"
#include "server/iamport/iamport_http.h"

enum iamport_call_kind {
    IAMPORT_CALL_LOOKUP,   /* retried on transport errors and 5xx, 404 = not found */
    IAMPORT_CALL_MONEY,    /* never resent once it may have left */
    IAMPORT_CALL_MUTATION, /* like MONEY, but 404 = not found (delete customer) */
};

struct iamport_text_read;
/* Fills into->out from the JSON text json[len] of a 2xx/code 0 answer's "response" member (a
 * JSON value as cJSON reads it, valid UTF-8 without NUL bytes; not NUL-terminated; "null" when
 * the envelope had none). Returns IAMPORT_OK, or IAMPORT_E_PARSE with err->detail filled and
 * nothing left in into->out. */
typedef enum iamport_status (*iamport_text_reader)(const char *json, size_t len,
                                                   struct iamport_text_read *into,
                                                   struct iamport_error *err);

/* A call's answer read from its text instead of a cJSON tree (iamport_map_answer_text). */
struct iamport_text_read {
    iamport_text_reader read;
    void *out;     /* borrowed: what `read` fills */
    bool declined; /* set by `read`: the answer is a Payment in status failed (for metrics) */
};

struct iamport_call {
    enum iamport_http_method method;
    const char *path;  /* borrowed: escaped path + query */
    const cJSON *body; /* borrowed; NULL = none */
    enum iamport_call_kind kind;
    bool code1_not_found;           /* 200/code 1 also means not found (older customer answers) */
    bool is_token_call;             /* POST /users/getToken: refusals are IAMPORT_E_AUTH */
    atomic_uint_fast64_t *attempts; /* borrowed, may be NULL: +1 before every send */
    /* borrowed, may be NULL: a 2xx/code 0 answer is read by text->read and *response stays
     * NULL (iamport_map_answer_text) */
    struct iamport_text_read *text;
};

/* Supplies the Authorization value of each attempt (the client plugs in its token cache).
 * `refresh` is true after the previous attempt's token got HTTP 401. On IAMPORT_OK *token is
 * a string the exchange frees; on failure err is filled and the call ends with that status. */
struct iamport_authorizer {
    enum iamport_status (*token)(void *arg, bool refresh, char **token, struct iamport_error *err);
    void *arg;
};

/* Runs a call: authorizer (when not NULL), request, 401 -> one retry with a refreshed token,
 * lookups retried twice on transport errors and 5xx (money-moving calls never), envelope
 * mapping. On IAMPORT_OK *response is the envelope's "response" member, detached (caller owns
 * it and frees it with cJSON_Delete; it is a JSON null when the envelope had none), or NULL when
 * call->text read it. On failure *response is NULL and err is filled. */
enum iamport_status iamport_exchange(struct iamport_http *http, const struct iamport_call *call,
                                     const struct iamport_authorizer *auth, cJSON **response,
                                     struct iamport_error *err);

/* One call of iamport_exchange_overlapped: its arguments as iamport_exchange takes them, and
 * where its outcome goes (all borrowed). */
struct iamport_overlap_job {
    const struct iamport_call *call;
    const struct iamport_authorizer *auth;
    cJSON **response;
    struct iamport_error *err;
    enum iamport_status *status;
};

/* Runs n calls (at most IAMPORT_OVERLAP_MAX) as iamport_exchange would run each, with their
 * first attempts sent at the same time (iamport_http_perform_overlapped): one wait for both
 * answers instead of one after the other. A call that needs another attempt (a refreshed token
 * after 401, a lookup's retry) makes it alone once the first attempts have ended. */
void iamport_exchange_overlapped(struct iamport_http *http, const struct iamport_overlap_job *jobs,
                                 size_t n);

/* Envelope {code, message, response} -> status, for an HTTP answer already received.
 * `is_token_call` maps refusals to IAMPORT_E_AUTH (iamport_exchange passes
 * call->is_token_call). *response as for iamport_exchange. */
enum iamport_status iamport_map_answer(const struct iamport_call *call, bool is_token_call,
                                       long http_status, const char *body, size_t body_len,
                                       cJSON **response, struct iamport_error *err);

/* iamport_map_answer for a call with call->text: a 2xx answer whose envelope has code 0 is read
 * by iamport_scan_envelope and call->text->read, with no cJSON tree; every other answer goes
 * through iamport_map_answer (and, should cJSON accept what the scanner refused, its response is
 * printed and read as text). Same statuses and err as iamport_map_answer. */
enum iamport_status iamport_map_answer_text(const struct iamport_call *call, long http_status,
                                            const char *body, size_t body_len,
                                            struct iamport_error *err);

#endif
