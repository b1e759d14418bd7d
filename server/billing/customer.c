/* A customer's billing keys with their registrations and first payments, as GET /api/customers shows them. */
#include "server/billing/customer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pool.h"
#include "server/billing/billing_env.h"
#include "server/billing/checkout.h"
#include "server/core/json_util.h"
#include "server/core/utf8.h"
#include "server/core/xalloc.h"

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

static void key_release(struct customer_key *k)
{
    char *owned[] = {k->customer_uid,     k->pg,           k->pg_provider,     k->card_name,
                     k->card_number,      k->status,       k->created_at,      k->reg_merchant_uid,
                     k->reg_status,       k->reg_fail_reason, k->pay_merchant_uid, k->pay_status,
                     k->pay_imp_uid,      k->pay_fail_reason};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(owned[i]);
    memset(k, 0, sizeof *k);
}

void customer_view_release(struct customer_view *v)
{
    for (size_t i = 0; i < v->key_count; i++)
        key_release(&v->keys[i]);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

int customer_id_valid(const char *customer_id)
{
    if (!customer_id || !customer_id[0] || !utf8_valid(customer_id) ||
        utf8_char_count(customer_id) > CHECKOUT_CUSTOMER_ID_MAX)
        return 0;
    for (const char *p = customer_id; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static char *column(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

static void key_from_row(const PGresult *res, int row, struct customer_key *k)
{
    k->customer_uid = column(res, row, COL_CUSTOMER_UID);
    k->pg = column(res, row, COL_PG);
    k->pg_provider = column(res, row, COL_PG_PROVIDER);
    k->card_name = column(res, row, COL_CARD_NAME);
    k->card_number = column(res, row, COL_CARD_NUMBER);
    k->status = column(res, row, COL_STATUS);
    k->created_at = column(res, row, COL_CREATED_AT);
    k->reg_merchant_uid = column(res, row, COL_REG_MERCHANT_UID);
    k->reg_status = column(res, row, COL_REG_STATUS);
    k->reg_fail_reason = column(res, row, COL_REG_FAIL_REASON);
    k->has_first_payment = !PQgetisnull(res, row, COL_PAY_MERCHANT_UID);
    if (!k->has_first_payment)
        return;
    k->pay_merchant_uid = column(res, row, COL_PAY_MERCHANT_UID);
    k->pay_amount = strtoll(PQgetvalue(res, row, COL_PAY_AMOUNT), NULL, 10);
    k->pay_status = column(res, row, COL_PAY_STATUS);
    k->pay_imp_uid = column(res, row, COL_PAY_IMP_UID);
    k->pay_fail_reason = column(res, row, COL_PAY_FAIL_REASON);
}

enum customer_status customer_show(const struct billing_env *env, const char *customer_id,
                                   struct customer_view *out)
{
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    enum customer_status cs = CUSTOMER_OK;
    const char *params[] = {customer_id};

    memset(out, 0, sizeof *out);
    if (!customer_id_valid(customer_id)) {
        cs = CUSTOMER_INVALID_ID;
        goto out;
    }
    enum db_status st = db_acquire(env->db, &conn);
    if (st == DB_OK)
        st = db_exec(conn, STMT_CUSTOMER_BILLING_KEYS, params, &res);
    if (st == DB_OK && PQnfields(res) != COL_COUNT)
        st = DB_ERROR;
    if (st != DB_OK) {
        cs = st == DB_UNAVAILABLE ? CUSTOMER_DB_UNAVAILABLE : CUSTOMER_INTERNAL;
        snprintf(out->db_status, sizeof out->db_status, "%s", db_status_name(st));
        goto out;
    }
    out->key_count = (size_t)PQntuples(res);
    out->keys = out->key_count ? xcalloc(out->key_count, sizeof *out->keys) : NULL;
    for (size_t i = 0; i < out->key_count; i++)
        key_from_row(res, (int)i, &out->keys[i]);
out:
    if (res)
        PQclear(res);
    if (conn)
        db_release(env->db, conn);
    return cs;
}

static cJSON *key_json(const struct customer_key *k)
{
    cJSON *o = cJSON_CreateObject();
    json_add_str_or_null(o, "customer_uid", k->customer_uid);
    json_add_str_or_null(o, "pg", k->pg);
    json_add_str_or_null(o, "pg_provider", k->pg_provider);
    json_add_str_or_null(o, "card_name", k->card_name);
    json_add_str_or_null(o, "card_number", k->card_number);
    json_add_str_or_null(o, "status", k->status);
    json_add_str_or_null(o, "created_at", k->created_at);
    cJSON *reg = cJSON_AddObjectToObject(o, "registration");
    json_add_str_or_null(reg, "merchant_uid", k->reg_merchant_uid);
    json_add_str_or_null(reg, "status", k->reg_status);
    json_add_str_or_null(reg, "fail_reason", k->reg_fail_reason);
    if (!k->has_first_payment) {
        cJSON_AddNullToObject(o, "first_payment");
        return o;
    }
    cJSON *pay = cJSON_AddObjectToObject(o, "first_payment");
    json_add_str_or_null(pay, "merchant_uid", k->pay_merchant_uid);
    cJSON_AddNumberToObject(pay, "amount", (double)k->pay_amount);
    json_add_str_or_null(pay, "status", k->pay_status);
    json_add_str_or_null(pay, "imp_uid", k->pay_imp_uid);
    json_add_str_or_null(pay, "fail_reason", k->pay_fail_reason);
    return o;
}

cJSON *customer_view_json(const char *customer_id, const struct customer_view *v)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "customer_id", customer_id);
    cJSON *keys = cJSON_AddArrayToObject(body, "billing_keys");
    for (size_t i = 0; i < v->key_count; i++)
        cJSON_AddItemToArray(keys, key_json(&v->keys[i]));
    return body;
}
