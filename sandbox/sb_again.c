/* POST /subscribe/payments/again: charge a billing key (decline = code 0, "failed"). */
#include <stdlib.h>
#include <string.h>

#include "sandbox/sb_charge.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_models.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_state.h"
#include "sandbox/sb_webhook.h"

#define MSG_UNKNOWN_BUYER "등록되지 않은 구매자입니다."
#define MSG_DUPLICATE_ORDER                                                                        \
    "이미 주문이 이루어진 건입니다. (동일한 merchant_uid로 결제 또는 취소된 기록이 있습니다)"

void sb_again(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    const char *customer_uid, *merchant_uid, *name, *currency, *notice_url;
    const char *buyer_ignored;
    int64_t amount = 0, card_quota = 0;

    if (sb_require_token(req, rep) != 0)
        return;
    if (sb_field_str(req->body, "customer_uid", NULL, 1, 80, &customer_uid, msg) != 0 ||
        sb_field_str(req->body, "merchant_uid", NULL, 1, 40, &merchant_uid, msg) != 0 ||
        sb_field_int(req->body, "amount", NULL, 1, 1, SB_MAX_AMOUNT, &amount, NULL, msg) != 0 ||
        sb_field_str(req->body, "name", NULL, 0, 40, &name, msg) != 0 ||
        sb_field_str(req->body, "currency", NULL, 0, 3, &currency, msg) != 0 ||
        sb_field_str(req->body, "notice_url", NULL, 0, 0, &notice_url, msg) != 0 ||
        sb_field_int(req->body, "card_quota", NULL, 0, 0, 36, &card_quota, NULL, msg) != 0) {
        sb_fail(rep, 200, 1, "%s", msg);
        return;
    }
    for (size_t i = 0; sb_buyer_fields[i]; i++) {
        if (sb_field_str(req->body, sb_buyer_fields[i], NULL, 0, 0, &buyer_ignored, msg) != 0) {
            sb_fail(rep, 200, 1, "%s", msg);
            return;
        }
    }
    char *custom_data = sb_field_custom_data(req->body, "custom_data");

    struct sb_state *st = sb_state_lock();
    struct sb_customer *c = sb_find_customer(st, customer_uid);
    if (!c) {
        sb_state_unlock();
        free(custom_data);
        sb_fail(rep, 200, 1, MSG_UNKNOWN_BUYER);
        return;
    }
    if (sb_merchant_uid_used(st, merchant_uid)) {
        sb_state_unlock();
        free(custom_data);
        sb_fail(rep, 200, 1, MSG_DUPLICATE_ORDER);
        return;
    }
    struct sb_charge_request rq = {
        .merchant_uid = merchant_uid,
        .amount = amount,
        .name = name,
        .currency = currency,
        .usage = "payment",
        .channel = "api",
        .buyer = req->body,
        .custom_data = custom_data,
        .notice_url = notice_url,
        .card_quota = card_quota,
        .real_charge = 1,
    };
    struct sb_payment *p = sb_charge(st, c, &rq);
    if (strcmp(sb_jstr(p->json, "status"), "paid") == 0)
        sb_webhook_for_payment(st, p, NULL, NULL, 0);
    cJSON *copy = cJSON_Duplicate(p->json, 1);
    sb_state_unlock();
    free(custom_data);
    sb_ok(rep, copy);
}
