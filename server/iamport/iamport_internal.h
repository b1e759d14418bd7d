/* Private pieces shared by the iamport client's source files (not for other modules). */
#ifndef BILLKEY_IAMPORT_INTERNAL_H
#define BILLKEY_IAMPORT_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>

#include <curl/curl.h>

#include "server/iamport/iamport.h"

#define IAMPORT_POOL_MAX 16

/* Single-flight token cache: one token per client, refreshed by one thread at a time while the
 * others wait on `changed`. */
struct iamport_token_cache {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char *token;          /* owned; NULL until the first fetch */
    int64_t expires_ms;   /* on the client's monotonic clock */
    uint64_t generation;  /* +1 for every token stored */
    bool refreshing;      /* a thread is fetching right now */
    uint64_t attempts;    /* +1 when a fetch finishes, success or not */
    enum iamport_status last_status; /* outcome of the latest fetch, for its waiters */
    struct iamport_error last_error;
};

struct iamport_client {
    char *base_url; /* owned, no trailing '/' */
    char *api_key;
    char *api_secret;
    char *tier_code; /* owned or NULL */
    long connect_timeout_ms;
    long timeout_ms;
    bool include_sandbox;
    int64_t (*clock_ms)(void *clock_arg);
    void *clock_arg;

    CURLSH *share; /* DNS cache only: libcurl's shared connection cache is not thread-safe */
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

    /* Idle easy handles; each keeps its own live connections between requests. */
    pthread_mutex_t pool_lock;
    CURL *pool[IAMPORT_POOL_MAX];
    size_t pool_count;

    struct iamport_token_cache token;

    atomic_uint_fast64_t stat_requests;
    atomic_uint_fast64_t stat_connects;
    atomic_uint_fast64_t stat_token_fetches;
};

int64_t iamport_now_ms(struct iamport_client *c);
void iamport_sleep_ms(long ms);

/* ---- one HTTP exchange (iamport_http.c) ---- */

enum iamport_http_method { IAMPORT_GET, IAMPORT_POST, IAMPORT_DELETE };

struct iamport_http_request {
    enum iamport_http_method method;
    const char *path;          /* escaped path + query, starting with '/' */
    const char *authorization; /* NULL = no Authorization header */
    const char *body;          /* JSON text or NULL */
    bool resend_safe;          /* may libcurl rewind the body? (it is sent at most once anyway) */
};

struct iamport_http_response {
    long http_status;          /* 0 when no answer */
    char *body;                /* owned, NUL-terminated (also when empty) */
    size_t body_len;
    CURLcode curl_code;
    bool maybe_sent;           /* transport failure after the request may have left */
    bool too_large;            /* body exceeded IAMPORT_MAX_RESPONSE_BYTES */
    char curl_error[CURL_ERROR_SIZE];
};

/* Performs one request with a pooled handle. Returns 0 when an HTTP answer arrived (any status),
 * -1 on a transport failure (see curl_code, curl_error, maybe_sent). *res is always filled and
 * must be released with iamport_http_response_release(). */
int iamport_http_perform(struct iamport_client *c, const struct iamport_http_request *req,
                         struct iamport_http_response *res);
void iamport_http_response_release(struct iamport_http_response *res);
/* Drops every pooled handle (client shutdown). */
void iamport_http_pool_clear(struct iamport_client *c);

/* ---- envelope and call policy (iamport_client.c) ---- */

enum iamport_call_kind {
    IAMPORT_CALL_LOOKUP,   /* GET: retried on transport errors and 5xx, 404 = not found */
    IAMPORT_CALL_MONEY,    /* never resent once it may have left */
    IAMPORT_CALL_MUTATION, /* like MONEY, but 404 = not found (delete customer) */
};

struct iamport_call {
    enum iamport_http_method method;
    const char *path;      /* escaped path + query */
    const cJSON *body;     /* borrowed; NULL = none */
    enum iamport_call_kind kind;
    bool code1_not_found;  /* 200/code 1 also means not found (older customer answers) */
};

/* Runs a call: token, request, 401 -> refresh -> one retry, lookup retries, envelope mapping.
 * On IAMPORT_OK *response is the envelope's "response" member, detached (caller owns it and
 * frees it with cJSON_Delete; it is a JSON null when the envelope had none). On failure
 * *response is NULL and err is filled. */
