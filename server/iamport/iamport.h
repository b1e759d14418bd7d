/* Typed client for the iamport (PortOne V1) REST API: token cache, retries, typed results. */
#ifndef BILLKEY_IAMPORT_H
#define BILLKEY_IAMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "server/core/clock.h"

/*
 * Conventions for the whole API
 * - Every call is thread-safe; one struct iamport_client is meant to be shared by all threads.
 * - Every call first zeroes its `out` struct, so `*_release(out)` is always safe afterwards,
 *   whatever the call returned. Strings in result structs are owned by the struct and are NULL
 *   when iamport sent JSON null or left the field out; timestamps are unix seconds, 0 when absent.
 *   Amounts are int64 won.
 * - `err` may be NULL. When given, it is zeroed and then filled on failure.
 * - Request structs and their strings/cJSON members are borrowed for the duration of the call.
 * - Path ids are URL-escaped. Empty ids, ".", ".." and ids over IAMPORT_ID_MAX bytes are
 *   refused with IAMPORT_E_INVALID_ARGUMENT before anything is sent.
 * - Lookups (GET) are retried twice (after 100 ms, then 300 ms) on transport errors and 5xx.
 *   Money-moving calls (again, cancel, prepare, schedule, unschedule) and delete_customer are
 *   never retried once the request may have been sent. Any call answered 401 gets one token
 *   refresh and one retry (a 401 means the call was not processed).
 */

#define IAMPORT_ID_MAX 1024
/* Largest amount accepted in a request: JSON numbers are doubles, exact up to 2^53 - 1. */
#define IAMPORT_AMOUNT_MAX INT64_C(9007199254740991)
/* Response bodies larger than this are refused (IAMPORT_E_PARSE). */
#define IAMPORT_MAX_RESPONSE_BYTES (4u * 1024u * 1024u)

enum iamport_status {
    IAMPORT_OK = 0,
    /* Connect failure etc.: the request was not sent, or (lookups only) it failed after all
     * retries. Nothing was processed by a money-moving call. */
    IAMPORT_E_TRANSPORT,
    /* A money-moving call (or delete_customer) whose request may have reached iamport: timeout
     * or connection dropped after sending. Outcome unknown: look the merchant_uid up. */
    IAMPORT_E_TIMEOUT_UNKNOWN,
    /* Unexpected HTTP status without a parseable envelope (err->http_status). */
    IAMPORT_E_HTTP,
    /* Envelope with code != 0: err->code and err->message are iamport's, unchanged. */
    IAMPORT_E_API,
    /* 404 on a lookup (or the older 200/code 1 "customer not found"); err->message kept. */
    IAMPORT_E_NOT_FOUND,
    /* The 2xx answer could not be read: not JSON, not an envelope, wrong field types, or
     * larger than IAMPORT_MAX_RESPONSE_BYTES. err->detail names what was wrong. */
    IAMPORT_E_PARSE,
    /* getToken refused (bad imp_key/imp_secret): err->message is iamport's text. */
    IAMPORT_E_AUTH,
    /* The caller passed an invalid argument (err->detail says which); nothing was sent. */
    IAMPORT_E_INVALID_ARGUMENT,
    /* The client already has max_concurrent calls in flight: nothing was sent (no queue: the
     * caller answers "busy, retry later"). */
    IAMPORT_E_BUSY,
};

struct iamport_error {
    int http_status;   /* 0 when no HTTP answer was received */
    int code;          /* iamport's envelope code, 0 when there was no envelope */
    char message[512]; /* iamport's envelope message, exact (cut at a UTF-8 boundary if longer) */
    char detail[256];  /* what failed on our side: curl error text, field name, ... */
    bool timed_out;    /* the exchange hit the connect or total timeout (any status) */
};

/* Stable lower-case name of a status ("ok", "transport", "timeout_unknown", ...). */
const char *iamport_status_name(enum iamport_status status);

