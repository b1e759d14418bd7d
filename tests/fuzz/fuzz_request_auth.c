/* libFuzzer harness: X-Request-Id, Authorization and X-ImpTokenHeader parsing (merchant_auth, merchant_token). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/clock.h"
#include "server/http/http.h"
#include "server/http/merchant_auth.h"
#include "server/http/merchant_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct merchant_key keys[] = {{(char *)"shop", (char *)"shop_key_0123456789abcdef"},
                                     {(char *)"shop.v2", (char *)"office_key_abcdefghijkl"}};

/* The next '\n'-separated piece of the input as a new string, or NULL past the end. */
static char *piece(const uint8_t **p, const uint8_t *end)
{
    if (*p > end)
        return NULL;
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl ? nl : end;
    size_t n = (size_t)(stop - *p);
    char *s = malloc(n + 1);
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = stop + 1;
    return s;
}

static int request_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > HTTP_REQUEST_ID_MAX)
        return 0;
    return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Input: "<X-Request-Id>\n<Authorization>\n<X-ImpTokenHeader>"; an empty piece is no header.
 * The request id is always safe to echo; a name comes only from the configured keys; a
 * forged token is never accepted (there is no MAC to guess in a fuzzer's lifetime). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *rid = piece(&p, end), *auth = piece(&p, end), *imp = piece(&p, end);
    struct request req;
    memset(&req, 0, sizeof req);
    if (rid && rid[0])
        request_add_header(&req, "X-Request-Id", rid);
    if (auth && auth[0])
        request_add_header(&req, "Authorization", auth);
    if (imp && imp[0])
        request_add_header(&req, "X-ImpTokenHeader", imp);
    request_assign_id(&req);
    if (!request_id_ok(req.request_id))
        abort();

    const char *name = NULL;
    enum merchant_auth_result r = merchant_auth_identify(keys, 2, NULL, &req, &name);
    if ((r == MERCHANT_AUTH_OK) != (name != NULL))
        abort();
    if (name && name != keys[0].name && name != keys[1].name)
        abort();

    const char *tname = NULL;
    int64_t expiry = 0;
    enum merchant_token_status ts =
        merchant_token_verify(keys, 2, auth ? auth : "", NULL, &tname, &expiry);
    if (ts == MERCHANT_TOKEN_OK || !merchant_token_status_name(ts))
        abort();

    request_release(&req);
    free(rid);
    free(auth);
    free(imp);
    return 0;
}
