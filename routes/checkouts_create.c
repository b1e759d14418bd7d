/* POST /api/checkouts (merchant key) and POST /demo/checkouts (sandbox mode): create a pending registration. */
#include "routes/routes.h"

#include <stdio.h>
#include <string.h>

#include "routes/route_env.h"
#include "server/billing/checkout.h"
#include "server/core/json_util.h"
#include "server/billing/pg_profile.h"
#include "server/core/utf8.h"

/* Longest piece of a bad value quoted back in an error message. */
#define QUOTE_MAX 40

static int bad_field(struct request *req, struct reply *rep, const char *field, const char *msg)
{
    reply_error(rep, req, 400, "invalid_field", field, "%s", msg);
    return -1;
}

/* A text field: a JSON string without control characters of at most max_chars characters.
 * "" counts as absent for optional fields and is refused for required ones. */
static int read_text(struct request *req, struct reply *rep, const char *key, int required,
                     size_t max_chars, const char **out)
{
    char msg[160];
    struct json_error jerr;
    if (json_get_str(req->body, key, required, 0, out, &jerr) != JSON_OK)
        return bad_field(req, rep, key, json_error_message(&jerr, msg, sizeof msg));
    if (*out && !**out) {
        *out = NULL;
        if (required) {
            snprintf(msg, sizeof msg, "%s: must not be empty", key);
            return bad_field(req, rep, key, msg);
        }
    }
    if (*out && utf8_char_count(*out) > max_chars) {
        snprintf(msg, sizeof msg, "%s: longer than %zu characters", key, max_chars);
        return bad_field(req, rep, key, msg);
    }
    return 0;
}

static int read_bool(struct request *req, struct reply *rep, const char *key, int fallback,
                     int *out)
{
    char msg[160];
    struct json_error jerr;
    *out = fallback;
    if (json_get_bool(req->body, key, JSON_OPTIONAL, out, NULL, &jerr) != JSON_OK)
        return bad_field(req, rep, key, json_error_message(&jerr, msg, sizeof msg));
    return 0;
}

static int read_pg(struct request *req, struct reply *rep, const struct pg_profile **out)
{
    char msg[200];
    const char *pg = NULL;
    if (read_text(req, rep, "pg", JSON_REQUIRED, 80, &pg) != 0)
        return -1;
    *out = pg_profile_find(pg);
    if (*out)
        return 0;
    snprintf(msg, sizeof msg, "pg: '%.*s' is not one of payco, kakaopay, kicc, chai, naverpay",
             utf8_prefix_len(pg, QUOTE_MAX), pg);
    return bad_field(req, rep, "pg", msg);
}

/* buyer_tel: digits with optional '+', '-', spaces and parentheses. */
static int valid_tel(const char *tel)
{
    size_t digits = 0;
    for (const char *p = tel; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr("+- ()", *p))
            return 0;
    }
    return digits >= 2;
}

/* Fills *rq from the body; replies 400 `invalid_field` naming the field and returns -1 when a
 * field is bad. */
