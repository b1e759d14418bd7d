/* POST /webhooks/iamport: iamport's webhook {imp_uid, merchant_uid, status}, recorded then settled. */
#include "routes/routes.h"

#include <cjson/cJSON.h>

#include "routes/route_env.h"
#include "server/billing/issuance_verify.h"
#include "server/billing/webhook_events.h"
#include "server/billing/webhook_worker.h"
#include "server/core/cidr.h"
#include "server/core/json_util.h"
#include "server/core/log.h"

#define WEBHOOK_STATUS_MAX 32

void route_webhooks_iamport(struct request *req, struct reply *rep)
{
    const struct route_env *env = route_env(req);
    const char *imp_uid = NULL, *merchant_uid = NULL, *status = NULL;
    struct json_error jerr;
    char msg[160];

    if (env->webhook_senders && env->webhook_senders->count > 0 &&
        !cidr_list_contains(env->webhook_senders, req->client_addr)) {
        log_msg(LOG_WARN, req->request_id,
                "webhook from '%s' refused: not in WEBHOOK_ALLOWED_CIDRS",
                req->client_addr ? req->client_addr : "unknown");
        reply_error(rep, req, 403, "forbidden_sender", NULL, "this address may not send webhooks");
        return;
    }
    if (json_get_str(req->body, "imp_uid", JSON_REQUIRED, VERIFY_IMP_UID_MAX, &imp_uid, &jerr) !=
        JSON_OK) {
        reply_error(rep, req, 400, "invalid_field", "imp_uid", "%s",
                    json_error_message(&jerr, msg, sizeof msg));
        return;
    }
    if (!issuance_valid_imp_uid(imp_uid)) {
        reply_error(rep, req, 400, "invalid_field", "imp_uid",
                    "'imp_uid' accepts 1..32 of A-Z a-z 0-9 _ -");
        return;
    }
    if (json_get_str(req->body, "merchant_uid", JSON_REQUIRED, VERIFY_MERCHANT_UID_MAX,
                     &merchant_uid, &jerr) != JSON_OK) {
        reply_error(rep, req, 400, "invalid_field", "merchant_uid", "%s",
                    json_error_message(&jerr, msg, sizeof msg));
        return;
    }
    if (!issuance_valid_id(merchant_uid, VERIFY_MERCHANT_UID_MAX)) {
        reply_error(rep, req, 400, "invalid_field", "merchant_uid",
                    "'merchant_uid' accepts 1..40 printable ASCII characters without spaces");
        return;
    }
    if (json_get_str(req->body, "status", JSON_OPTIONAL, WEBHOOK_STATUS_MAX, &status, &jerr) !=
        JSON_OK) {
        reply_error(rep, req, 400, "invalid_field", "status", "%s",
                    json_error_message(&jerr, msg, sizeof msg));
        return;
    }
    long long id = 0;
    enum db_status st =
        webhook_event_record(env->billing.db, imp_uid, merchant_uid, status, req->client_addr, &id);
    if (st != DB_OK) {
        /* Not recorded: a 5xx makes iamport deliver it again. */
        log_msg(LOG_ERROR, req->request_id, "recording the webhook for '%s' failed (%s)", imp_uid,
                db_status_name(st));
        reply_error(rep, req, 503, "database_unavailable", NULL,
                    "the webhook could not be recorded; send it again");
        return;
    }
    webhook_worker_wake(env->webhooks);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddBoolToObject(body, "received", 1);
    reply_json(rep, 200, body);
}
