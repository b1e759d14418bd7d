/* One short transaction on a pooled connection: acquire, begin, the caller's statements, commit, release. */
#include "server/billing/short_tx.h"

#include <stddef.h>

enum db_status short_tx_run(struct db_pool *pool, short_tx_body body, void *arg)
{
    struct db_conn *conn = NULL;
    enum db_status st = db_acquire(pool, &conn);
    if (st != DB_OK)
        return st;
    st = db_begin(conn);
    if (st == DB_OK) {
        st = body(conn, arg);
        if (st == DB_OK)
            st = db_commit(conn);
        else
            db_rollback(conn);
    }
    db_release(pool, conn);
    return st;
}
