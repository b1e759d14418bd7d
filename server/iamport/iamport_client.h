/* The client handle's insides and the call-then-read helpers the endpoint files use (private to
 * server/iamport; everyone else uses iamport.h). */
#ifndef BILLKEY_IAMPORT_CLIENT_H
#define BILLKEY_IAMPORT_CLIENT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "server/iamport/iamport.h"
#include "server/iamport/iamport_envelope.h"
#include "server/iamport/iamport_http.h"
#include "server/iamport/iamport_token.h"

struct iamport_client {
    struct iamport_http http;         /* connections, base URL, timeouts, Tier header */
    struct iamport_token_cache token; /* borrows `http` and the options' clock */
    bool include_sandbox;
    /* A counting semaphore without a queue: iamport_call takes a slot with a try-acquire
     * (fetch_add, and back out past max_concurrent) and gives it back when the call ends. */
    atomic_int in_flight;
    int max_concurrent;
};

/* Runs a call with the client's token (401 -> refresh -> one retry; see iamport_exchange) and
 * logs failures. With max_concurrent calls already in flight it fails at once with
 * IAMPORT_E_BUSY and sends nothing. On IAMPORT_OK *response is the envelope's "response" member, owned by the
 * caller (cJSON_Delete); on failure *response is NULL and err is filled. */
enum iamport_status iamport_call(struct iamport_client *c, const struct iamport_call *call,
                                 cJSON **response, struct iamport_error *err);

/* Takes ownership of a call's `response` and fills *out (the struct the reader is for) from it.
 * Returns IAMPORT_OK, or IAMPORT_E_PARSE with err filled and nothing left in *out. */
typedef enum iamport_status (*iamport_reader)(cJSON *response, void *out,
                                              struct iamport_error *err);

/* Runs a call and, on IAMPORT_OK, has `read` fill *out from the answer's text (no cJSON tree;
 * see iamport_map_answer_text). Returns the outcome through iamport_done (err is zeroed on
 * IAMPORT_OK). */
enum iamport_status iamport_call_read_text(struct iamport_client *c,
                                           const struct iamport_call *call,
                                           iamport_text_reader read, void *out,
                                           struct iamport_error *err);
/* One call of iamport_call_read_overlapped: the call and its text reader (borrowed), the
 * struct the reader fills, its error (not NULL), and its outcome (set by the run). */
struct iamport_read_job {
    const struct iamport_call *call;
    iamport_text_reader read;
    void *out;
    struct iamport_error *err;
    enum iamport_status status;
};
/* Runs n calls (at most IAMPORT_OVERLAP_MAX) as iamport_call_read_text would run each, with their
 * first attempts at the same time (iamport_exchange_overlapped), and sets each job's status. A
 * call that finds no free slot of max_concurrent waits for the others and runs after them (it
 * gets IAMPORT_E_BUSY only if there is still none then). */
void iamport_call_read_overlapped(struct iamport_client *c, struct iamport_read_job *jobs,
                                  size_t n);
/* The calls iamport_get_payment (iamport_payments.c) and iamport_get_customer
 * (iamport_customers.c) make, as *call with its path in *path (caller frees; NULL on failure),
 * for those and for iamport_get_payment_and_customer to run. */
enum iamport_status iamport_payment_lookup(struct iamport_client *c, const char *imp_uid,
                                           char **path, struct iamport_call *call,
                                           struct iamport_error *err);
enum iamport_status iamport_customer_lookup(const char *customer_uid, char **path,
                                            struct iamport_call *call, struct iamport_error *err);
/* GET prefix + escaped id + suffix as a lookup (the id checked as iamport_id_path does, named
 * `what`), read into *out. */
enum iamport_status iamport_get_by_id(struct iamport_client *c, const char *what, const char *id,
                                      const char *prefix, const char *suffix, iamport_reader read,
                                      void *out, struct iamport_error *err);
/* POST `body` (consumed: deleted here) to `path` (borrowed) as a money call, read into *out. */
enum iamport_status iamport_post_read(struct iamport_client *c, const char *path, cJSON *body,
                                      iamport_reader read, void *out, struct iamport_error *err);
/* iamport_get_by_id and iamport_post_read with the answer read from its text. */
enum iamport_status iamport_get_by_id_text(struct iamport_client *c, const char *what,
                                           const char *id, const char *prefix, const char *suffix,
                                           iamport_text_reader read, void *out,
                                           struct iamport_error *err);
enum iamport_status iamport_post_read_text(struct iamport_client *c, const char *path, cJSON *body,
                                           iamport_text_reader read, void *out,
                                           struct iamport_error *err);

#endif