/* For a money-moving call: true when the charge/cancel may or may not have happened, so the
 * caller must look the merchant_uid up before doing anything else. True for
 * IAMPORT_E_TIMEOUT_UNKNOWN, for IAMPORT_E_PARSE (iamport answered, unreadably) and for
 * IAMPORT_E_HTTP / IAMPORT_E_API answered with a 5xx status. `err` may be NULL (then the status
 * cannot be told apart: IAMPORT_E_HTTP counts as unknown, IAMPORT_E_API does not). */
bool iamport_outcome_unknown(enum iamport_status status, const struct iamport_error *err);

/* ---- client handle ---- */

struct iamport_client_options {
    const char *base_url;    /* required: "https://api.iamport.kr" or a test double's URL */
    const char *api_key;     /* required: imp_key */
    const char *api_secret;  /* required: imp_secret */
    long connect_timeout_ms; /* 0 = 10000 */
    long timeout_ms;         /* whole request, 0 = 30000 */
    const char *tier_code;   /* optional: 3 upper-case letters/digits, sent as "Tier: <code>" */
    /* optional: append include_sandbox=true to payment lookups (test channels). */
    bool include_sandbox;
    /* optional, borrowed (must outlive the client): the local clock that times token expiry
     * and refresh (tests drive it); NULL = the system clock. */
    const struct clock *clock;
    /* optional: calls in flight at once (IAMPORT_MAX_CONCURRENT); past it a call fails at once
     * with IAMPORT_E_BUSY. 0 = 64. */
    int max_concurrent;
};

struct iamport_client;

/* Creates a client; copies everything in *opts. Initialises libcurl once per process
 * (pthread_once around curl_global_init) so main need not. Registers the secret with
 * log_register_secret(). Returns NULL (and logs which option was wrong) on invalid options.
 * The caller owns the client and frees it with iamport_client_free() after all calls using it
 * have returned. */
struct iamport_client *iamport_client_new(const struct iamport_client_options *opts);
/* Frees the client, its token and its pooled connections. NULL is allowed. */
void iamport_client_free(struct iamport_client *client);

struct iamport_client_stats {
    uint64_t requests;      /* HTTP requests performed, including getToken and retries */
    uint64_t connects;      /* new connections opened (sum of CURLINFO_NUM_CONNECTS) */
    uint64_t token_fetches; /* getToken requests sent */
};
void iamport_client_get_stats(struct iamport_client *client, struct iamport_client_stats *out);

/* ---- token ---- */

/* POST /users/getToken. Normally not needed: every call gets a token from the cache. This
 * returns the cached token when it is still valid for more than 60 s, else fetches one (single
 * flight). *token_out is a copy the caller frees; never log it. *expires_in_s (may be NULL)
 * gets the seconds left by the client's clock. IAMPORT_E_AUTH when refused. */
enum iamport_status iamport_get_token(struct iamport_client *client, char **token_out,
                                      int64_t *expires_in_s, struct iamport_error *err);

/* ---- payments ---- */

enum iamport_payment_status {
    IAMPORT_PAYMENT_READY,
    IAMPORT_PAYMENT_PAID,
    IAMPORT_PAYMENT_FAILED,
    IAMPORT_PAYMENT_CANCELLED,
    IAMPORT_PAYMENT_UNKNOWN,
};
/* "ready", "paid", "failed", "cancelled"; anything else (or NULL) is UNKNOWN. */
enum iamport_payment_status iamport_payment_status_parse(const char *text);
const char *iamport_payment_status_name(enum iamport_payment_status status);

struct iamport_cancel_entry {
    char *pg_tid;
    int64_t amount;
    int64_t cancelled_at;
    char *reason;
    char *cancellation_id;
    char *receipt_url;
};

