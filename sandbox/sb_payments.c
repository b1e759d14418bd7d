/* GET /payments/{imp_uid}, GET /payments/find/{merchant_uid}[/{status}], POST /payments/cancel. */
#include <string.h>

#include "sandbox/sb_cancel.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_state.h"
#include "sandbox/sb_webhook.h"

#define MSG_PAYMENT_NOT_FOUND "존재하지 않는 결제정보입니다."
#define MSG_CANCEL_NOT_FOUND "취소할 결제건이 존재하지 않습니다."

void sb_get_payment(struct request *req, struct reply *rep)
{
    if (sb_require_token(req, rep) != 0)
        return;
    struct sb_state *st = sb_state_lock();
    struct sb_payment *p = sb_find_payment(st, request_param(req, "imp_uid"));
    cJSON *copy = p ? cJSON_Duplicate(p->json, 1) : NULL;
    sb_state_unlock();
    if (!copy)
        sb_fail(rep, 404, -1, MSG_PAYMENT_NOT_FOUND);
    else
        sb_ok(rep, copy);
}

static int status_supported(const char *status)
{
    static const char *const statuses[] = {"ready", "paid", "failed", "cancelled"};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(status, statuses[i]) == 0)
            return 1;
    return 0;
}

void sb_find_payment_route(struct request *req, struct reply *rep)
{
    if (sb_require_token(req, rep) != 0)
        return;
    const char *status = request_param(req, "status");
    if (status && !status_supported(status)) {
        sb_fail(rep, 400, -1, "지원되지 않는 상태값입니다.");
        return;
    }
    struct sb_state *st = sb_state_lock();
    struct sb_payment *p =
        sb_find_payment_by_merchant(st, request_param(req, "merchant_uid"), status);
    cJSON *copy = p ? cJSON_Duplicate(p->json, 1) : NULL;
    sb_state_unlock();
    if (!copy)
        sb_fail(rep, 404, -1, MSG_PAYMENT_NOT_FOUND);
    else
        sb_ok(rep, copy);
}

void sb_cancel_payment(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN], cancellation_id[SB_CANCELLATION_ID_LEN + 1];
    const char *imp_uid = NULL, *merchant_uid = NULL, *reason = NULL;
    int64_t amount = 0, checksum = 0;
    int has_checksum = 0, enable_webhook = 0;

    if (sb_require_token(req, rep) != 0)
        return;
    if (sb_field_str(req->body, "imp_uid", NULL, 0, 0, &imp_uid, msg) != 0 ||
        sb_field_str(req->body, "merchant_uid", NULL, 0, 0, &merchant_uid, msg) != 0 ||
        sb_field_str(req->body, "reason", NULL, 0, 0, &reason, msg) != 0 ||
        sb_field_int(req->body, "amount", NULL, 0, 0, SB_MAX_AMOUNT, &amount, NULL, msg) != 0 ||
        sb_field_int(req->body, "checksum", NULL, 0, 0, SB_MAX_AMOUNT, &checksum, &has_checksum,
                     msg) != 0 ||
        sb_field_bool(req->body, "enable_webhook", NULL, &enable_webhook, msg) != 0) {
        sb_fail(rep, 200, 1, "%s", msg);
        return;
    }
    struct sb_state *st = sb_state_lock();
    struct sb_payment *p = NULL;
    if (imp_uid)
        p = sb_find_payment(st, imp_uid); /* imp_uid wins, even when merchant_uid would match */
    else if (merchant_uid)
        p = sb_find_payment_by_merchant(st, merchant_uid, NULL);
    if (!p) {
        sb_state_unlock();
        sb_fail(rep, 200, 1, MSG_CANCEL_NOT_FOUND);
        return;
    }
    if (sb_cancel_apply(st, p, amount, has_checksum, checksum, reason, cancellation_id, msg) != 0) {
        sb_state_unlock();
        sb_fail(rep, 200, 1, "%s", msg);
        return;
    }
    if (enable_webhook)
        sb_webhook_for_payment(st, p, NULL, cancellation_id, 0);
    cJSON *copy = cJSON_Duplicate(p->json, 1);
    sb_state_unlock();
    sb_ok(rep, copy);
}