enum iamport_status iamport_call(struct iamport_client *c, const struct iamport_call *call,
                                 cJSON **response, struct iamport_error *err);

/* Takes ownership of a call's `response` and fills *out (the struct the reader is for) from it.
 * Returns IAMPORT_OK, or IAMPORT_E_PARSE with err filled and nothing left in *out. */
typedef enum iamport_status (*iamport_reader)(cJSON *response, void *out,
                                              struct iamport_error *err);

/* Runs a call and, on IAMPORT_OK, hands its response to `read` to fill *out. Returns the
 * outcome through iamport_done (err is zeroed on IAMPORT_OK). */
enum iamport_status iamport_call_read(struct iamport_client *c, const struct iamport_call *call,
                                      iamport_reader read, void *out, struct iamport_error *err);
/* GET `path` (borrowed) as a lookup, read into *out. */
enum iamport_status iamport_get_read(struct iamport_client *c, const char *path,
                                     iamport_reader read, void *out, struct iamport_error *err);
/* GET prefix + escaped id + suffix as a lookup (the id checked as iamport_id_path does, named
 * `what`), read into *out. */
enum iamport_status iamport_get_by_id(struct iamport_client *c, const char *what, const char *id,
                                      const char *prefix, const char *suffix,
                                      iamport_reader read, void *out, struct iamport_error *err);
/* POST `body` (consumed: deleted here) to `path` (borrowed) as a money call, read into *out. */
enum iamport_status iamport_post_read(struct iamport_client *c, const char *path, cJSON *body,
                                      iamport_reader read, void *out, struct iamport_error *err);

/* Envelope {code, message, response} -> status, for an HTTP answer already received.
 * `is_token_call` maps refusals to IAMPORT_E_AUTH. */
enum iamport_status iamport_map_answer(const struct iamport_call *call, bool is_token_call,
                                       long http_status, const char *body, size_t body_len,
                                       cJSON **response, struct iamport_error *err);

/* ---- token cache (iamport_token.c) ---- */

void iamport_token_cache_init(struct iamport_token_cache *t);
void iamport_token_cache_destroy(struct iamport_token_cache *t);
/* A copy of a token valid for more than 60 s (fetching one when needed, single flight). When
 * `stale_generation` is non-zero and still the cached generation, a refresh is forced (a call
 * got 401 with it). *token_out: caller frees. *generation_out may be NULL. */
enum iamport_status iamport_token_acquire(struct iamport_client *c, uint64_t stale_generation,
                                          char **token_out, uint64_t *generation_out,
                                          int64_t *expires_in_ms, struct iamport_error *err);

/* ---- errors and arguments (iamport_errors.c) ---- */

/* printf into err->detail (err may be NULL). Returns `status` for `return fail(...)` use. */
enum iamport_status iamport_fail(struct iamport_error *err, enum iamport_status status,
                                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Returns status; on IAMPORT_OK zeroes *err first (err is only filled on failure). */
enum iamport_status iamport_done(enum iamport_status status, struct iamport_error *err);
/* Copies `text` into dst (size cap), cutting at a UTF-8 character boundary. */
void iamport_copy_utf8(char *dst, size_t cap, const char *text);
/* Checks a path id (non-empty, not "." or "..", at most IAMPORT_ID_MAX bytes). */
enum iamport_status iamport_check_id(const char *what, const char *id, struct iamport_error *err);
/* URL-escapes an id for a path segment or query value. Caller frees with free(). */
char *iamport_escape(const char *text);
/* Opening of every public call: returns err, or `local` when err is NULL, after zeroing it and
 * the out_size bytes of *out. */
struct iamport_error *iamport_begin(struct iamport_error *err, struct iamport_error *local,
                                    void *out, size_t out_size);
/* Checks `id` (iamport_check_id, naming it `what`) and sets *path to prefix + escaped id +
 * suffix (caller frees). Returns IAMPORT_OK, or IAMPORT_E_INVALID_ARGUMENT with err filled and
 * *path NULL. */
enum iamport_status iamport_id_path(const char *what, const char *id, const char *prefix,
                                    const char *suffix, char **path, struct iamport_error *err);

/* ---- typed JSON getters (iamport_json.c) ----
 * All return 0, or -1 after filling err with IAMPORT_E_PARSE and a detail naming the field.
 * Absent or null optional fields give NULL / 0 / false / `fallback`. */
int iamport_json_string(const cJSON *obj, const char *field, bool required, char **out,
                        struct iamport_error *err);
int iamport_json_int64(const cJSON *obj, const char *field, bool required, int64_t fallback,
                       int64_t *out, struct iamport_error *err);
int iamport_json_bool(const cJSON *obj, const char *field, bool *out, struct iamport_error *err);
/* Like iamport_json_string, but an object/array value is kept as its JSON text. */
int iamport_json_text(const cJSON *obj, const char *field, char **out, struct iamport_error *err);
/* Converts an integral JSON number (|v| <= 2^53) to int64. Returns 0 or -1. */
int iamport_json_number_to_int64(const cJSON *item, int64_t *out);

/* A member of a parsed struct filled from the same-named JSON field (X-macro field lists). */
struct iamport_json_field {
    const char *name;
    size_t offset; /* of a char * (strings) or an int64_t (times) inside the struct */
};
#define IAMPORT_JSON_FIELD(type, member) {#member, offsetof(type, member)}
#define IAMPORT_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Reads each optional string field into the char * at base + offset (caller frees them, e.g.
 * with iamport_json_free_strings). Returns 0, or -1 like the getters above. */