struct iamport_payment {
    char *imp_uid;
    char *merchant_uid;
    enum iamport_payment_status status;
    char *status_text; /* the raw "status" string */
    int64_t amount;
    int64_t cancel_amount;
    char *currency;
    char *name;
    char *pay_method;
    char *channel;
    char *pg_provider;
    char *emb_pg_provider;
    char *pg_tid;
    char *pg_id;
    bool sandbox;
    bool escrow;
    char *apply_num;
    char *card_code;
    char *card_name;
    char *card_number; /* masked by iamport; still never log it */
    int64_t card_quota;
    int64_t card_type; /* 0 credit, 1 check, -1 when null/absent */
    char *buyer_name;
    char *buyer_email;
    char *buyer_tel;
    char *buyer_addr;
    char *buyer_postcode;
    char *custom_data; /* text; an object/array is kept as its JSON text */
    char *customer_uid;
    char *customer_uid_usage;
    int64_t started_at;
    int64_t paid_at;
    int64_t failed_at;
    int64_t cancelled_at;
    char *fail_reason;
    char *cancel_reason;
    char *receipt_url;
    struct iamport_cancel_entry *cancel_history; /* owned array */
    size_t cancel_history_count;
    /* owned: the Payment object's JSON text as iamport sent it (invalid UTF-8 repaired, not
     * reformatted), for audit storage and merchant answers; NULL if not kept. */
    char *raw_json;
};

/* payment->raw_json as a new cJSON tree (caller deletes), or NULL when none was kept. Printed
 * unformatted it is what cJSON printed of iamport's answer before the scanner read it. */
cJSON *iamport_payment_raw(const struct iamport_payment *payment);

/* Fills *out from a Payment object (e.g. a stored raw copy). Requires imp_uid, merchant_uid,
 * amount and status; other fields may be absent or null; wrong types are IAMPORT_E_PARSE.
 * Does not set out->raw_json. *out is zeroed first; release it in every case. */
enum iamport_status iamport_payment_from_json(const cJSON *json, struct iamport_payment *out,
                                              struct iamport_error *err);
/* Frees what *payment owns and zeroes it. NULL is allowed. */
void iamport_payment_release(struct iamport_payment *payment);

/* GET /payments/{imp_uid}. 404 -> IAMPORT_E_NOT_FOUND. */
enum iamport_status iamport_get_payment(struct iamport_client *client, const char *imp_uid,
                                        struct iamport_payment *out, struct iamport_error *err);
/* GET /payments/find/{merchant_uid}: the payment iamport lists first for that merchant_uid. */
enum iamport_status iamport_find_payment(struct iamport_client *client, const char *merchant_uid,
                                         struct iamport_payment *out, struct iamport_error *err);
/* GET /payments/find/{merchant_uid}/{status}: the newest in that status. `status` must not be
 * IAMPORT_PAYMENT_UNKNOWN. */
enum iamport_status iamport_find_payment_by_status(struct iamport_client *client,
                                                   const char *merchant_uid,
                                                   enum iamport_payment_status status,
                                                   struct iamport_payment *out,
                                                   struct iamport_error *err);

struct iamport_cancel_request {
    const char *imp_uid; /* one of imp_uid / merchant_uid is required; imp_uid wins */
    const char *merchant_uid;
    int64_t amount;     /* 0 = full cancel */
    int64_t tax_free;   /* 0 = not sent */
    const char *reason; /* optional */
    bool has_checksum;  /* send `checksum` (caller's refundable balance) */
    int64_t checksum;
};
/* POST /payments/cancel (money-moving). Returns the updated payment. */
enum iamport_status iamport_cancel(struct iamport_client *client,
                                   const struct iamport_cancel_request *req,
                                   struct iamport_payment *out, struct iamport_error *err);

struct iamport_prepared {
    char *merchant_uid;
    int64_t amount;
    char *currency;
};
void iamport_prepared_release(struct iamport_prepared *prepared);
/* POST /payments/prepare {merchant_uid, amount}. Duplicate -> IAMPORT_E_API (code 1). */
enum iamport_status iamport_prepare(struct iamport_client *client, const char *merchant_uid,
                                    int64_t amount, struct iamport_prepared *out,
                                    struct iamport_error *err);