static int read_request(struct request *req, struct reply *rep, struct checkout_request *rq)
{
    char msg[200];
    int mobile = 0;

    memset(rq, 0, sizeof *rq);
    if (read_text(req, rep, "customer_id", JSON_REQUIRED, CHECKOUT_CUSTOMER_ID_MAX,
                  &rq->customer_id) != 0)
        return -1;
    if (strchr(rq->customer_id, '/'))
        return bad_field(req, rep, "customer_id",
                         "customer_id: must not contain '/' (it is a path segment of "
                         "/api/customers/{customer_id})");
    if (read_pg(req, rep, &rq->profile) != 0)
        return -1;
    struct json_error jerr;
    if (json_get_int64(req->body, "amount", JSON_REQUIRED, 0, CHECKOUT_AMOUNT_MAX, &rq->amount,
                       NULL, &jerr) != JSON_OK)
        return bad_field(req, rep, "amount", json_error_message(&jerr, msg, sizeof msg));
    if (read_text(req, rep, "name", JSON_REQUIRED, CHECKOUT_NAME_MAX, &rq->name) != 0 ||
        read_bool(req, rep, "charge_now", 0, &rq->charge_now) != 0 ||
        read_text(req, rep, "buyer_name", JSON_OPTIONAL, CHECKOUT_BUYER_NAME_MAX,
                  &rq->buyer_name) != 0 ||
        read_text(req, rep, "buyer_email", JSON_OPTIONAL, CHECKOUT_BUYER_EMAIL_MAX,
                  &rq->buyer_email) != 0 ||
        read_text(req, rep, "buyer_tel", JSON_OPTIONAL, CHECKOUT_BUYER_TEL_MAX, &rq->buyer_tel) !=
            0 ||
        read_bool(req, rep, "mobile", 0, &mobile) != 0 ||
        /* NaverPay's guide: on mobile the page redirect is the usual way and what NaverPay's
         * reviewers recommend (pop-ups are blocked or need native work in WebViews) */
        read_bool(req, rep, "naver_popup", !mobile, &rq->naver_popup) != 0 ||
        read_text(req, rep, "naver_product_code", JSON_OPTIONAL, CHECKOUT_NAVER_PRODUCT_CODE_MAX,
                  &rq->naver_product_code) != 0)
        return -1;
    if (rq->naver_product_code && rq->profile->provider != PG_NAVERPAY)
        return bad_field(req, rep, "naver_product_code",
                         "naver_product_code: only for pg naverpay");
    if (rq->charge_now && rq->amount < CHECKOUT_CHARGE_NOW_AMOUNT_MIN) {
        snprintf(msg, sizeof msg, "amount: must be at least %d when charge_now is true",
                 CHECKOUT_CHARGE_NOW_AMOUNT_MIN);
        return bad_field(req, rep, "amount", msg);
    }
    if (rq->buyer_tel && !valid_tel(rq->buyer_tel))
        return bad_field(req, rep, "buyer_tel",
                         "buyer_tel: must be a phone number (digits, '+', '-', spaces)");
    if (rq->profile->needs_buyer_tel && !rq->buyer_tel) {
        snprintf(msg, sizeof msg, "buyer_tel: required for %s", rq->profile->name);
        return bad_field(req, rep, "buyer_tel", msg);
    }
    return 0;
}

static void create(struct request *req, struct reply *rep, const char *created_by,
                   const char *actor)
{
    struct checkout_request rq;
    struct checkout_result res;

    if (read_request(req, rep, &rq) != 0)
        return;
    switch (
        checkout_create(&route_env(req)->billing, &rq, created_by, actor, req->request_id, &res)) {
    case CHECKOUT_OK: {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "merchant_uid", res.merchant_uid);
        cJSON_AddStringToObject(body, "customer_uid", res.customer_uid);
        cJSON_AddStringToObject(body, "status", "pending");
        cJSON_AddItemToObject(body, "request_pay", res.request_pay);
        res.request_pay = NULL;
        reply_json(rep, 201, body);
        break;
    }
    case CHECKOUT_IAMPORT_UNAVAILABLE:
        reply_error(rep, req, 502, "iamport_unavailable", NULL, "%s", res.message);
        break;
    case CHECKOUT_IAMPORT_TIMEOUT:
        reply_error(rep, req, 504, "iamport_timeout", NULL, "%s", res.message);
        break;
    case CHECKOUT_DB_UNAVAILABLE:
        reply_error(rep, req, 503, "database_unavailable", NULL, "%s", res.message);
        break;
    case CHECKOUT_INTERNAL:
        reply_error(rep, req, 500, "internal", NULL, "%s", res.message);
        break;
    case CHECKOUT_IAMPORT_BUSY:
        reply_error(rep, req, 503, "iamport_busy", NULL, "%s", res.message);
        reply_mark_retry_after(rep);
        break;
    }
    checkout_result_release(&res);
}

void route_checkouts_create(struct request *req, struct reply *rep)
{
    char actor[64];
    snprintf(actor, sizeof actor, "api:%s", req->merchant);
    create(req, rep, req->merchant, actor);
}

void route_demo_checkouts_create(struct request *req, struct reply *rep)
{
    if (!route_env(req)->sandbox_mode) {
        reply_error(rep, req, 404, "not_found", NULL,
                    "no route for '%s' (the demo checkout exists only with SANDBOX_MODE=1)",
                    req->path);
        return;
    }
    create(req, rep, "demo", "demo");
}
