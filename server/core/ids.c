/* Identifiers billkey generates for iamport: registration and charge merchant_uids, customer_uids. */
#include "server/core/ids.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

/* Writes prefix + 24 random hex digits into out. */
static int random_id(const char *prefix, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char bytes[IDS_RANDOM_HEX_LEN / 2];
    size_t plen = strlen(prefix);

    if (cap > 0)
        out[0] = '\0';
    if (cap < plen + IDS_RANDOM_HEX_LEN + 1)
        return -1;
    if (RAND_bytes(bytes, (int)sizeof bytes) != 1)
        return -1;
    memcpy(out, prefix, plen);
    for (size_t i = 0; i < sizeof bytes; i++) {
        out[plen + 2 * i] = hex[bytes[i] >> 4];
        out[plen + 2 * i + 1] = hex[bytes[i] & 0x0f];
    }
    out[plen + IDS_RANDOM_HEX_LEN] = '\0';
    return 0;
}

int ids_registration_merchant_uid(char *out, size_t cap)
{
    return random_id("bk_", out, cap);
}

int ids_charge_merchant_uid(char *out, size_t cap)
{
    return random_id("bkp_", out, cap);
}

int ids_customer_uid(const char *provider, char *out, size_t cap)
{
    char prefix[3 + IDS_PROVIDER_MAX + 2];
    size_t n = provider ? strlen(provider) : 0;

    if (cap > 0)
        out[0] = '\0';
    if (n == 0 || n > IDS_PROVIDER_MAX ||
        strspn(provider, "abcdefghijklmnopqrstuvwxyz0123456789") != n)
        return -1;
    snprintf(prefix, sizeof prefix, "cu_%s_", provider);
    return random_id(prefix, out, cap);
}
