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

struct iamport_call {
    enum iamport_http_method method;
    const char *path;  /* borrowed: escaped path + query */
    const cJSON *body; /* borrowed; NULL = none */
    enum iamport_call_kind kind;
    bool code1_not_found;           /* 200/code 1 also means not found (older customer answers) */
    bool is_token_call;             /* POST /users/getToken: refusals are IAMPORT_E_AUTH */
    atomic_uint_fast64_t *attempts; /* borrowed, may be NULL: +1 before every send */
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
 * it and frees it with cJSON_Delete; it is a JSON null when the envelope had none). On failure
 * *response is NULL and err is filled. */
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

#endif
