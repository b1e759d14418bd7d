/* iamport's response envelope {code, message, response} for iamport-compatible routes. */
#include "server/http/http.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/utf8.h"

void reply_iamport(struct reply *rep, int status, int code, const char *message, cJSON *response)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "code", code);
    if (message) {
        /* messages may quote request text: the body must stay UTF-8 */
        char *text = utf8_repair(message, strlen(message));
        cJSON_AddStringToObject(root, "message", text);
        free(text);
    } else {
        cJSON_AddNullToObject(root, "message");
    }
    if (response)
        cJSON_AddItemToObject(root, "response", response);
    else
        cJSON_AddNullToObject(root, "response");
    reply_json(rep, status, root);
}
