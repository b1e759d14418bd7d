/* POST/PUT /payments/prepare, GET /payments/prepare/{merchant_uid}: expected amounts. */
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_state.h"

#define MSG_PREPARE_DUPLICATE "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다)."
#define MSG_PREPARE_NOT_FOUND "사전등록된 결제정보가 존재하지 않습니다."

static cJSON *prepare_json(const struct sb_prepare *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "merchant_uid", p->merchant_uid);
    cJSON_AddNumberToObject(o, "amount", (double)p->amount);
    if (p->currency)
        cJSON_AddStringToObject(o, "currency", p->currency);
    else
        cJSON_AddNullToObject(o, "currency");
    return o;
}

/* Reads merchant_uid, amount, currency; answers code 1 and returns -1 when one is bad. */
static int read_prepare_fields(struct request *req, struct reply *rep, const char **merchant_uid,
                               int64_t *amount, const char **currency)
{
    char msg[SB_MSG_LEN];
    if (sb_field_str(req->body, "merchant_uid", NULL, 1, 40, merchant_uid, msg) != 0 ||
        sb_field_int(req->body, "amount", NULL, 1, 0, SB_MAX_AMOUNT, amount, NULL, msg) != 0 ||
        sb_field_str(req->body, "currency", NULL, 0, 3, currency, msg) != 0) {
        sb_fail(rep, 200, 1, "%s", msg);
        return -1;
    }
    return 0;
}

void sb_prepare_create(struct request *req, struct reply *rep)
{
    const char *merchant_uid, *currency;
    int64_t amount = 0;

    if (sb_require_token(req, rep) != 0 ||
        read_prepare_fields(req, rep, &merchant_uid, &amount, &currency) != 0)
        return;
    struct sb_state *st = sb_state_lock();
    if (sb_find_prepare(st, merchant_uid)) {
        sb_state_unlock();
        sb_fail(rep, 200, 1, MSG_PREPARE_DUPLICATE);
        return;
    }
    struct sb_prepare *p = xcalloc(1, sizeof *p);
    p->merchant_uid = xstrdup(merchant_uid);
    p->amount = amount;
    p->currency = currency ? xstrdup(currency) : NULL;
    sb_vec_push(&st->prepares, p);
    cJSON *out = prepare_json(p);
    sb_state_unlock();
    sb_ok(rep, out);
}

void sb_prepare_update(struct request *req, struct reply *rep)
{
    const char *merchant_uid, *currency;
    int64_t amount = 0;

    if (sb_require_token(req, rep) != 0 ||
        read_prepare_fields(req, rep, &merchant_uid, &amount, &currency) != 0)
        return;
    struct sb_state *st = sb_state_lock();
    struct sb_prepare *p = sb_find_prepare(st, merchant_uid);
    if (!p) {
        sb_state_unlock();
        sb_fail(rep, 404, -1, MSG_PREPARE_NOT_FOUND);
        return;
    }
    p->amount = amount;
    free(p->currency);
    p->currency = currency ? xstrdup(currency) : NULL;
    cJSON *out = prepare_json(p);
    sb_state_unlock();
    sb_ok(rep, out);
}

void sb_prepare_get(struct request *req, struct reply *rep)
{
    if (sb_require_token(req, rep) != 0)
        return;
    struct sb_state *st = sb_state_lock();
    struct sb_prepare *p = sb_find_prepare(st, request_param(req, "merchant_uid"));
    cJSON *out = p ? prepare_json(p) : NULL;
    sb_state_unlock();
    if (!out)
        sb_fail(rep, 404, -1, MSG_PREPARE_NOT_FOUND);
    else
        sb_ok(rep, out);
}
