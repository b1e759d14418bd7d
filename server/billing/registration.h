/* The registrations table as a struct: load one (with its billing key's card), insert, change status. */
#ifndef BILLKEY_REGISTRATION_H
#define BILLKEY_REGISTRATION_H

#include <stdint.h>

#include "db/pool.h"

struct db_batcher;

/* One registration row. Every string is owned by the struct (NULL = SQL NULL) and freed by
 * registration_release(). */
struct registration {
    char *merchant_uid;
    char *customer_uid;
    char *customer_id;
    char *pg_provider; /* "payco", "kakaopay", "kicc", "chai", "naverpay" */
    char *pg;          /* the exact pg string request_pay got */
    char *pay_method;
    int64_t amount;        /* the price */
    int64_t window_amount; /* what request_pay's amount was */
    char *name;
    int charge_now;
    char *buyer_name;
    char *buyer_email;
    char *buyer_tel;
    char *status; /* "pending", "active", "failed", "tampered" */
    char *imp_uid;
    char *fail_reason;
    char *card_name;   /* from billing_keys; NULL when there is no key (or no card name) */
    char *card_number; /* masked as iamport returns it */
};

/* Frees what r owns and zeroes it. Safe on a zeroed struct. */
void registration_release(struct registration *r);

/* Loads the registration with this merchant_uid into *out (zeroed first; release it in every
 * case). DB_OK, DB_NOT_FOUND when there is none, or the db_exec failure. */
enum db_status registration_load(struct db_conn *conn, const char *merchant_uid,
                                 struct registration *out);

/* registration_load() on a connection of pool taken for this read alone, run together with
 * concurrent loads as one statement when batch (borrowed, may be NULL) is not NULL. */
enum db_status registration_load_pooled(struct db_pool *pool, struct db_batcher *batch,
                                        const char *merchant_uid, struct registration *out);

/* Inserts r as a pending registration (status, imp_uid, fail_reason and the card are not
 * used) created by `created_by`. Returns db_exec's status. */
enum db_status registration_insert(struct db_conn *conn, const struct registration *r,
                                   const char *created_by);

/* Moves a pending (or failed: a window may be retried after a decline) registration to `status`
 * with imp_uid and fail_reason (both may be NULL). DB_OK, DB_NOT_FOUND when it is active or
 * tampered (nothing changed), or the failure. */
enum db_status registration_set_status(struct db_conn *conn, const char *merchant_uid,
                                       const char *status, const char *imp_uid,
                                       const char *fail_reason);

/* Replaces *field (owned) with a copy of value (NULL allowed). */
void registration_set_field(char **field, const char *value);

#endif
