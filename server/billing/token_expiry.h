/* The expiry of the merchant token POST /users/getToken answers, one row per API key name: the same token until its last minute. */
#ifndef BILLKEY_TOKEN_EXPIRY_H
#define BILLKEY_TOKEN_EXPIRY_H

#include <stdint.h>

#include "db/pool.h"

/* The expiry (UNIX s) of key_name's current token: the stored one while more than renew_before_s
 * of it is left at `now`, else now + lifetime_s, stored for the next caller on any instance
 * (merchant_token_expiry, one statement on a pooled connection). DB_OK with *expires_at set, or
 * the failure (*expires_at untouched). key_name is borrowed. */
enum db_status token_expiry_current(struct db_pool *pool, const char *key_name, int64_t now,
                                    int64_t lifetime_s, int64_t renew_before_s,
                                    int64_t *expires_at);

#endif
