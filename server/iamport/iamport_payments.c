/* iamport client: /payments calls (lookup, find, cancel, prepare). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_client.h"
#include "server/iamport/iamport_errors.h"
#include "server/iamport/iamport_json.h"
#include "server/iamport/iamport_readers.h"

#define PREPARE_PATH "/payments/prepare"

static const char *sandbox_query(const struct iamport_client *c)
{
    return c->include_sandbox ? "?include_sandbox=true" : "";
}

enum iamport_status iamport_payment_lookup(struct iamport_client *c, const char *imp_uid,
                                           char **path, struct iamport_call *call,
                                           struct iamport_error *err)
{
    enum iamport_status st =
        iamport_id_path("imp_uid", imp_uid, "/payments/", sandbox_query(c), path, err);
    *call =
        (struct iamport_call){.method = IAMPORT_GET, .path = *path, .kind = IAMPORT_CALL_LOOKUP};
    return st;
}

enum iamport_status iamport_get_payment(struct iamport_client *c, const char *imp_uid,
                                        struct iamport_payment *out, struct iamport_error *err)
{
    struct iamport_error local;
    char *path = NULL;
    struct iamport_call call;
    err = iamport_begin(err, &local, out, sizeof *out);
    enum iamport_status st = iamport_payment_lookup(c, imp_uid, &path, &call, err);
    if (st == IAMPORT_OK)
        st = iamport_call_read_text(c, &call, iamport_read_payment_text, out, err);
    free(path);
    return st;
}

/* GET /payments/find/{merchant_uid}[/{status}]; err and *out are already zeroed. */
static enum iamport_status find_payment(struct iamport_client *c, const char *merchant_uid,
                                        const char *status, struct iamport_payment *out,
                                        struct iamport_error *err)
{
    char suffix[64];
    snprintf(suffix, sizeof suffix, "%s%s%s", status ? "/" : "", status ? status : "",
             sandbox_query(c));
    return iamport_get_by_id_text(c, "merchant_uid", merchant_uid, "/payments/find/", suffix,
                                  iamport_read_payment_text, out, err);
}

enum iamport_status iamport_find_payment(struct iamport_client *c, const char *merchant_uid,
                                         struct iamport_payment *out, struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    return find_payment(c, merchant_uid, NULL, out, err);
}

enum iamport_status iamport_find_payment_by_status(struct iamport_client *c,
                                                   const char *merchant_uid,
                                                   enum iamport_payment_status status,
                                                   struct iamport_payment *out,
                                                   struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    if ((unsigned)status >= IAMPORT_PAYMENT_UNKNOWN)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT,
                            "payment status filter must be ready, paid, failed or cancelled");
    return find_payment(c, merchant_uid, iamport_payment_status_name(status), out, err);
}

static enum iamport_status check_cancel(const struct iamport_cancel_request *req,
                                        struct iamport_error *err)
{
    if (!req)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "cancel request is missing");
    if (!req->imp_uid && !req->merchant_uid)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT,
                            "cancel needs an imp_uid or a merchant_uid");
    if (req->imp_uid && iamport_check_id("imp_uid", req->imp_uid, err) != IAMPORT_OK)
        return IAMPORT_E_INVALID_ARGUMENT;
    if (req->merchant_uid && iamport_check_id("merchant_uid", req->merchant_uid, err) != IAMPORT_OK)
        return IAMPORT_E_INVALID_ARGUMENT;
    if (req->amount < 0 || req->amount > IAMPORT_AMOUNT_MAX)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "cancel amount %lld is out of range",
                            (long long)req->amount);
    if (req->tax_free < 0 || req->tax_free > IAMPORT_AMOUNT_MAX)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "tax_free %lld is out of range",
                            (long long)req->tax_free);
    if (req->has_checksum && (req->checksum < 0 || req->checksum > IAMPORT_AMOUNT_MAX))
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "checksum %lld is out of range",
                            (long long)req->checksum);
    return IAMPORT_OK;
}

enum iamport_status iamport_cancel(struct iamport_client *c,
                                   const struct iamport_cancel_request *req,
                                   struct iamport_payment *out, struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    enum iamport_status st = check_cancel(req, err);
    if (st != IAMPORT_OK)
        return st;

    cJSON *body = iamport_body_new();
    iamport_body_add_string(body, "imp_uid", req->imp_uid);
    iamport_body_add_string(body, "merchant_uid", req->merchant_uid);
    if (req->amount > 0)
        iamport_body_add_int64(body, "amount", req->amount);
    if (req->tax_free > 0)
        iamport_body_add_int64(body, "tax_free", req->tax_free);
    if (req->has_checksum)
        iamport_body_add_int64(body, "checksum", req->checksum);
    iamport_body_add_string(body, "reason", req->reason);
    return iamport_post_read_text(c, "/payments/cancel", body, iamport_read_payment_text, out, err);
}

void iamport_prepared_release(struct iamport_prepared *p)
{
    if (!p)
        return;
    free(p->merchant_uid);
    free(p->currency);
    memset(p, 0, sizeof *p);
}

/* iamport_reader for struct iamport_prepared. */
static enum iamport_status read_prepared(cJSON *response, void *prepared, struct iamport_error *err)
{
    struct iamport_prepared *out = prepared;
    enum iamport_status st = IAMPORT_OK;
    if (!cJSON_IsObject(response))
        st = iamport_fail(err, IAMPORT_E_PARSE, "prepared payment is not a JSON object");
    else if (iamport_json_string(response, "merchant_uid", true, &out->merchant_uid, err) ||
             iamport_json_int64(response, "amount", true, 0, &out->amount, err) ||
             iamport_json_string(response, "currency", false, &out->currency, err))
        st = IAMPORT_E_PARSE;
    if (st != IAMPORT_OK)
        iamport_prepared_release(out);
    cJSON_Delete(response);
    return st;
}

enum iamport_status iamport_prepare(struct iamport_client *c, const char *merchant_uid,
                                    int64_t amount, struct iamport_prepared *out,
                                    struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    enum iamport_status st = iamport_check_id("merchant_uid", merchant_uid, err);
    if (st != IAMPORT_OK)
        return st;
    if (amount < 0 || amount > IAMPORT_AMOUNT_MAX)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "prepare amount %lld is out of range",
                            (long long)amount);

    cJSON *body = iamport_body_new();
    iamport_body_add_string(body, "merchant_uid", merchant_uid);
    iamport_body_add_int64(body, "amount", amount);
    return iamport_post_read(c, PREPARE_PATH, body, read_prepared, out, err);
}

enum iamport_status iamport_get_prepared(struct iamport_client *c, const char *merchant_uid,
                                         struct iamport_prepared *out, struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    return iamport_get_by_id(c, "merchant_uid", merchant_uid, PREPARE_PATH "/", "", read_prepared,
                             out, err);
}
