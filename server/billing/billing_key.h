/* The billing_keys table as a struct: look a customer_uid up, mark it deleted. */
#ifndef BILLKEY_BILLING_KEY_H
#define BILLKEY_BILLING_KEY_H

#include "db/pool.h"

/* One billing_keys row with its registration's buyer fields (iamport's customer_* fall back to
 * them). Every string is owned (NULL = SQL NULL); billing_key_release() frees them. */
struct billing_key {
    char *customer_uid;
    char *customer_id;
    char *pg_provider; /* "payco", "kakaopay", "kicc", "chai", "naverpay" */
    char *pg;          /* the exact pg string the window got */
    char *card_name;
    char *card_number; /* masked as iamport returns it */
    char *status;      /* "active" or "deleted" */
    char *buyer_name;
    char *buyer_email;
    char *buyer_tel;
};

/* Frees what k owns and zeroes it. Safe on a zeroed struct. */
void billing_key_release(struct billing_key *k);

/* 1 when k is a key billkey may charge or book (status "active"). */
int billing_key_is_active(const struct billing_key *k);

/* Loads the key of customer_uid into *out (zeroed first; release it in every case). DB_OK,
 * DB_NOT_FOUND when billkey never issued it, or the db_exec failure. */
enum db_status billing_key_load(struct db_conn *conn, const char *customer_uid,
                                struct billing_key *out);

/* Marks the key deleted (after iamport deleted it). DB_OK, DB_NOT_FOUND when there is no active
 * key of that customer_uid, or the failure. */
enum db_status billing_key_mark_deleted(struct db_conn *conn, const char *customer_uid);

#endif
