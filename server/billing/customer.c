/* A customer's billing keys with their registrations and first payments, as GET /api/customers shows them. */
#include "server/billing/customer.h"

#include <stddef.h>
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

/* Every column: where it goes in struct customer_key and in the JSON body (object NULL: the key
 * itself, else the nested object, created on its first column). Text columns are owned strings;
 * the one amount column is pay_amount. */
static const struct {
    int col;
    size_t offset; /* of the char * field; unused for the amount */
    const char *object;
    const char *name;
} columns[] = {
    {COL_CUSTOMER_UID, offsetof(struct customer_key, customer_uid), NULL, "customer_uid"},
    {COL_PG, offsetof(struct customer_key, pg), NULL, "pg"},
    {COL_PG_PROVIDER, offsetof(struct customer_key, pg_provider), NULL, "pg_provider"},
    {COL_CARD_NAME, offsetof(struct customer_key, card_name), NULL, "card_name"},
    {COL_CARD_NUMBER, offsetof(struct customer_key, card_number), NULL, "card_number"},
    {COL_STATUS, offsetof(struct customer_key, status), NULL, "status"},
    {COL_CREATED_AT, offsetof(struct customer_key, created_at), NULL, "created_at"},
    {COL_REG_MERCHANT_UID, offsetof(struct customer_key, reg_merchant_uid), "registration",
     "merchant_uid"},
    {COL_REG_STATUS, offsetof(struct customer_key, reg_status), "registration", "status"},
    {COL_REG_FAIL_REASON, offsetof(struct customer_key, reg_fail_reason), "registration",
     "fail_reason"},
    {COL_PAY_MERCHANT_UID, offsetof(struct customer_key, pay_merchant_uid), "first_payment",
     "merchant_uid"},
    {COL_PAY_AMOUNT, 0, "first_payment", "amount"},
    {COL_PAY_STATUS, offsetof(struct customer_key, pay_status), "first_payment", "status"},
    {COL_PAY_IMP_UID, offsetof(struct customer_key, pay_imp_uid), "first_payment", "imp_uid"},
    {COL_PAY_FAIL_REASON, offsetof(struct customer_key, pay_fail_reason), "first_payment",
     "fail_reason"},
};
#define COLUMN_COUNT (sizeof columns / sizeof columns[0])

static char **text_field(struct customer_key *k, size_t i)
{
    return (char **)((char *)k + columns[i].offset);
}

static const char *text_value(const struct customer_key *k, size_t i)
{
    return *(char *const *)((const char *)k + columns[i].offset);
}

static void key_release(struct customer_key *k)
{
    for (size_t i = 0; i < COLUMN_COUNT; i++)
        if (columns[i].col != COL_PAY_AMOUNT)
            free(*text_field(k, i));
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

static void key_from_row(const PGresult *res, int row, struct customer_key *k)
{
    k->has_first_payment = !PQgetisnull(res, row, COL_PAY_MERCHANT_UID);
    for (size_t i = 0; i < COLUMN_COUNT; i++) {
        int col = columns[i].col;
        if (PQgetisnull(res, row, col))
            continue;
        if (col == COL_PAY_AMOUNT)
            k->pay_amount = strtoll(PQgetvalue(res, row, col), NULL, 10);
        else
            *text_field(k, i) = xstrdup(PQgetvalue(res, row, col));
    }
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

/* The object column i goes into: the key, or its nested object (added on first use); NULL for
 * first_payment columns of a key without a first payment. */
static cJSON *object_for(cJSON *key, cJSON **nested, const struct customer_key *k, size_t i)
{
    const char *name = columns[i].object;
    int slot = name && strcmp(name, "first_payment") == 0;
    if (!name)
        return key;
    if (slot && !k->has_first_payment)
        return NULL;
    if (!nested[slot])
        nested[slot] = cJSON_AddObjectToObject(key, name);
    return nested[slot];
}

static cJSON *key_json(const struct customer_key *k)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *nested[2] = {NULL, NULL}; /* registration, first_payment */
    for (size_t i = 0; i < COLUMN_COUNT; i++) {
        cJSON *into = object_for(o, nested, k, i);
        if (!into)
            continue;
        if (columns[i].col == COL_PAY_AMOUNT)
            cJSON_AddNumberToObject(into, columns[i].name, (double)k->pay_amount);
        else
            json_add_str_or_null(into, columns[i].name, text_value(k, i));
    }
    if (!k->has_first_payment)
        cJSON_AddNullToObject(o, "first_payment");
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
