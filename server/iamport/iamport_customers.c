/* iamport client: billing keys, /subscribe/customers/{customer_uid} (get, delete). */
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_client.h"
#include "server/iamport/iamport_errors.h"
#include "server/iamport/iamport_json.h"
#include "server/iamport/iamport_readers.h"
#include "server/iamport/iamport_scan.h"
#include "server/core/xalloc.h"

#define CUSTOMER_FIELD(f) IAMPORT_JSON_FIELD(struct iamport_customer, f),
static const struct iamport_json_field customer_strings[] = {CUSTOMER_STRINGS(CUSTOMER_FIELD)};
#undef CUSTOMER_FIELD

void iamport_customer_release(struct iamport_customer *cu)
{
    if (!cu)
        return;
    iamport_json_free_strings(customer_strings, IAMPORT_COUNT(customer_strings), cu);
    free(cu->customer_uid);
    free(cu->raw_json);
    memset(cu, 0, sizeof *cu);
}

static enum iamport_status parse_customer(const cJSON *json, struct iamport_customer *out,
                                          struct iamport_error *err)
{
    if (!cJSON_IsObject(json))
        return iamport_fail(err, IAMPORT_E_PARSE, "customer is not a JSON object");
    if (iamport_json_strings(json, customer_strings, IAMPORT_COUNT(customer_strings), out, err) ||
        iamport_json_string(json, "customer_uid", true, &out->customer_uid, err) ||
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

enum iamport_status iamport_read_customer_text(const char *json, size_t len,
                                               struct iamport_text_read *into,
                                               struct iamport_error *err)
{
    struct iamport_customer *customer = into->out;
    memset(customer, 0, sizeof *customer);
    customer->card_type = -1;
    enum iamport_status st = iamport_scan_customer(json, len, customer, err);
    if (st != IAMPORT_OK) {
        iamport_customer_release(customer);
        return st;
    }
    customer->raw_json = xstrndup(json, len);
    return IAMPORT_OK;
}

cJSON *iamport_customer_raw(const struct iamport_customer *cu)
{
    return cu && cu->raw_json ? cJSON_ParseWithOpts(cu->raw_json, NULL, 1) : NULL;
}

/* "?reason=…&extra%5Brequester%5D=…" with the values given (escaped), "" with none, or NULL when
 * one cannot be escaped (caller frees). */
static char *delete_query(const char *reason, const char *requester)
{
    char *r = reason ? iamport_escape(reason) : NULL;
    char *q = requester ? iamport_escape(requester) : NULL;
    char *suffix = NULL;
    if ((!reason || r) && (!requester || q))
        suffix = xasprintf("%s%s%s%s%s%s", r || q ? "?" : "", r ? "reason=" : "", r ? r : "",
                           r && q ? "&" : "", q ? "extra%5Brequester%5D=" : "", q ? q : "");
    free(r);
    free(q);
    return suffix;
}

/* The GET or DELETE on /subscribe/customers/{customer_uid}[?reason=&extra[requester]=] as *call,
 * its path in *path (caller frees; NULL on failure). */
static enum iamport_status customer_call_build(enum iamport_http_method method,
                                               const char *customer_uid, const char *reason,
                                               const char *requester, char **path,
                                               struct iamport_call *call, struct iamport_error *err)
{
    char *suffix = delete_query(reason, requester);
    enum iamport_status st = iamport_id_path("customer_uid", customer_uid, "/subscribe/customers/",
                                             suffix ? suffix : "", path, err);
    if (st == IAMPORT_OK && !suffix)
        st = iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "reason or requester cannot be escaped");
    free(suffix);
    *call = (struct iamport_call){
        .method = method,
        .path = *path,
        .kind = method == IAMPORT_GET ? IAMPORT_CALL_LOOKUP : IAMPORT_CALL_MUTATION,
        .code1_not_found = true,
    };
    return st;
}

enum iamport_status iamport_customer_lookup(const char *customer_uid, char **path,
                                            struct iamport_call *call, struct iamport_error *err)
{
    return customer_call_build(IAMPORT_GET, customer_uid, NULL, NULL, path, call, err);
}

/* GET or DELETE on /subscribe/customers/{customer_uid}, read into *out. */
static enum iamport_status customer_call(struct iamport_client *c, enum iamport_http_method method,
                                         const char *customer_uid, const char *reason,
                                         const char *requester, struct iamport_customer *out,
                                         struct iamport_error *err)
{
    char *path = NULL;
    struct iamport_call call;
    enum iamport_status st =
        customer_call_build(method, customer_uid, reason, requester, &path, &call, err);
    if (st == IAMPORT_OK)
        st = iamport_call_read_text(c, &call, iamport_read_customer_text, out, err);
    free(path);
    return st;
}

enum iamport_status iamport_get_customer(struct iamport_client *c, const char *customer_uid,
                                         struct iamport_customer *out, struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    return customer_call(c, IAMPORT_GET, customer_uid, NULL, NULL, out, err);
}

enum iamport_status iamport_delete_customer(struct iamport_client *c, const char *customer_uid,
                                            const char *reason, const char *requester,
                                            struct iamport_customer *out, struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    return customer_call(c, IAMPORT_DELETE, customer_uid, reason, requester, out, err);
}
