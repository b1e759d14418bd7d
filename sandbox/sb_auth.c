/* POST /users/getToken and the access-token check every other REST route runs first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_state.h"

#define TOKEN_EXTEND_WINDOW_S 60 /* a call in the last minute before expiry... */
#define TOKEN_EXTEND_BY_S 300    /* ...extends the token by five minutes */

static const char *bearer_value(const char *header)
{
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    header += 7;
    while (*header == ' ')
        header++;
    return header;
}

const char *sb_auth_form(const struct request *req)
{
    const char *authz = request_header(req, "Authorization");
    if (authz && *authz)
        return bearer_value(authz) ? "bearer" : "authorization";
    const char *imp = request_header(req, "X-ImpTokenHeader");
    if (imp && *imp)
        return "x-imptokenheader";
    return NULL;
}

static int token_live(struct sb_state *st, const char *value)
{
    int64_t now = sb_now(st);
    for (size_t i = 0; i < st->tokens.len; i++) {
        const struct sb_token *t = st->tokens.items[i];
        if (strcmp(t->value, value) == 0)
            return now < t->expires_at;
    }
    return 0;
}

int sb_require_token(struct request *req, struct reply *rep)
{
    const char *authz = request_header(req, "Authorization");
    const char *imp = request_header(req, "X-ImpTokenHeader");
    const char *candidates[2] = {NULL, NULL};
    int ok = 0;

    if (authz && *authz)
        candidates[0] = bearer_value(authz) ? bearer_value(authz) : authz;
    if (imp && *imp)
        candidates[1] = imp;
    struct sb_state *st = sb_state_lock();
    for (size_t i = 0; i < 2 && !ok; i++)
        if (candidates[i] && token_live(st, candidates[i]))
            ok = 1;
    sb_state_unlock();
    if (ok)
        return 0;
    sb_fail(rep, 401, -1, "Unauthorized");
    return -1;
}

/* The newest token, or NULL when none was issued. */
static struct sb_token *current_token(struct sb_state *st)
{
    return st->tokens.len ? st->tokens.items[st->tokens.len - 1] : NULL;
}

void sb_get_token(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    const char *key = NULL, *secret = NULL;

    if (sb_field_str(req->body, "imp_key", NULL, 1, 0, &key, msg) != 0 ||
        sb_field_str(req->body, "imp_secret", NULL, 1, 0, &secret, msg) != 0) {
        sb_fail(rep, 401, -1, "imp_key, imp_secret 파라메터가 누락되었습니다.");
        return;
    }
    struct sb_state *st = sb_state_lock();
    if (strcmp(key, st->cfg.imp_key) != 0 || strcmp(secret, st->cfg.imp_secret) != 0) {
        sb_state_unlock();
        sb_fail(rep, 401, -1, "imp_key, imp_secret 인증에 실패하였습니다.");
        return;
    }
    int64_t now = sb_now(st);
    struct sb_token *t = current_token(st);
    if (!t || now >= t->expires_at) {
        t = xcalloc(1, sizeof *t);
        sb_random_hex(t->value, SB_TOKEN_LEN / 2);
        t->expires_at = now + st->cfg.token_ttl_seconds;
        sb_vec_push(&st->tokens, t);
    } else if (t->expires_at - now <= TOKEN_EXTEND_WINDOW_S) {
        t->expires_at += TOKEN_EXTEND_BY_S;
    }
    st->token_calls++;
    cJSON *resp = cJSON_CreateObject();
    cJSON_AddStringToObject(resp, "access_token", t->value);
    cJSON_AddNumberToObject(resp, "now", (double)now);
    cJSON_AddNumberToObject(resp, "expired_at", (double)t->expires_at);
    sb_state_unlock();
    sb_ok(rep, resp);
}
