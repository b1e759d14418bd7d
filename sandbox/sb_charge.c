/* One charge of a billing key: honours queued declines, makes the Payment, feeds the ledger. */
#include "sandbox/sb_charge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_models.h"
#include "sandbox/sb_util.h"

struct sb_payment *sb_charge(struct sb_state *st, const struct sb_customer *c,
                             const struct sb_charge_request *rq)
{
    char imp_uid[17], tid[25], apply_num[9], reason[256];
    int64_t now = sb_now(st);
    const char *status = rq->fixed_status ? rq->fixed_status : "paid";
    int declined = 0;
    if (rq->real_charge)
        declined = sb_take_decline(st, sb_jstr(c->json, "customer_uid"), reason, sizeof reason);
    else if (strcmp(status, "failed") == 0)
        snprintf(reason, sizeof reason, "빌링키 발급에 실패하였습니다. (sandbox issue_status)");
    if (declined)
        status = "failed";

    sb_new_imp_uid(st, imp_uid);
    cJSON *p = sb_payment_json_new(imp_uid, rq->merchant_uid, now);
    sb_jset_str(p, "pay_method", rq->pay_method ? rq->pay_method : "card");
    sb_jset_str(p, "user_agent", rq->user_agent);
    sb_jset_str(p, "channel", rq->channel ? rq->channel : "api");
    sb_jset_str(p, "pg_provider", sb_jstr(c->json, "pg_provider"));
    sb_jset_str(p, "pg_id", sb_jstr(c->json, "pg_id"));
    sb_random_hex(tid, 12);
    sb_jset_str(p, "pg_tid", tid);
    sb_jset_str(p, "card_name", sb_jstr(c->json, "card_name"));
    sb_jset_str(p, "card_number", sb_jstr(c->json, "card_number"));
    sb_jset_str(p, "card_code", sb_jstr(c->json, "card_code"));
    sb_jset(p, "card_type",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c->json, "card_type"), 1));
    sb_jset_int(p, "card_quota", rq->card_quota);
    sb_jset_str(p, "name", rq->name);
    sb_jset_int(p, "amount", rq->amount);
    sb_jset_str(p, "currency", rq->currency ? rq->currency : "KRW");
    for (size_t i = 0; sb_buyer_fields[i]; i++)
        sb_jset_str(p, sb_buyer_fields[i],
                    rq->buyer ? sb_jstr(rq->buyer, sb_buyer_fields[i]) : NULL);
    sb_jset_str(p, "custom_data", rq->custom_data);
    sb_jset_str(p, "customer_uid", sb_jstr(c->json, "customer_uid"));
    sb_jset_str(p, "customer_uid_usage", rq->usage);
    sb_jset_str(p, "status", status);
    if (strcmp(status, "failed") == 0) {
        sb_jset_str(p, "fail_reason", reason);
        sb_jset_int(p, "failed_at", now);
    } else if (strcmp(status, "paid") == 0) {
        sb_random_digits(apply_num, 8);
        sb_jset_str(p, "apply_num", apply_num);
        sb_jset_int(p, "paid_at", now);
        char *receipt = xasprintf("https://sandbox.invalid/receipts/%s", imp_uid);
        sb_jset_str(p, "receipt_url", receipt);
        free(receipt);
    }
    if (rq->real_charge)
        sb_ledger_record(st, rq->merchant_uid, rq->amount, !declined);
    return sb_add_payment(st, p, rq->notice_url ? xstrdup(rq->notice_url) : NULL);
}
