/* The registrations table as a struct: load one (with its billing key's card), insert, change status. */
#include "server/billing/registration.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/batch.h"
#include "server/core/xalloc.h"

/* Column order of STMT_REGISTRATION_GET. */
enum {
    COL_MERCHANT_UID,
    COL_CUSTOMER_UID,
    COL_CUSTOMER_ID,
    COL_PG_PROVIDER,
    COL_PG,
    COL_PAY_METHOD,
    COL_AMOUNT,
    COL_WINDOW_AMOUNT,
    COL_NAME,
    COL_CHARGE_NOW,
    COL_BUYER_NAME,
    COL_BUYER_EMAIL,
    COL_BUYER_TEL,
    COL_STATUS,
    COL_IMP_UID,
    COL_FAIL_REASON,
    COL_CARD_NAME,
    COL_CARD_NUMBER,
    COL_COUNT
};

void registration_release(struct registration *r)
{
    char **strings[] = {&r->merchant_uid, &r->customer_uid, &r->customer_id, &r->pg_provider,
                        &r->pg,           &r->pay_method,   &r->name,        &r->buyer_name,
                        &r->buyer_email,  &r->buyer_tel,    &r->status,      &r->imp_uid,
                        &r->fail_reason,  &r->card_name,    &r->card_number};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(*strings[i]);
    memset(r, 0, sizeof *r);
}

void registration_set_field(char **field, const char *value)
{
    free(*field);
    *field = value ? xstrdup(value) : NULL;
}

static char *column(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : xstrdup(PQgetvalue(res, 0, col));
}

/* Fills *out (zeroed first) from row 0 of a STMT_REGISTRATION_GET result, which it frees. */
static enum db_status from_result(PGresult *res, struct registration *out)
{
    memset(out, 0, sizeof *out);
    if (PQntuples(res) != 1 || PQnfields(res) != COL_COUNT) {
        PQclear(res);
        return DB_NOT_FOUND;
    }
    out->merchant_uid = column(res, COL_MERCHANT_UID);
    out->customer_uid = column(res, COL_CUSTOMER_UID);
    out->customer_id = column(res, COL_CUSTOMER_ID);
    out->pg_provider = column(res, COL_PG_PROVIDER);
    out->pg = column(res, COL_PG);
    out->pay_method = column(res, COL_PAY_METHOD);
    out->amount = strtoll(PQgetvalue(res, 0, COL_AMOUNT), NULL, 10);
    out->window_amount = strtoll(PQgetvalue(res, 0, COL_WINDOW_AMOUNT), NULL, 10);
    out->name = column(res, COL_NAME);
    out->charge_now = strcmp(PQgetvalue(res, 0, COL_CHARGE_NOW), "t") == 0;
    out->buyer_name = column(res, COL_BUYER_NAME);
    out->buyer_email = column(res, COL_BUYER_EMAIL);
    out->buyer_tel = column(res, COL_BUYER_TEL);
    out->status = column(res, COL_STATUS);
    out->imp_uid = column(res, COL_IMP_UID);
    out->fail_reason = column(res, COL_FAIL_REASON);
    out->card_name = column(res, COL_CARD_NAME);
    out->card_number = column(res, COL_CARD_NUMBER);
    PQclear(res);
    return DB_OK;
}

enum db_status registration_load(struct db_conn *conn, const char *merchant_uid,
                                 struct registration *out)
{
    PGresult *res = NULL;
    const char *params[] = {merchant_uid};

    memset(out, 0, sizeof *out);
    enum db_status st = db_exec(conn, STMT_REGISTRATION_GET, params, &res);
    return st == DB_OK ? from_result(res, out) : st;
}

enum db_status registration_load_pooled(struct db_pool *pool, struct db_batcher *batch,
                                        const char *merchant_uid, struct registration *out)
{
    PGresult *res = NULL;
    const char *params[] = {merchant_uid};

    memset(out, 0, sizeof *out);
    enum db_status st = db_batch_exec(pool, batch, STMT_REGISTRATION_GET, params, &res);
    return st == DB_OK ? from_result(res, out) : st;
}

enum db_status registration_insert(struct db_conn *conn, const struct registration *r,
                                   const char *created_by)
{
    char amount[24], window_amount[24];
    snprintf(amount, sizeof amount, "%" PRId64, r->amount);
    snprintf(window_amount, sizeof window_amount, "%" PRId64, r->window_amount);
    const char *params[] = {r->merchant_uid, r->customer_uid,
                            r->customer_id,  r->pg_provider,
                            r->pg,           r->pay_method,
                            amount,          window_amount,
                            r->name,         r->charge_now ? "true" : "false",
                            r->buyer_name,   r->buyer_email,
                            r->buyer_tel,    created_by};
    return db_exec(conn, STMT_REGISTRATION_INSERT, params, NULL);
}

enum db_status registration_set_status(struct db_conn *conn, const char *merchant_uid,
                                       const char *status, const char *imp_uid,
                                       const char *fail_reason)
{
    PGresult *res = NULL;
    const char *params[] = {merchant_uid, status, imp_uid, fail_reason};
    enum db_status st = db_exec(conn, STMT_REGISTRATION_SET_STATUS, params, &res);
    if (st != DB_OK)
        return st;
    st = PQntuples(res) == 1 ? DB_OK : DB_NOT_FOUND;
    PQclear(res);
    return st;
}
