/* Issuance test fixture: fresh database + iamport-sandbox + billkeyd, the checkout window, SQL probes. */
#ifndef BILLKEY_TESTS_ISSUANCE_FIXTURE_H
#define BILLKEY_TESTS_ISSUANCE_FIXTURE_H

#include <cjson/cJSON.h>

#include "tests/lib/billkeyd_proc.h"
#include "tests/lib/http_client.h"
#include "tests/lib/sandbox_proc.h"

/* The merchant API key every fixture billkeyd accepts (BILLKEY_API_KEYS=shop:<this>). */
#define FX_API_KEY "shop_test_key_0123456789abcdef"
#define FX_API_KEY_NAME "shop"

/* One test's world. Everything is owned by the struct; fx_stop() frees it. */
struct fx {
    char *db_url;
    struct sandbox_proc sandbox;
    struct billkeyd_proc billkeyd;
    char public_base_url[64]; /* billkeyd's PUBLIC_BASE_URL (its own address) */
};

/* Creates a fresh database, starts the sandbox and billkeyd (a known free port so that
 * PUBLIC_BASE_URL is its own address, SANDBOX_MODE=1, BILLKEY_API_KEYS with FX_API_KEY, iamport
 * at the sandbox) with extra_env ("NAME=value", NULL-terminated, may be NULL) on top, and waits
 * for /readyz. Aborts the test on failure. */
void fx_start(struct fx *fx, const char *const *extra_env);
/* Starts one more billkeyd on the same database and sandbox (for multi-instance tests); the
 * caller stops it with fx_stop_billkeyd(). */
void fx_start_billkeyd(struct fx *fx, struct billkeyd_proc *p, const char *const *extra_env);
/* Stops billkeyd and asserts it exited cleanly (0: no leaks under ASan). */
void fx_stop_billkeyd(struct billkeyd_proc *p);
/* Stops everything (asserting clean exits) and frees what fx owns. */
void fx_stop(struct fx *fx);

/* billkeyd URL for path (base_url of p, or of fx->billkeyd when p is NULL). Caller frees. */
char *fx_url(const struct fx *fx, const struct billkeyd_proc *p, const char *path);

/* POST /api/checkouts with FX_API_KEY and this JSON body. Returns the HTTP status; *out filled
 * (caller releases). */
long fx_create_checkout(const struct fx *fx, const char *json_body,
                        struct http_client_response *out);
/* Same, asserting 201; returns the response JSON (caller deletes). */
cJSON *fx_checkout_ok(const struct fx *fx, const char *json_body);
/* fx_checkout_ok() for customer "cust-1", this pg and amount, the name "월 구독", buyer_tel
 * 010-1234-5678 and charge_now as given. Returns the 201 body (caller deletes). */
cJSON *fx_checkout_plan(const struct fx *fx, const char *pg, long long amount, int charge_now);
/* The checkout's request_pay object (borrowed from co). */
const cJSON *fx_request_pay(const cJSON *co);

/* What the sandbox's checkout window did. Owned strings; fx_window_release() frees them. */
struct fx_window {
    int redirected; /* 1: a 302 to m_redirect_url (location set), 0: the callback page */
    char *location; /* the redirect target with imp_uid, merchant_uid, imp_success, ... */
    cJSON *rsp;     /* the callback's rsp object (callback mode), else NULL */
    char *imp_uid;  /* from rsp or the redirect query; NULL when none was created */
    int success;    /* rsp.success, or imp_success=true in the redirect */
};
/* Posts the window's Approve (or Decline) button for this request_pay object, as a PC (mobile 0)
 * or mobile (1) browser would. Aborts the test unless the sandbox answers 200 or 302. */
void fx_window_submit(const struct fx *fx, const cJSON *request_pay, int mobile, int decline,
                      struct fx_window *out);
void fx_window_release(struct fx_window *w);

