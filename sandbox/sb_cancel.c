/* Cancelling a paid Payment, fully or partly: for the REST API and the console cancel. */
#include "sandbox/sb_cancel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_util.h"

int sb_cancel_apply(struct sb_state *st, struct sb_payment *p, int64_t amount, int has_checksum,
                    int64_t checksum, const char *reason, char *cancellation_id, char *msg)
{
    const char *status = sb_jstr(p->json, "status");
    int64_t total = sb_jint(p->json, "amount");
    int64_t cancelled = sb_jint(p->json, "cancel_amount");
    int64_t left = total - cancelled;

    if (status && strcmp(status, "cancelled") == 0) {
        snprintf(msg, SB_MSG_LEN, "이미 전액취소된 주문입니다.");
        return -1;
    }
    if (!status || strcmp(status, "paid") != 0) {
        snprintf(msg, SB_MSG_LEN, "취소할 수 없는 결제건입니다. (결제상태: %s)",
                 status ? status : "unknown");
        return -1;
    }
    if (has_checksum && checksum != left) {
        snprintf(msg, SB_MSG_LEN,
                 "checksum 이 취소 가능금액과 일치하지 않습니다. (취소 가능금액: %lld)",
                 (long long)left);
        return -1;
    }
    if (amount == 0)
        amount = left;
    if (amount > left) {
        snprintf(msg, SB_MSG_LEN, "취소 요청금액(%lld)이 취소 가능금액(%lld)을 초과합니다.",
                 (long long)amount, (long long)left);
        return -1;
    }

    int64_t now = sb_now(st);
    char tid[25];
    sb_random_hex(tid, 12);
    memcpy(cancellation_id, "sandbox_cncl_", 13);
    sb_random_hex(cancellation_id + 13, 5);
    cancellation_id[SB_CANCELLATION_ID_LEN] = '\0';
    char *receipt = xasprintf("https://sandbox.invalid/receipts/%s/%s", sb_jstr(p->json, "imp_uid"),
                              cancellation_id);

    cJSON *entry = cJSON_CreateObject();
    sb_jset_str(entry, "pg_tid", tid);
    sb_jset_int(entry, "amount", amount);
    sb_jset_int(entry, "cancelled_at", now);
    sb_jset_str(entry, "reason", reason ? reason : "");
    sb_jset_str(entry, "cancellation_id", cancellation_id);
    sb_jset_str(entry, "receipt_url", receipt);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(p->json, "cancel_history"), entry);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(p->json, "cancel_receipt_urls"),
                         cJSON_CreateString(receipt));
    free(receipt);

    sb_jset_int(p->json, "cancel_amount", cancelled + amount);
    sb_jset_int(p->json, "cancelled_at", now);
    sb_jset_str(p->json, "cancel_reason", reason);
    if (cancelled + amount == total)
        sb_jset_str(p->json, "status", "cancelled");
    sb_ledger_cancel(st, sb_jstr(p->json, "merchant_uid"), amount);
    return 0;
}
