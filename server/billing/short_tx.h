/* One short transaction on a pooled connection: acquire, begin, the caller's statements, commit, release. */
#ifndef BILLKEY_SHORT_TX_H
#define BILLKEY_SHORT_TX_H

#include "db/pool.h"

/* The statements of one transaction, run on conn with the caller's arg. DB_OK commits; any other
 * status rolls back and is returned. */
typedef enum db_status (*short_tx_body)(struct db_conn *conn, void *arg);

/* Acquires a connection from pool, runs body inside BEGIN/COMMIT and releases the connection
 * before returning, so that no connection is held across anything else (iamport calls). Returns
 * DB_OK, or the first failure (acquire, begin, body, commit). */
enum db_status short_tx_run(struct db_pool *pool, short_tx_body body, void *arg);

#endif
