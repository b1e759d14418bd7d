/* The expiry of the merchant token POST /users/getToken answers, one row per API key name: the same token until its last minute. */
#include "server/billing/token_expiry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum db_status token_expiry_current(struct db_pool *pool, const char *key_name, int64_t now,
                                    int64_t lifetime_s, int64_t renew_before_s, int64_t *expires_at)
{
    char now_s[24], lifetime[24], renew[24];
    snprintf(now_s, sizeof now_s, "%" PRId64, now);
    snprintf(lifetime, sizeof lifetime, "%" PRId64, lifetime_s);
    snprintf(renew, sizeof renew, "%" PRId64, renew_before_s);
    const char *params[] = {key_name, now_s, lifetime, renew};
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    enum db_status st = db_acquire(pool, &conn);
    if (st != DB_OK)
        return st;
    st = db_exec(conn, STMT_MERCHANT_TOKEN_EXPIRY, params, &res);
    if (st == DB_OK && PQntuples(res) == 1)
        *expires_at = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else if (st == DB_OK)
        st = DB_ERROR;
    if (res)
        PQclear(res);
    db_release(pool, conn);
    return st;
}
