/* GET /healthz: the process is alive and serving (no dependencies checked). */
#include "routes/routes.h"

void route_healthz(struct request *req, struct reply *rep)
{
    (void)req;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "status", "ok");
    reply_json(rep, 200, body);
}