int iamport_json_strings(const cJSON *obj, const struct iamport_json_field *fields, size_t n,
                         void *base, struct iamport_error *err);
/* Reads each optional integral field (absent = 0) into the int64_t at base + offset. */
int iamport_json_times(const cJSON *obj, const struct iamport_json_field *fields, size_t n,
                       void *base, struct iamport_error *err);
/* Frees the char * at base + offset of each field. */
void iamport_json_free_strings(const struct iamport_json_field *fields, size_t n, void *base);

/* Request-body builders. obj, array and field must not be NULL; then, with cJSON allocating
 * through xalloc (xalloc_init_cjson), they cannot fail, so a body with a silently missing field
 * is never sent. Integers are written as exact decimal text, never
 * through a double. add_string and add_copy do nothing for a NULL value; add_copy duplicates
 * the borrowed value. iamport_body_new's result is freed with cJSON_Delete; iamport_body_print's
 * with free(). */
cJSON *iamport_body_new(void);
void iamport_body_add_int64(cJSON *obj, const char *field, int64_t value);
void iamport_body_add_string(cJSON *obj, const char *field, const char *value);
void iamport_body_add_copy(cJSON *obj, const char *field, const cJSON *value);
void iamport_body_add_bool(cJSON *obj, const char *field, bool value);
/* Adds an empty array member and returns it (owned by obj). */
cJSON *iamport_body_add_array(cJSON *obj, const char *field);
/* Appends item (ownership moves to array; item must come from a cJSON_Create* call). */
void iamport_body_append(cJSON *array, cJSON *item);
void iamport_body_append_string(cJSON *array, const char *value);
char *iamport_body_print(const cJSON *obj);

/* ---- schedule parsing (iamport_schedule.c) ---- */
/* iamport_readers for struct iamport_schedule and struct iamport_schedule_list. */
enum iamport_status iamport_read_schedule(cJSON *response, void *out, struct iamport_error *err);
enum iamport_status iamport_read_schedule_list(cJSON *response, void *out,
                                               struct iamport_error *err);
enum iamport_status iamport_schedule_from_json(const cJSON *json, struct iamport_schedule *out,
                                               struct iamport_error *err);
/* Array of Schedule, or paged {total, previous, next, list}. */
enum iamport_status iamport_schedule_list_from_json(const cJSON *json,
                                                    struct iamport_schedule_list *out,
                                                    struct iamport_error *err);

/* ---- customer parsing (iamport_customers.c) ---- */
enum iamport_status iamport_customer_from_json(const cJSON *json, struct iamport_customer *out,
                                               struct iamport_error *err);

/* iamport_reader for struct iamport_payment: parses the response into *out and keeps it as
 * out->raw. */
enum iamport_status iamport_read_payment(cJSON *response, void *out, struct iamport_error *err);

#endif