/* GET /payments/prepare/{merchant_uid}. Missing -> IAMPORT_E_NOT_FOUND. */
enum iamport_status iamport_get_prepared(struct iamport_client *client, const char *merchant_uid,
                                         struct iamport_prepared *out, struct iamport_error *err);

/* ---- billing-key charges and schedules ---- */

struct iamport_again_request {
    const char *customer_uid; /* required */
    const char *merchant_uid; /* required, new for every charge */
    int64_t amount;           /* required, 1..IAMPORT_AMOUNT_MAX */
    const char *name;         /* order name (required by the spec) */
    int64_t tax_free;         /* 0 = not sent */
    const char *currency;     /* NULL = not sent (KRW) */
    const char *buyer_name, *buyer_email, *buyer_tel, *buyer_addr, *buyer_postcode;
    const cJSON *custom_data; /* string sent as is; object/array sent as its JSON text */
    const char *notice_url;
    const cJSON *extra; /* object sent as "extra", e.g. {"naverUseCfm":"20250101"} */
};
/* POST /subscribe/payments/again (money-moving). A decline is IAMPORT_OK with
 * out->status == IAMPORT_PAYMENT_FAILED and out->fail_reason set. */
enum iamport_status iamport_again(struct iamport_client *client,
                                  const struct iamport_again_request *req,
                                  struct iamport_payment *out, struct iamport_error *err);

enum iamport_schedule_status {
    IAMPORT_SCHEDULE_SCHEDULED,
    IAMPORT_SCHEDULE_EXECUTED,
    IAMPORT_SCHEDULE_REVOKED,
    IAMPORT_SCHEDULE_UNKNOWN,
};
enum iamport_schedule_status iamport_schedule_status_parse(const char *text);

struct iamport_schedule {
    char *customer_uid;
    char *merchant_uid;
    char *imp_uid; /* NULL until executed */
    int64_t schedule_at;
    int64_t executed_at;
    int64_t revoked_at;
    int64_t amount;
    char *currency;
    char *name;
    char *buyer_name, *buyer_email, *buyer_tel, *buyer_addr, *buyer_postcode;
    char *custom_data;
    enum iamport_schedule_status schedule_status;
    char *schedule_status_text;
    char *payment_status; /* NULL before execution, then "paid" | "failed" | "cancelled" */
    char *fail_reason;
    char *pg_provider, *pg_id, *customer_id, *promotion_id;
};
void iamport_schedule_release(struct iamport_schedule *schedule);

struct iamport_schedule_list {
    struct iamport_schedule *items; /* owned array */
    size_t count;
    int64_t total;    /* paged answers: total matches; plain arrays: count */
    int64_t previous; /* paged answers: previous page number, 0 when none */
    int64_t next;     /* paged answers: next page number, 0 when none */
};
void iamport_schedule_list_release(struct iamport_schedule_list *list);

struct iamport_schedule_item {
    const char *merchant_uid; /* required */
    int64_t schedule_at;      /* required, unix seconds > 0 */
    int64_t amount;           /* required, 1..IAMPORT_AMOUNT_MAX */
    const char *name;         /* NULL = not sent (iamport names the order itself) */
    const char *currency;     /* NULL = "KRW" */
    int64_t tax_free;         /* 0 = not sent */
    const char *buyer_name, *buyer_email, *buyer_tel, *buyer_addr, *buyer_postcode;
    const char *custom_data;
    const char *notice_url;
    const cJSON *extra; /* object sent as "extra" */
};
/* POST /subscribe/payments/schedule (money-moving): n >= 1 items for customer_uid. */
enum iamport_status iamport_schedule(struct iamport_client *client, const char *customer_uid,
                                     const struct iamport_schedule_item *items, size_t n,
                                     struct iamport_schedule_list *out, struct iamport_error *err);
