/* All sandbox state in memory (payments, keys, schedules, tokens, faults, logs), one lock. */
#ifndef BILLKEY_SB_STATE_H
#define BILLKEY_SB_STATE_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "sandbox/sb_util.h"

#define SB_TOKEN_LEN 40          /* hex characters in an access token */
#define SB_REQUEST_LOG_MAX 10000 /* oldest request-log entries are dropped beyond this */

enum sb_webhook_format { SB_WEBHOOK_JSON = 0, SB_WEBHOOK_FORM };

/* Settings changeable through POST /__sandbox/config; reset restores the start-up values. */
struct sb_settings {
    char *imp_key;              /* owned */
    char *imp_secret;           /* owned */
    int customer_not_found_200; /* 1: GET/DELETE unknown customer is 200 code 1, else 404 code -1 */
    char *webhook_url;          /* owned; NULL = none */
    enum sb_webhook_format webhook_format;
    cJSON *issue_status; /* owned object: pg_provider -> "paid"|"ready"|"failed" */
    int64_t token_ttl_seconds;
    int64_t issue_webhook_delay_ms;  /* the issuance webhook goes out this much later ("late") */
    int issue_ready_without_key;     /* 1: a window that ends "ready" stores no Customer (the buyer
                                    left before authorising) */
    int issue_webhook_before_result; /* 1: the window answers only after that webhook was
                                        delivered ("before the redirect / callback") */
};

struct sb_token {
    char value[SB_TOKEN_LEN + 1];
    int64_t expires_at; /* expired when now >= expires_at */
};

/* Every stored object keeps its served JSON in `json` (owned) so the output shape is the state. */
struct sb_payment {
    cJSON *json;      /* the Payment object as GET /payments/{imp_uid} serves it */
    char *notice_url; /* owned; webhook URL override, or NULL */
};

struct sb_schedule {
    cJSON *json;      /* the Schedule object */
    char *notice_url; /* owned or NULL */
};

struct sb_customer {
    cJSON *json; /* the Customer object */
};

struct sb_prepare {
    char *merchant_uid; /* owned */
    int64_t amount;
    char *currency; /* owned or NULL */
};

struct sb_decline {
    char *customer_uid; /* owned */
    int64_t remaining;
    char *reason; /* owned */
};

enum sb_fault_kind {
    SB_FAULT_LATENCY,
    SB_FAULT_HTTP500,
    SB_FAULT_DROP,
    SB_FAULT_HANG,
    SB_FAULT_BAD_JSON
};

struct sb_fault {
    char *method; /* owned; NULL = any method */
    char *path;   /* owned; exact, or a prefix when it ends in '*' */
    enum sb_fault_kind kind;
    int64_t delay_ms;
    int64_t remaining;
    int after_processing;
};

/* What a consumed fault tells the HTTP layer to do (a copy, so no lock is needed to use it). */
struct sb_fault_action {
    int active;
    enum sb_fault_kind kind;
    int64_t delay_ms;
    int after_processing;
};

struct sb_state {
    struct sb_settings startup; /* from the command line; never changed after start */
    struct sb_settings cfg;     /* current settings */
    int64_t clock_offset;       /* seconds added to the real time */
    struct sb_vec tokens;       /* struct sb_token * */
    int64_t token_calls;        /* successful getToken calls */
    struct sb_vec payments;     /* struct sb_payment *, creation order */
    struct sb_vec schedules;    /* struct sb_schedule *, creation order */
    struct sb_vec customers;    /* struct sb_customer * */
    struct sb_vec prepares;     /* struct sb_prepare * */
    struct sb_vec declines;     /* struct sb_decline * */
    struct sb_vec faults;       /* struct sb_fault * */
    cJSON *requests;            /* array of {method,path,query,auth,status,body} */
    cJSON *ledger;              /* object merchant_uid -> {count, amount, status[, cancels,
                                   cancelled]} */
    int64_t total_paid;
};

/* Initialises the global state from the start-up settings (copied). Call once before serving. */
void sb_state_init(const struct sb_settings *startup);
/* Frees everything (at exit). */
void sb_state_shutdown(void);

/* Locks the global state and returns it; every access happens between lock and unlock. */
struct sb_state *sb_state_lock(void);
void sb_state_unlock(void);

/* Forgets all state, faults, logs, the clock offset, and restores the start-up settings.
 * Caller holds the lock. */
void sb_state_reset(struct sb_state *st);

/* Sandbox time: real time + clock_offset (unix seconds). Caller holds the lock. */
int64_t sb_now(const struct sb_state *st);

/* Copies src into dst (dst must be released or zeroed first). */
void sb_settings_copy(struct sb_settings *dst, const struct sb_settings *src);
void sb_settings_release(struct sb_settings *s);

/* Lookups; all return borrowed pointers or NULL. Caller holds the lock. */
struct sb_payment *sb_find_payment(struct sb_state *st, const char *imp_uid);
/* Newest payment with merchant_uid; when status is not NULL, the newest in that status. */
struct sb_payment *sb_find_payment_by_merchant(struct sb_state *st, const char *merchant_uid,
                                               const char *status);
struct sb_schedule *sb_find_schedule(struct sb_state *st, const char *merchant_uid);
struct sb_customer *sb_find_customer(struct sb_state *st, const char *customer_uid);
struct sb_prepare *sb_find_prepare(struct sb_state *st, const char *merchant_uid);
/* 1 when merchant_uid is taken by any payment or schedule. */
int sb_merchant_uid_used(struct sb_state *st, const char *merchant_uid);

/* Adds a new payment (takes ownership of json and notice_url) and returns it. */
struct sb_payment *sb_add_payment(struct sb_state *st, cJSON *json, char *notice_url);
/* A fresh, unused "imp_" + 12 digits id. */
void sb_new_imp_uid(struct sb_state *st, char out[17]);

/* Removes customer_uid's key; returns the removed customer (caller frees with sb_customer_free)
 * or NULL. */
struct sb_customer *sb_remove_customer(struct sb_state *st, const char *customer_uid);
void sb_customer_free(struct sb_customer *c);

/* Consumes one pending decline for customer_uid. Returns 1 and copies the reason into
 * reason (size reason_len) when the charge must be declined, else 0. */
int sb_take_decline(struct sb_state *st, const char *customer_uid, char *reason, size_t reason_len);

/* Records one real charge attempt of merchant_uid in the ledger. */
void sb_ledger_record(struct sb_state *st, const char *merchant_uid, int64_t amount, int paid);
/* Records one successful cancel (API or console) of amount won on merchant_uid's ledger entry
 * ("cancels" + 1, "cancelled" + amount); nothing when the ledger has no charge of it. */
void sb_ledger_cancel(struct sb_state *st, const char *merchant_uid, int64_t amount);

/* Consumes one matching fault (method + path) and describes it in *action (active = 0 when none).
 */
void sb_take_fault(struct sb_state *st, const char *method, const char *path,
                   struct sb_fault_action *action);
void sb_faults_clear(struct sb_state *st);

/* Appends a request-log entry; takes ownership of query and body (either may be NULL). */
void sb_log_request(struct sb_state *st, const char *method, const char *path, cJSON *query,
                    const char *auth, int status, cJSON *body);

#endif