/* POST /payments/complete {imp_uid, merchant_uid} as JSON to billkeyd p (NULL = fx's). */
long fx_complete(const struct fx *fx, const struct billkeyd_proc *p, const char *imp_uid,
                 const char *merchant_uid, struct http_client_response *out);
/* GET /payments/complete/mobile?imp_uid=..&merchant_uid=..&imp_success=true (NULL args left
 * out) on fx's billkeyd. */
long fx_landing(const struct fx *fx, const char *imp_uid, const char *merchant_uid,
                struct http_client_response *out);

/* A billing key issued by the checkout with json_body through the window (PC, Approve) and
 * POST /payments/complete; asserts the window succeeded and complete answered 200 with status
 * "active". Leaves the sandbox's request log as it is. Owned strings; fx_key_release() frees. */
struct fx_key {
    char *customer_uid;
    char *merchant_uid; /* the checkout's: its registration (and first payment when charged) */
    char *imp_uid;      /* the window's */
};
void fx_issue_key(const struct fx *fx, const char *checkout_json, struct fx_key *out);
void fx_key_release(struct fx_key *k);
/* fx_issue_key() of the fx_checkout_plan() checkout (pg, 9900, charge_now). Returns the
 * customer_uid (caller frees) and, when registration_merchant_uid is not NULL, the
 * registration's merchant_uid there (caller frees). The sandbox's request log keeps the
 * issuance's requests: a test that counts from zero calls fx_clear_requests() itself. */
char *fx_active_key(const struct fx *fx, const char *pg, int charge_now,
                    char **registration_merchant_uid);
/* DELETE /__sandbox/requests: empties the sandbox's request log. */
void fx_clear_requests(const struct fx *fx);
/* POST /__sandbox/faults with this JSON (aborts the test unless the sandbox answers 200). */
void fx_fault(const struct fx *fx, const char *json);
/* GET /__sandbox/faults: how many faults are still waiting for a request to take them. A
 * request takes its fault when it arrives (the sandbox logs it only once answered), so 0 after
 * one fault means that request is inside the sandbox now. */
int fx_faults_pending(const struct fx *fx);

/* Runs one SQL query with up to 3 text parameters (NULL-terminated list) on fx's database and
 * returns row 0 column 0 (caller frees), or NULL when there is no row or it is NULL. Aborts the
 * test on SQL errors. */
char *fx_sql(const struct fx *fx, const char *sql, const char *const *params);
/* Same, for a count(*) or other integer. */
long long fx_sql_int(const struct fx *fx, const char *sql, const char *const *params);
/* fx_sql_int() of a query without parameters. */
long long fx_count(const struct fx *fx, const char *sql);
/* registrations.<column> (a trusted column name) of merchant_uid mu, or NULL (caller frees). */
char *fx_registration_column(const struct fx *fx, const char *column, const char *mu);

/* Asserts that r answered `status` with the error shape whose code is `code`. */
void fx_expect_error(const struct http_client_response *r, long status, const char *code);

/* GET /__sandbox/ledger's "charges" object member for merchant_uid: count (0 when absent) and
 * the last amount / status (status NULL when absent; caller frees). total_paid too. */
struct fx_ledger {
    long long count;
    long long amount;
    char *status;
    long long total_paid;
    int merchant_uids;   /* number of merchant_uids in the ledger */
    long long cancels;   /* successful cancels of merchant_uid (API or console) */
    long long cancelled; /* won they gave back */
};
void fx_ledger(const struct fx *fx, const char *merchant_uid, struct fx_ledger *out);
void fx_ledger_release(struct fx_ledger *l);

/* fx_ledger()'s count for merchant_uid: the sandbox's real charge attempts of it. */
long long fx_ledger_count(const struct fx *fx, const char *merchant_uid);
/* How many audit_events rows actor wrote with action on subject. */
long long fx_audit_count(const struct fx *fx, const char *actor, const char *action,
                         const char *subject);
/* String member of obj, or NULL (borrowed). */
const char *fx_str(const cJSON *obj, const char *key);

#endif
