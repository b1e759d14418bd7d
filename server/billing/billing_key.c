/* The billing_keys table as a struct: look a customer_uid up, mark it deleted. */
#include "server/billing/billing_key.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"

/* Column order of STMT_BILLING_KEY_GET. */
enum {
    COL_CUSTOMER_UID,
    COL_CUSTOMER_ID,
    COL_PG_PROVIDER,
    COL_PG,
    COL_CARD_NAME,
    COL_CARD_NUMBER,
    COL_STATUS,
    COL_BUYER_NAME,
    COL_BUYER_EMAIL,
    COL_BUYER_TEL,
    COL_COUNT
};

/* The struct's strings in column order. */
static void fields(struct billing_key *k, char **out[COL_COUNT])
{
    char **all[COL_COUNT] = {&k->customer_uid, &k->customer_id, &k->pg_provider, &k->pg,
                             &k->card_name,    &k->card_number, &k->status,      &k->buyer_name,
                             &k->buyer_email,  &k->buyer_tel};
    memcpy(out, all, sizeof all);
}

void billing_key_release(struct billing_key *k)
{
    char **f[COL_COUNT];
    fields(k, f);
    for (size_t i = 0; i < COL_COUNT; i++)
        free(*f[i]);
    memset(k, 0, sizeof *k);
}

int billing_key_is_active(const struct billing_key *k)
{
    return k->status && strcmp(k->status, "active") == 0;
}

enum db_status billing_key_load(struct db_conn *conn, const char *customer_uid,
                                struct billing_key *out)
{
    PGresult *res = NULL;
    const char *params[] = {customer_uid};
    char **f[COL_COUNT];

    memset(out, 0, sizeof *out);
    enum db_status st = db_exec(conn, STMT_BILLING_KEY_GET, params, &res);
    if (st != DB_OK)
        goto out;
    if (PQntuples(res) != 1 || PQnfields(res) != COL_COUNT) {
        st = DB_NOT_FOUND;
        goto out;
    }
    fields(out, f);
    for (int i = 0; i < COL_COUNT; i++)
        *f[i] = PQgetisnull(res, 0, i) ? NULL : xstrdup(PQgetvalue(res, 0, i));
out:
    if (res)
        PQclear(res);
    return st;
}

enum db_status billing_key_mark_deleted(struct db_conn *conn, const char *customer_uid)
{
    PGresult *res = NULL;
    const char *params[] = {customer_uid};
    enum db_status st = db_exec(conn, STMT_BILLING_KEY_MARK_DELETED, params, &res);
    if (st == DB_OK && PQntuples(res) != 1)
        st = DB_NOT_FOUND;
    if (res)
        PQclear(res);
    return st;
}
