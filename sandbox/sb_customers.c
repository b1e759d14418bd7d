/* GET and DELETE /subscribe/customers/{customer_uid}: read or remove a billing key. */
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_state.h"

#define MSG_CUSTOMER_NOT_FOUND "요청하신 customer_uid(%s)로 등록된 정보를 찾을 수 없습니다."

/* 404 code -1 by default, 200 code 1 when the config says "200". Lock held. */
static void customer_not_found(const struct sb_state *st, struct reply *rep, const char *uid)
{
    if (st->cfg.customer_not_found_200)
        sb_fail(rep, 200, 1, MSG_CUSTOMER_NOT_FOUND, uid);
    else
        sb_fail(rep, 404, -1, MSG_CUSTOMER_NOT_FOUND, uid);
}

void sb_customer_get(struct request *req, struct reply *rep)
{
    const char *uid = request_param(req, "customer_uid");
    if (sb_require_token(req, rep) != 0)
        return;
    struct sb_state *st = sb_state_lock();
    struct sb_customer *c = sb_find_customer(st, uid);
    if (c)
        sb_ok(rep, cJSON_Duplicate(c->json, 1));
    else
        customer_not_found(st, rep, uid);
    sb_state_unlock();
}

void sb_customer_delete(struct request *req, struct reply *rep)
{
    const char *uid = request_param(req, "customer_uid");
    if (sb_require_token(req, rep) != 0)
        return;
    struct sb_state *st = sb_state_lock();
    struct sb_customer *c = sb_remove_customer(st, uid);
    if (c) {
        sb_ok(rep, c->json);
        c->json = NULL; /* the reply took it */
        sb_customer_free(c);
    } else {
        customer_not_found(st, rep, uid);
    }
    sb_state_unlock();
}
