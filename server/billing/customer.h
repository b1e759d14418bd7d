/* A customer's billing keys with their registrations and first payments, as GET /api/customers shows them. */
#ifndef BILLKEY_CUSTOMER_H
#define BILLKEY_CUSTOMER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct billing_env;

enum customer_status {
    CUSTOMER_OK = 0,
    CUSTOMER_INVALID_ID,     /* 400 invalid_field: customer_id is not 1..64 characters */
    CUSTOMER_DB_UNAVAILABLE, /* 503 database_unavailable */
    CUSTOMER_INTERNAL,       /* 500 internal: any other database failure */
};

/* One billing key. Every string is owned (NULL = SQL NULL); customer_view_release() frees them. */
struct customer_key {
    char *customer_uid;
    char *pg;
    char *pg_provider;
    char *card_name;
    char *card_number;
    char *status;
    char *created_at;       /* "YYYY-MM-DDTHH:MM:SSZ" (UTC) */
    char *reg_merchant_uid; /* the registration that issued it */
    char *reg_status;
    char *reg_fail_reason;
    int has_first_payment; /* 0: the pay_* fields below are NULL / 0 */
    char *pay_merchant_uid;
    int64_t pay_amount;
    char *pay_status;
    char *pay_imp_uid;
    char *pay_fail_reason;
};

/* A customer's billing keys, oldest first. Owned by the caller: customer_show() fills it,
 * customer_view_release() frees what it holds. A customer with no key has key_count 0 (not an
 * error: customer ids are the merchant's, billkey keeps no customer table). */
struct customer_view {
    struct customer_key *keys;
    size_t key_count;
    char db_status[16]; /* db_status_name() of the failure, "" on CUSTOMER_OK */
};

void customer_view_release(struct customer_view *v);

/* 1 when customer_id is 1..CHECKOUT_CUSTOMER_ID_MAX UTF-8 characters without control
 * characters, else 0 (NULL gives 0). */
int customer_id_valid(const char *customer_id);

/* Reads the billing keys of customer_id into *out (zeroed first). Returns CUSTOMER_OK, or the
 * failure with *out empty (out->db_status names a database failure). */
enum customer_status customer_show(const struct billing_env *env, const char *customer_id,
                                   struct customer_view *out);

/* The 200 body: {customer_id, billing_keys: [{customer_uid, pg, pg_provider, card_name,
 * card_number, status, created_at, registration: {merchant_uid, status, fail_reason},
 * first_payment: {merchant_uid, amount, status, imp_uid, fail_reason} | null}]}. Returns a new
 * object (caller deletes). */
cJSON *customer_view_json(const char *customer_id, const struct customer_view *v);

#endif