/* POST /subscribe/payments/unschedule (money-moving). customer_uid alone revokes all of that
 * customer's pending schedules; with merchant_uids (n >= 1) only those (customer_uid may then be
 * NULL: not sent). Nothing to revoke ->
 * IAMPORT_E_API (code 1). */
enum iamport_status iamport_unschedule(struct iamport_client *client, const char *customer_uid,
                                       const char *const *merchant_uids, size_t n,
                                       struct iamport_schedule_list *out,
                                       struct iamport_error *err);
/* GET /subscribe/payments/schedule/{merchant_uid}. Missing -> IAMPORT_E_NOT_FOUND. */
enum iamport_status iamport_get_schedule(struct iamport_client *client, const char *merchant_uid,
                                         struct iamport_schedule *out, struct iamport_error *err);

struct iamport_schedule_query {
    int64_t from;                /* required, unix seconds, from <= schedule_at < to */
    int64_t to;                  /* required, > from */
    int page;                    /* 0 = first page */
    const char *schedule_status; /* NULL = any; "scheduled" | "executed" | "revoked" */
};
/* GET /subscribe/payments/schedule/customers/{customer_uid}?from&to&page&schedule-status.
 * Accepts both the paged object {total, previous, next, list} and a plain array. */
enum iamport_status iamport_list_customer_schedules(struct iamport_client *client,
                                                    const char *customer_uid,
                                                    const struct iamport_schedule_query *query,
                                                    struct iamport_schedule_list *out,
                                                    struct iamport_error *err);

/* ---- billing keys (customers) ---- */

struct iamport_customer {
    char *customer_uid;
    char *customer_id;
    char *pg_provider;
    char *pg_id;
    char *card_name;
    char *card_code;
    char *card_number; /* masked by iamport; still never log it */
    int64_t card_type; /* -1 when null/absent */
    char *card_issuer_code, *card_issuer_name, *card_publisher_code, *card_publisher_name;
    char *customer_name, *customer_tel, *customer_email, *customer_addr, *customer_postcode;
    int64_t inserted;
    int64_t updated;
    bool sandbox;
    char *raw_json; /* owned: the Customer object's JSON text (get/delete); NULL if not kept */
};
void iamport_customer_release(struct iamport_customer *customer);
/* customer->raw_json as a new cJSON tree (caller deletes), or NULL when none was kept. */
cJSON *iamport_customer_raw(const struct iamport_customer *customer);

/* GET /payments/{imp_uid} and GET /subscribe/customers/{customer_uid} sent at the same time, on
 * two connections, for one wait instead of two (iamport_payment_and_customer.c): *payment with
 * payment_err and the returned status as iamport_get_payment gives them, *customer with
 * *customer_status and customer_err as iamport_get_customer gives them. Both structs are zeroed
 * first; release both in every case. payment_err and customer_err may be NULL. */
enum iamport_status iamport_get_payment_and_customer(
    struct iamport_client *client, const char *imp_uid, struct iamport_payment *payment,
    struct iamport_error *payment_err, const char *customer_uid, struct iamport_customer *customer,
    enum iamport_status *customer_status, struct iamport_error *customer_err);

/* GET /subscribe/customers/{customer_uid}. Not found (404, or the older 200/code 1) ->
 * IAMPORT_E_NOT_FOUND with iamport's message. */
enum iamport_status iamport_get_customer(struct iamport_client *client, const char *customer_uid,
                                         struct iamport_customer *out, struct iamport_error *err);
/* DELETE /subscribe/customers/{customer_uid}[?reason=][&extra[requester]=] (reason and requester
 * borrowed, NULL: not sent; requester is NaverPay's `customer` or `admin`, iamport's default).
 * Returns the deleted customer; not found as for get. Not retried; a timeout after sending is
 * IAMPORT_E_TIMEOUT_UNKNOWN. */
enum iamport_status iamport_delete_customer(struct iamport_client *client, const char *customer_uid,
                                            const char *reason, const char *requester,
                                            struct iamport_customer *out,
                                            struct iamport_error *err);

#endif
