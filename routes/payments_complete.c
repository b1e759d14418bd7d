/* POST /payments/complete: the checkout page's callback {imp_uid, merchant_uid} → verify with iamport. */
#include "routes/routes.h"

#include "routes/verify_gate.h"
#include "server/billing/issuance_verify.h"
#include "server/core/json_util.h"

void route_payments_complete(struct request *req, struct reply *rep)
{
    static const char *const fields[] = {"imp_uid", "merchant_uid"};
    const char *values[2] = {NULL, NULL};
    const size_t max_len[2] = {VERIFY_IMP_UID_MAX, VERIFY_MERCHANT_UID_MAX};
    struct verify_result res;
    struct json_error jerr;
    char msg[160];

    for (size_t i = 0; i < 2; i++) {
        if (json_get_str(req->body, fields[i], JSON_REQUIRED, max_len[i], &values[i], &jerr) !=
            JSON_OK) {
            reply_error(rep, req, 400, "invalid_field", fields[i], "%s",
                        json_error_message(&jerr, msg, sizeof msg));
            return;
        }
    }
    int retry_after = 0;
    if (!route_verify_gated(req, values[0], values[1], "callback", &res, &retry_after)) {
        route_set_retry_after(rep, retry_after);
        reply_error(rep, req, 429, "too_many_verifications", NULL,
                    "too many verifications from this address; try again in %d s", retry_after);
        return;
    }
    if (res.outcome == VERIFY_ACTIVE)
        reply_json(rep, 200, verify_result_json(&res));
    else
        reply_error(rep, req, res.http_status, res.code, res.field, "%s", res.message);
    if (res.retry_after)
        reply_mark_retry_after(rep);
    verify_result_release(&res);
}
