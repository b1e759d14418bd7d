/* GET /checkout/config: what the checkout page needs to open iamport's window (public, no secrets). */
#include "routes/routes.h"

#include "routes/route_env.h"
#include "server/billing/pg_profile.h"

void route_checkout_config(struct request *req, struct reply *rep)
{
    const struct route_env *env = route_env(req);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "imp_code", env->imp_code ? env->imp_code : "");
    cJSON_AddStringToObject(body, "sdk_url", env->iamport_sdk_url);
    cJSON_AddBoolToObject(body, "sandbox_mode", env->sandbox_mode != 0);
    cJSON *pgs = cJSON_AddArrayToObject(body, "pgs");
    for (size_t i = 0; i < pg_profile_count(); i++) {
        const struct pg_profile *p = pg_profile_at(i);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "provider", p->name);
        cJSON_AddStringToObject(item, "label", p->label);
        cJSON_AddBoolToObject(item, "buyer_tel_required", p->needs_buyer_tel != 0);
        cJSON_AddItemToArray(pgs, item);
    }
    reply_json(rep, 200, body);
}
