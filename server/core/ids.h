/* Identifiers billkey generates for iamport: registration and charge merchant_uids, customer_uids. */
#ifndef BILLKEY_IDS_H
#define BILLKEY_IDS_H

#include <stddef.h>

/* Random part: 12 bytes from OpenSSL's RAND_bytes as 24 lower-case hex digits. */
#define IDS_RANDOM_HEX_LEN 24

/* "bk_" + 24 hex: 27 characters (iamport allows 40). */
#define IDS_MERCHANT_UID_LEN 27
/* "bkp_" + 24 hex: 28 characters. */
#define IDS_CHARGE_MERCHANT_UID_LEN 28
/* "cu_<provider>_" + 24 hex: at most 3 + IDS_PROVIDER_MAX + 1 + 24 characters (iamport: 80). */
#define IDS_PROVIDER_MAX 16
#define IDS_CUSTOMER_UID_MAX (3 + IDS_PROVIDER_MAX + 1 + IDS_RANDOM_HEX_LEN)

/* Each writes a NUL-terminated id into out (cap bytes, caller's buffer) and returns 0, or -1
 * (out set to "") when cap is too small, the provider is not 1..IDS_PROVIDER_MAX of [a-z0-9],
 * or the random generator failed. Ids are never reused: 96 random bits each. */
int ids_registration_merchant_uid(char *out, size_t cap); /* "bk_…" */
int ids_charge_merchant_uid(char *out, size_t cap);       /* "bkp_…": first and later charges */
int ids_customer_uid(const char *provider, char *out, size_t cap); /* "cu_<provider>_…" */

#endif
