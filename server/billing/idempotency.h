/* Idempotency-Key for merchant POSTs: claim a key, replay the answer stored for it, store or give it up. */
#ifndef BILLKEY_IDEMPOTENCY_H
#define BILLKEY_IDEMPOTENCY_H

#include <stddef.h>

#include "db/pool.h"
#include "server/billing/billing_env.h"

#define IDEMPOTENCY_KEY_MAX 255
/* Hex SHA-256 of the request: 64 characters. */
#define IDEMPOTENCY_HASH_LEN 64
/* How long an unfinished claim blocks its key (409) before a retry may take it over: far longer
 * than any request runs (HTTP_TIMEOUT, iamport timeouts, lock waits), so only the claim of a
 * process that died mid-request ever expires. */
#define IDEMPOTENCY_CLAIM_LEASE "10 minutes"

enum idempotency_decision {
    IDEMPOTENCY_NEW,         /* the key is claimed: run the request, then finish or release */
    IDEMPOTENCY_REPLAY,      /* the same request finished before: replay *stored */
    IDEMPOTENCY_MISMATCH,    /* the key was used for a different request (method, path, body) */
    IDEMPOTENCY_IN_PROGRESS, /* the first request with this key is still running */
    IDEMPOTENCY_UNAVAILABLE  /* the database could not be asked: run nothing */
};

/* "new", "replay", "mismatch", "in_progress", "unavailable"; "unknown" otherwise. Static. */
const char *idempotency_decision_name(enum idempotency_decision d);

/* 1 when key is 1..IDEMPOTENCY_KEY_MAX printable ASCII characters (0x20..0x7e), else 0. */
int idempotency_key_valid(const char *key);

/* SHA-256 of method, path and body, each length-prefixed so that no two different requests
 * hash the same input, as lowercase hex into out (IDEMPOTENCY_HASH_LEN + 1 bytes). body may be
 * NULL when body_len is 0. */
void idempotency_request_hash(const char *method, const char *path, const char *body,
                              size_t body_len, char out[IDEMPOTENCY_HASH_LEN + 1]);

/* The decision for a key that is already taken, from its stored row: REPLAY when the request
 * hash matches and an answer is stored (finished != 0), IN_PROGRESS when it matches and the first
 * request still runs, MISMATCH whenever the hash differs (running or not). Pure. */
enum idempotency_decision idempotency_decide(const char *stored_hash, int finished,
                                             const char *request_hash);

/* One key of one API key name. The strings are borrowed from the request; claim is filled by
 * idempotency_begin() on IDEMPOTENCY_NEW and names this request's hold on the key. */
struct idempotency_claim {
    const char *api_key_name;
    const char *key;
    char claim[40];
};

/* A stored answer. Owned; idempotency_reply_release() frees it. */
struct idempotency_reply {
    int status;
    char *content_type; /* owned; NULL when none was stored */
    char *body;         /* owned, NUL-terminated */
    size_t body_len;
};
void idempotency_reply_release(struct idempotency_reply *r);

/* Claims c's key for a request of this hash in one short statement (no connection is held
 * afterwards): NEW (c->claim set; an unfinished claim older than IDEMPOTENCY_CLAIM_LEASE is taken
 * over), REPLAY (*stored filled; release it in every case), MISMATCH, IN_PROGRESS, or
 * UNAVAILABLE when the database failed (logged with request_id). */
enum idempotency_decision idempotency_begin(const struct billing_env *env,
                                            struct idempotency_claim *c, const char *request_hash,
                                            struct idempotency_reply *stored,
                                            const char *request_id);

/* Stores the answer of a claimed key (body of body_len bytes without NUL bytes, valid UTF-8).
 * DB_OK; DB_NOT_FOUND when the claim was lost (taken over after its lease); DB_INVALID when
 * the body cannot be stored as text; or the database failure. */
enum db_status idempotency_finish(const struct billing_env *env, const struct idempotency_claim *c,
                                  int status, const char *content_type, const char *body,
                                  size_t body_len);

/* Deletes the unfinished claim so that a retry with the key runs again. DB_OK (also when the
 * claim was already gone) or the database failure. */
enum db_status idempotency_release(const struct billing_env *env,
                                   const struct idempotency_claim *c);

#endif
