/* iamport client: billing keys, /subscribe/customers/{customer_uid} (get, delete). */
#include <stdlib.h>
#include <string.h>

#include "server/iamport_internal.h"
#include "server/xalloc.h"

#define CUSTOMER_STRINGS(X)                                                                        \
    X(customer_id) X(pg_provider) X(pg_id) X(card_name) X(card_code) X(card_number)                \
    X(card_issuer_code) X(card_issuer_name) X(card_publisher_code) X(card_publisher_name)          \
    X(customer_name) X(customer_tel) X(customer_email) X(customer_addr) X(customer_postcode)

void iamport_customer_release(struct iamport_customer *cu)
{
    if (!cu)
        return;
#define FREE_STRING(f) free(cu->f);
    CUSTOMER_STRINGS(FREE_STRING)
#undef FREE_STRING
    free(cu->customer_uid);
    memset(cu, 0, sizeof *cu);
}

static enum iamport_status parse_customer(const cJSON *json, struct iamport_customer *out,
                                          struct iamport_error *err)
{
    if (!cJSON_IsObject(json))
        return iamport_fail(err, IAMPORT_E_PARSE, "customer is not a JSON object");
#define READ_STRING(f)                                                                             \
    if (iamport_json_string(json, #f, false, &out->f, err) != 0)                                   \
        return IAMPORT_E_PARSE;
    CUSTOMER_STRINGS(READ_STRING)
#undef READ_STRING
    if (iamport_json_string(json, "customer_uid", true, &out->customer_uid, err) ||
        iamport_json_int64(json, "card_type", false, -1, &out->card_type, err) ||
        iamport_json_int64(json, "inserted", false, 0, &out->inserted, err) ||
        iamport_json_int64(json, "updated", false, 0, &out->updated, err) ||
        iamport_json_bool(json, "sandbox", &out->sandbox, err))
        return IAMPORT_E_PARSE;
    return IAMPORT_OK;
}

enum iamport_status iamport_customer_from_json(const cJSON *json, struct iamport_customer *out,
                                               struct iamport_error *err)
{
    memset(out, 0, sizeof *out);
    out->card_type = -1;
    enum iamport_status st = parse_customer(json, out, err);
    if (st != IAMPORT_OK)
        iamport_customer_release(out);
    return st;
}

/* GET or DELETE on /subscribe/customers/{customer_uid}[?reason=]. */
static enum iamport_status customer_call(struct iamport_client *c, enum iamport_http_method method,
                                         const char *customer_uid, const char *reason,
                                         struct iamport_customer *out, struct iamport_error *err)
{
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    enum iamport_status st = iamport_check_id("customer_uid", customer_uid, err);
    if (st != IAMPORT_OK)
        return st;
    char *id = iamport_escape(customer_uid);
    char *escaped_reason = reason ? iamport_escape(reason) : NULL;
    char *path = NULL;
    cJSON *response = NULL;
    if (!id || (reason && !escaped_reason)) {
        st = iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "%s cannot be escaped",
                          id ? "reason" : "customer_uid");
        goto out;
    }
    path = escaped_reason ? xasprintf("/subscribe/customers/%s?reason=%s", id, escaped_reason)
                          : xasprintf("/subscribe/customers/%s", id);
    struct iamport_call call = {
        .method = method,
        .path = path,
        .kind = method == IAMPORT_GET ? IAMPORT_CALL_LOOKUP : IAMPORT_CALL_MUTATION,
        .code1_not_found = true,
    };
    st = iamport_call(c, &call, &response, err);
    if (st == IAMPORT_OK)
        st = iamport_customer_from_json(response, out, err);
out:
    cJSON_Delete(response);
    free(path);
    free(escaped_reason);
    free(id);
    return iamport_done(st, err);
}

enum iamport_status iamport_get_customer(struct iamport_client *c, const char *customer_uid,
                                         struct iamport_customer *out, struct iamport_error *err)
{
    struct iamport_error local;
    return customer_call(c, IAMPORT_GET, customer_uid, NULL, out, err ? err : &local);
}

enum iamport_status iamport_delete_customer(struct iamport_client *c, const char *customer_uid,
                                            const char *reason, struct iamport_customer *out,
                                            struct iamport_error *err)
{
    struct iamport_error local;
    return customer_call(c, IAMPORT_DELETE, customer_uid, reason, out, err ? err : &local);
}
