/* Idempotency-Key for merchant POSTs: claim a key, replay the answer stored for it, store or give it up. */
#include "server/billing/idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "server/core/log.h"
#include "server/core/xalloc.h"

/* Times a claim is tried again when the row that refused it vanished before it could be read
 * (its request failed with a 5xx and released it in between). */
#define CLAIM_ATTEMPTS 3

static const char *const decision_names[] = {
    [IDEMPOTENCY_NEW] = "new",
    [IDEMPOTENCY_REPLAY] = "replay",
    [IDEMPOTENCY_MISMATCH] = "mismatch",
    [IDEMPOTENCY_IN_PROGRESS] = "in_progress",
    [IDEMPOTENCY_UNAVAILABLE] = "unavailable",
};

const char *idempotency_decision_name(enum idempotency_decision d)
{
    if ((int)d < 0 || (size_t)d >= sizeof decision_names / sizeof decision_names[0])
        return "unknown";
    return decision_names[d];
}

int idempotency_key_valid(const char *key)
{
    size_t n = 0;
    if (!key)
        return 0;
    for (; key[n]; n++)
        if (key[n] < 0x20 || key[n] > 0x7e || n >= IDEMPOTENCY_KEY_MAX)
            return 0;
    return n > 0;
}

/* Feeds "<len>:" and then the bytes. */
static void digest_part(EVP_MD_CTX *md, const char *data, size_t len)
{
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "%zu:", len);
    EVP_DigestUpdate(md, prefix, (size_t)n);
    if (len)
        EVP_DigestUpdate(md, data, len);
}

void idempotency_request_hash(const char *method, const char *path, const char *body,
                              size_t body_len, char out[IDEMPOTENCY_HASH_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        abort(); /* out of memory, as xmalloc */
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    digest_part(md, method ? method : "", method ? strlen(method) : 0);
    digest_part(md, path ? path : "", path ? strlen(path) : 0);
    digest_part(md, body, body ? body_len : 0);
    EVP_DigestFinal_ex(md, digest, &digest_len);
    EVP_MD_CTX_free(md);
    for (unsigned int i = 0; i < digest_len && i < IDEMPOTENCY_HASH_LEN / 2; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    out[IDEMPOTENCY_HASH_LEN] = '\0';
}

enum idempotency_decision idempotency_decide(const char *stored_hash, int finished,
                                             const char *request_hash)
{
    if (!stored_hash || !request_hash || strcmp(stored_hash, request_hash) != 0)
        return IDEMPOTENCY_MISMATCH;
    return finished ? IDEMPOTENCY_REPLAY : IDEMPOTENCY_IN_PROGRESS;
}

void idempotency_reply_release(struct idempotency_reply *r)
{
    free(r->content_type);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Reads the taken key's row: 1 with the decision in *out, 0 when the row is gone, -1 on a
 * database failure. */
static int read_taken(struct db_conn *conn, const struct idempotency_claim *c,
                      const char *request_hash, struct idempotency_reply *stored,
                      enum idempotency_decision *out)
{
    PGresult *res = NULL;
    const char *params[] = {c->api_key_name, c->key};
    if (db_exec(conn, STMT_IDEMPOTENCY_GET, params, &res) != DB_OK)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return 0;
    }
    int finished = !PQgetisnull(res, 0, 1);
    *out = idempotency_decide(PQgetvalue(res, 0, 0), finished, request_hash);
    if (*out == IDEMPOTENCY_REPLAY) {
        stored->status = atoi(PQgetvalue(res, 0, 1));
        stored->content_type = PQgetisnull(res, 0, 2) ? NULL : xstrdup(PQgetvalue(res, 0, 2));
        stored->body_len = (size_t)PQgetlength(res, 0, 3);
        stored->body = xstrndup(PQgetvalue(res, 0, 3), stored->body_len);
    }
    PQclear(res);
    return 1;
}

enum idempotency_decision idempotency_begin(const struct billing_env *env,
                                            struct idempotency_claim *c, const char *request_hash,
                                            struct idempotency_reply *stored,
                                            const char *request_id)
{
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    enum idempotency_decision d = IDEMPOTENCY_UNAVAILABLE;
    enum db_status st;

    memset(stored, 0, sizeof *stored);
    c->claim[0] = '\0';
    if ((st = db_acquire(env->db, &conn)) != DB_OK)
        goto failed;
    const char *params[] = {c->api_key_name, c->key, request_hash, IDEMPOTENCY_CLAIM_LEASE};
    for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        if ((st = db_exec(conn, STMT_IDEMPOTENCY_CLAIM, params, &res)) != DB_OK)
            goto failed;
        if (PQntuples(res) == 1) {
            snprintf(c->claim, sizeof c->claim, "%s", PQgetvalue(res, 0, 0));
            d = IDEMPOTENCY_NEW;
            goto out;
        }
        PQclear(res);
        res = NULL;
        int found = read_taken(conn, c, request_hash, stored, &d);
        if (found < 0) {
            st = DB_ERROR;
            goto failed;
        }
        if (found)
            goto out;
    }
    /* Claimed and released again and again under our feet: someone is working on it. */
    d = IDEMPOTENCY_IN_PROGRESS;
    goto out;
failed:
    d = IDEMPOTENCY_UNAVAILABLE;
    log_msg(LOG_WARN, request_id, "cannot claim the Idempotency-Key of '%s' (%s): %s",
            c->api_key_name, db_status_name(st), conn ? db_conn_error(conn) : "no connection");
out:
    PQclear(res);
    db_release(env->db, conn);
    return d;
}

enum db_status idempotency_finish(const struct billing_env *env, const struct idempotency_claim *c,
                                  int status, const char *content_type, const char *body,
                                  size_t body_len)
{
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    char status_text[16];
    char *text = NULL;

    if (body_len && memchr(body, '\0', body_len))
        return DB_INVALID;
    text = xstrndup(body ? body : "", body ? body_len : 0);
    snprintf(status_text, sizeof status_text, "%d", status);
    enum db_status st = db_acquire(env->db, &conn);
    if (st == DB_OK) {
        const char *params[] = {c->api_key_name, c->key, c->claim, status_text, content_type, text};
        st = db_exec(conn, STMT_IDEMPOTENCY_FINISH, params, &res);
        if (st == DB_OK && PQntuples(res) != 1)
            st = DB_NOT_FOUND;
    }
    PQclear(res);
    db_release(env->db, conn);
    free(text);
    return st;
}

enum db_status idempotency_release(const struct billing_env *env, const struct idempotency_claim *c)
{
    struct db_conn *conn = NULL;
    enum db_status st = db_acquire(env->db, &conn);
    if (st == DB_OK) {
        const char *params[] = {c->api_key_name, c->key, c->claim};
        st = db_exec(conn, STMT_IDEMPOTENCY_RELEASE, params, NULL);
    }
    db_release(env->db, conn);
    return st;
}
