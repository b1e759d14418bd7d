/* GET /api/customers/{customer_id} (merchant key): the customer's billing keys, cards and first payments. */
#include "routes/routes.h"

#include <stdlib.h>

#include "db/pool.h"
#include "routes/route_env.h"
#include "server/billing/checkout.h"
#include "server/core/json_util.h"
#include "server/core/utf8.h"

/* Column order of STMT_CUSTOMER_BILLING_KEYS. */
enum {
    COL_CUSTOMER_UID,
    COL_PG,
    COL_PG_PROVIDER,
    COL_CARD_NAME,
    COL_CARD_NUMBER,
    COL_STATUS,
    COL_CREATED_AT,
    COL_REG_MERCHANT_UID,
    COL_REG_STATUS,
    COL_REG_FAIL_REASON,
    COL_PAY_MERCHANT_UID,
    COL_PAY_AMOUNT,
    COL_PAY_STATUS,
    COL_PAY_IMP_UID,
    COL_PAY_FAIL_REASON,
    COL_COUNT
};

static const char *value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void add(cJSON *obj, const char *key, const PGresult *res, int row, int col)
{
    json_add_str_or_null(obj, key, value(res, row, col));
}

static cJSON *key_json(const PGresult *res, int row)
{
    cJSON *k = cJSON_CreateObject();
    add(k, "customer_uid", res, row, COL_CUSTOMER_UID);
    add(k, "pg", res, row, COL_PG);
    add(k, "pg_provider", res, row, COL_PG_PROVIDER);
    add(k, "card_name", res, row, COL_CARD_NAME);
    add(k, "card_number", res, row, COL_CARD_NUMBER);
    add(k, "status", res, row, COL_STATUS);
    add(k, "created_at", res, row, COL_CREATED_AT);
    cJSON *reg = cJSON_AddObjectToObject(k, "registration");
    add(reg, "merchant_uid", res, row, COL_REG_MERCHANT_UID);
    add(reg, "status", res, row, COL_REG_STATUS);
    add(reg, "fail_reason", res, row, COL_REG_FAIL_REASON);
    if (PQgetisnull(res, row, COL_PAY_MERCHANT_UID)) {
        cJSON_AddNullToObject(k, "first_payment");
        return k;
    }
    cJSON *pay = cJSON_AddObjectToObject(k, "first_payment");
    add(pay, "merchant_uid", res, row, COL_PAY_MERCHANT_UID);
    cJSON_AddNumberToObject(pay, "amount",
                            (double)strtoll(PQgetvalue(res, row, COL_PAY_AMOUNT), NULL, 10));
    add(pay, "status", res, row, COL_PAY_STATUS);
    add(pay, "imp_uid", res, row, COL_PAY_IMP_UID);
    add(pay, "fail_reason", res, row, COL_PAY_FAIL_REASON);
    return k;
}

void route_customers_show(struct request *req, struct reply *rep)
{
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    const char *customer_id = request_param(req, "customer_id");

    int bad = !customer_id || !customer_id[0] || !utf8_valid(customer_id) ||
              utf8_char_count(customer_id) > CHECKOUT_CUSTOMER_ID_MAX;
    for (const char *p = customer_id; !bad && *p; p++)
        bad = (unsigned char)*p < 0x20 || *p == 0x7f;
    if (bad) {
        reply_error(rep, req, 400, "invalid_field", "customer_id",
                    "customer_id: must be 1..%d UTF-8 characters without control characters",
                    CHECKOUT_CUSTOMER_ID_MAX);
        goto out;
    }
    const char *params[] = {customer_id};
    enum db_status st = db_acquire(route_env(req)->billing.db, &conn);
    if (st == DB_OK)
        st = db_exec(conn, STMT_CUSTOMER_BILLING_KEYS, params, &res);
    if (st != DB_OK || PQnfields(res) != COL_COUNT) {
        reply_error(rep, req, st == DB_UNAVAILABLE ? 503 : 500,
                    st == DB_UNAVAILABLE ? "database_unavailable" : "internal", NULL,
                    "reading the billing keys failed (%s)", db_status_name(st));
        goto out;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "customer_id", customer_id);
    cJSON *keys = cJSON_AddArrayToObject(body, "billing_keys");
    for (int row = 0; row < PQntuples(res); row++)
        cJSON_AddItemToArray(keys, key_json(res, row));
    reply_json(rep, 200, body);
out:
    if (res)
        PQclear(res);
    if (conn)
        db_release(route_env(req)->billing.db, conn);
}
