/* Integration tests of the typed iamport client against the real iamport-sandbox process. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "server/iamport/iamport.h"
#include "server/iamport/iamport_envelope.h"
#include "server/iamport/iamport_readers.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"
#include "tests/lib/http_client.h"
#include "tests/lib/sandbox_proc.h"
#include "tests/lib/testlib.h"

#define SANDBOX_KEY SANDBOX_IMP_KEY
#define SANDBOX_SECRET SANDBOX_IMP_SECRET
#define CUSTOMER "cu_test_1"
#define MSG_PAYMENT_NOT_FOUND "존재하지 않는 결제정보입니다."

/* ======================================================================================
 * Helpers: sandbox control shorthands, request-log queries, clients, a fake clock, a stub.
 * ====================================================================================== */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct sandbox_proc sb;
static struct iamport_client *client;

/* A control call that must answer 200 (the answer is dropped). */
static void ctl_do(const char *method, const char *path, const char *json_text)
{
    cJSON_Delete(sandbox_ctl(&sb, method, path, json_text));
}

/* A control call whose body is built with cJSON (ids may hold quotes, backslashes...). */
static void ctl_json(const char *method, const char *path, const cJSON *body)
{
    char *text = cJSON_PrintUnformatted(body);
    ck_assert_ptr_nonnull(text);
    ctl_do(method, path, text);
    cJSON_free(text);
}

static void add_fault(const char *method, const char *path, const char *kind, int count,
                      int delay_ms, bool after_processing)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "method", method);
    cJSON_AddStringToObject(body, "path", path);
    cJSON_AddStringToObject(body, "kind", kind);
    cJSON_AddNumberToObject(body, "count", count);
    if (delay_ms >= 0)
        cJSON_AddNumberToObject(body, "delay_ms", delay_ms);
    cJSON_AddBoolToObject(body, "after_processing", after_processing);
    ctl_json("POST", "/__sandbox/faults", body);
    cJSON_Delete(body);
}

/* Percent-decodes text into a new string (caller frees). */
static char *percent_decode(const char *text)
{
    char *out = xmalloc(strlen(text) + 1), *o = out;
    for (const char *p = text; *p; p++) {
        unsigned v;
        if (p[0] == '%' && p[1] && p[2] && sscanf(p + 1, "%2x", &v) == 1) {
            *o++ = (char)v;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* Does a logged path denote `want` (the decoded path)? The sandbox may log the path as received
 * (escaped) or already decoded. */
static bool path_matches(const char *logged, const char *want)
{
    if (strcmp(logged, want) == 0)
        return true;
    char *decoded = percent_decode(logged);
    bool same = strcmp(decoded, want) == 0;
    free(decoded);
    return same;
}

/* Entries of the sandbox request log with this method and path (decoded form). When statuses
 * is given, the answered statuses are written there (up to cap). */
static int count_requests(const char *method, const char *path, int *statuses, int cap)
{
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    const cJSON *entry;
    int n = 0;
    cJSON_ArrayForEach (entry, cJSON_GetObjectItem(log, "requests")) {
        const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "method"));
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "path"));
        if (m && p && strcmp(m, method) == 0 && path_matches(p, path)) {
            if (statuses && n < cap)
                statuses[n] = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(entry, "status"));
            n++;
        }
    }
    cJSON_Delete(log);
    return n;
}

/* The last logged request with this method and path (caller frees), or NULL. */
static cJSON *last_request(const char *method, const char *path)
{
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    const cJSON *entry, *found = NULL;
    cJSON_ArrayForEach (entry, cJSON_GetObjectItem(log, "requests")) {
        const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "method"));
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "path"));
        if (m && p && strcmp(m, method) == 0 && path_matches(p, path))
            found = entry;
    }
    cJSON *copy = found ? cJSON_Duplicate(found, 1) : NULL;
    cJSON_Delete(log);
    return copy;
}

/* Waits until count_requests() reaches `want` (the sandbox logs a hung request only when it
 * finally drops it), then returns the count. */
static int wait_for_requests(const char *method, const char *path, int want, long max_ms)
{
    int n = 0;
    for (long waited = 0; waited <= max_ms; waited += 50) {
        n = count_requests(method, path, NULL, 0);
        if (n >= want)
            break;
        testlib_sleep_ms(50);
    }
    return n;
}

static int ledger_count(const char *merchant_uid)
{
    cJSON *ledger = sandbox_ctl(&sb, "GET", "/__sandbox/ledger", NULL);
    const cJSON *entry = cJSON_GetObjectItem(cJSON_GetObjectItem(ledger, "charges"), merchant_uid);
    int n = entry ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(entry, "count")) : 0;
    cJSON_Delete(ledger);
    return n;
}

/* getToken calls the sandbox answered, and tokens it issued. */
static void token_counts(int *calls, int *issued)
{
    cJSON *t = sandbox_ctl(&sb, "GET", "/__sandbox/tokens", NULL);
    *calls = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(t, "calls"));
    *issued = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(t, "issued"));
    cJSON_Delete(t);
}

static atomic_int_fast64_t fake_now_ms = 5000000;

/* A clock the test moves; read atomically because client threads read it while others wait. */
static int64_t fake_clock_now_ms(const struct clock *clock)
{
    (void)clock;
    return atomic_load(&fake_now_ms);
}

static const struct clock fake_clock = {fake_clock_now_ms, 0};

static void advance_fake_clock_s(int64_t seconds)
{
    atomic_fetch_add(&fake_now_ms, seconds * 1000);
}

struct client_setup {
    const char *secret; /* NULL = the sandbox's */
    long timeout_ms;    /* 0 = 5000 */
    bool fake_clock;
};

static struct iamport_client *client_new_for(const char *base_url, const struct client_setup *cs)
{
    struct iamport_client_options o = {
        .base_url = base_url,
        .api_key = SANDBOX_KEY,
        .api_secret = cs && cs->secret ? cs->secret : SANDBOX_SECRET,
        .connect_timeout_ms = 2000,
        .timeout_ms = cs && cs->timeout_ms ? cs->timeout_ms : 5000,
        .clock = cs && cs->fake_clock ? &fake_clock : NULL,
    };
    struct iamport_client *c = iamport_client_new(&o);
    ck_assert_ptr_nonnull(c);
    return c;
}

static void sandbox_setup(void)
{
    log_set_level(LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ck_assert_int_eq(sandbox_start(&sb, NULL), 0);
    client = client_new_for(sb.base_url, NULL);
    sandbox_add_customer(&sb, CUSTOMER, NULL);
}

static void sandbox_teardown(void)
{
    iamport_client_free(client);
    client = NULL;
    bool running = sb.pid > 0;
    int exit_status = sandbox_stop(&sb);
    log_shutdown();
    /* the sandbox itself runs under ASan too: a clean exit means it saw nothing wrong */
    ck_assert_msg(!running || exit_status == 0, "iamport-sandbox exit status %d", exit_status);
}

static void plain_setup(void)
{
    log_set_level(LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void plain_teardown(void)
{
    log_shutdown();
}

/* Charges CUSTOMER through `c`; asserts success and returns the payment (caller releases). */
static void charge(struct iamport_client *c, const char *merchant_uid, int64_t amount,
                   struct iamport_payment *out)
{
    struct iamport_again_request req = {.customer_uid = CUSTOMER,
                                        .merchant_uid = merchant_uid,
                                        .amount = amount,
                                        .name = "정기결제"};
    struct iamport_error err;
    enum iamport_status st = iamport_again(c, &req, out, &err);
    ck_assert_msg(st == IAMPORT_OK, "again '%s': %s %d '%s' %s", merchant_uid,
                  iamport_status_name(st), err.code, err.message, err.detail);
    ck_assert_int_eq(out->status, IAMPORT_PAYMENT_PAID);
}

/* A port nothing listens on: bind port 0, read it, close. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- an in-process HTTP stub for answers the sandbox never gives ---- */

struct stub_route {
    const char *path;
    int status;
    const char *content_type;
    char *body; /* owned */
    size_t body_len;
    atomic_int hits;
    /* headers of the latest request (written by the stub's thread, read after the call) */
    char last_authorization[128];
    char last_tier[16];
    bool last_had_tier;
};

struct stub {
    struct MHD_Daemon *daemon;
    char base_url[64];
    struct stub_route routes[8];
    size_t count;
};

static enum MHD_Result stub_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_size, void **state)
{
    (void)method;
    (void)version;
    (void)upload_data;
    static int marker;
    struct stub *st = cls;
    if (*state == NULL) {
        *state = &marker;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    struct stub_route *r = NULL;
    for (size_t i = 0; i < st->count && !r; i++) {
        if (strcmp(st->routes[i].path, url) == 0)
            r = &st->routes[i];
    }
    struct MHD_Response *resp;
    unsigned status = 404;
    if (r) {
        const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        const char *tier = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Tier");
        snprintf(r->last_authorization, sizeof r->last_authorization, "%s", authz ? authz : "");
        snprintf(r->last_tier, sizeof r->last_tier, "%s", tier ? tier : "");
        r->last_had_tier = tier != NULL;
        atomic_fetch_add(&r->hits, 1);
        status = (unsigned)r->status;
        resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(resp, "Content-Type", r->content_type);
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void stub_route(struct stub *st, const char *path, int status, const char *body,
                       size_t body_len)
{
    ck_assert_uint_lt(st->count, 8);
    struct stub_route *r = &st->routes[st->count++];
    r->path = path;
    r->status = status;
    r->content_type = "application/json";
    r->body = xmalloc(body_len + 1);
    memcpy(r->body, body, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    atomic_init(&r->hits, 0);
}

static void stub_token_route(struct stub *st, long lifetime_s)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"code\":0,\"message\":null,\"response\":{\"access_token\":\"stubtoken123\","
             "\"now\":1700000000,\"expired_at\":%ld}}",
             1700000000L + lifetime_s);
    stub_route(st, "/users/getToken", 200, body, strlen(body));
}

static void stub_start(struct stub *st)
{
    st->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                                  0, NULL, NULL, stub_handler, st, MHD_OPTION_END);
    ck_assert_ptr_nonnull(st->daemon);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(st->daemon, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_ptr_nonnull(info);
    snprintf(st->base_url, sizeof st->base_url, "http://127.0.0.1:%u", (unsigned)info->port);
}

static struct stub_route *stub_find(struct stub *st, const char *path)
{
    for (size_t i = 0; i < st->count; i++) {
        if (strcmp(st->routes[i].path, path) == 0)
            return &st->routes[i];
    }
    ck_abort_msg("no stub route '%s'", path);
    return NULL;
}

static int stub_hits(struct stub *st, const char *path)
{
    return atomic_load(&stub_find(st, path)->hits);
}

static void stub_stop(struct stub *st)
{
    MHD_stop_daemon(st->daemon);
    for (size_t i = 0; i < st->count; i++)
        free(st->routes[i].body);
}

/* ======================================================================================
 * Token cache
 * ====================================================================================== */

struct lookup_worker {
    struct iamport_client *client;
    pthread_barrier_t *start;
    const char *imp_uid;
    enum iamport_status status;
    enum iamport_payment_status payment_status;
};

static void *lookup_thread(void *arg)
{
    struct lookup_worker *w = arg;
    struct iamport_payment p;
    pthread_barrier_wait(w->start);
    w->status = iamport_get_payment(w->client, w->imp_uid, &p, NULL);
    w->payment_status = p.status;
    iamport_payment_release(&p);
    return NULL;
}

/* Runs 32 concurrent get_payment(imp_uid) calls; asserts every one returned `want`. */
static void run_32_lookups(struct iamport_client *c, const char *imp_uid, enum iamport_status want)
{
    enum { N = 32 };
    pthread_t threads[N];
    struct lookup_worker workers[N];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    for (int i = 0; i < N; i++) {
        workers[i] = (struct lookup_worker){.client = c, .start = &start, .imp_uid = imp_uid};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, lookup_thread, &workers[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < N; i++) {
        ck_assert_msg(workers[i].status == want, "thread %d got %s", i,
                      iamport_status_name(workers[i].status));
        if (want == IAMPORT_OK)
            ck_assert_int_eq(workers[i].payment_status, IAMPORT_PAYMENT_PAID);
    }
}

START_TEST(token_fetched_once_for_32_concurrent_callers)
{
    struct iamport_payment paid;
    charge(client, "m_single_flight", 1000, &paid); /* getToken call #1, by another client */
    struct iamport_client *fresh = client_new_for(sb.base_url, NULL);
    /* A slow getToken makes sure all 32 threads pile up behind the one refresh. */
    add_fault("POST", "/users/getToken", "latency", 1, 300, false);

    run_32_lookups(fresh, paid.imp_uid, IAMPORT_OK);

    int calls, issued;
    token_counts(&calls, &issued);
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(issued, 1); /* the sandbox handed the same live token to both clients */
    struct iamport_client_stats stats;
    iamport_client_get_stats(fresh, &stats);
    ck_assert_uint_eq(stats.token_fetches, 1);
    ck_assert_uint_eq(stats.requests, 33);
    iamport_payment_release(&paid);
    iamport_client_free(fresh);
}
END_TEST

START_TEST(expired_token_midflight_refreshes_once_and_retries)
{
    struct iamport_payment paid, again;
    struct iamport_error err;
    charge(client, "m_expire_1", 1000, &paid);
    ctl_do("POST", "/__sandbox/tokens/expire", NULL);
    char *path = xasprintf("/payments/%s", paid.imp_uid);

    ck_assert_int_eq(iamport_get_payment(client, paid.imp_uid, &again, &err), IAMPORT_OK);
    ck_assert_str_eq(again.imp_uid, paid.imp_uid);
    int statuses[4] = {0};
    ck_assert_int_eq(count_requests("GET", path, statuses, 4), 2);
    ck_assert_int_eq(statuses[0], 401);
    ck_assert_int_eq(statuses[1], 200);
    int calls, issued;
    token_counts(&calls, &issued);
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(issued, 2);
    iamport_payment_release(&again);
    iamport_payment_release(&paid);
    free(path);
}
END_TEST

START_TEST(expired_token_with_32_callers_refreshes_once)
{
    struct iamport_payment paid;
    charge(client, "m_expire_32", 1000, &paid);
    ctl_do("POST", "/__sandbox/tokens/expire", NULL);
    add_fault("POST", "/users/getToken", "latency", 1, 300, false);

    run_32_lookups(client, paid.imp_uid, IAMPORT_OK);

    int calls, issued;
    token_counts(&calls, &issued);
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(issued, 2);
    char *path = xasprintf("/payments/%s", paid.imp_uid);
    int statuses[64] = {0};
    int n = count_requests("GET", path, statuses, 64);
    int ok = 0, unauthorized = 0;
    for (int i = 0; i < n && i < 64; i++) {
        ok += statuses[i] == 200;
        unauthorized += statuses[i] == 401;
    }
    ck_assert_int_eq(ok, 32);
    ck_assert_int_ge(unauthorized, 1);
    ck_assert_int_eq(n, ok + unauthorized);
    iamport_payment_release(&paid);
    free(path);
}
END_TEST

START_TEST(expired_token_on_a_charge_retries_once_and_charges_once)
{
    struct iamport_payment warm, p;
    charge(client, "m_warm", 100, &warm);
    ctl_do("POST", "/__sandbox/tokens/expire", NULL);
    charge(client, "m_after_expiry", 2500, &p);
    int statuses[4] = {0};
    ck_assert_int_eq(count_requests("POST", "/subscribe/payments/again", statuses, 4), 3);
    ck_assert_int_eq(statuses[1], 401);
    ck_assert_int_eq(statuses[2], 200);
    ck_assert_int_eq(ledger_count("m_after_expiry"), 1);
    iamport_payment_release(&warm);
    iamport_payment_release(&p);
}
END_TEST

START_TEST(token_refreshed_60_seconds_before_expiry)
{
    struct iamport_client *c =
        client_new_for(sb.base_url, &(struct client_setup){.fake_clock = true});
    struct iamport_payment p;
    int calls, issued;
    char *token = NULL;
    int64_t left = 0;

    ck_assert_int_eq(iamport_get_token(c, &token, &left, NULL), IAMPORT_OK);
    ck_assert_int_eq(left, 1800); /* the sandbox's 30 minutes, by our (frozen) clock */
    free(token);
    advance_fake_clock_s(1800 - 61);
    ck_assert_int_eq(iamport_get_payment(c, "imp_none", &p, NULL), IAMPORT_E_NOT_FOUND);
    token_counts(&calls, &issued);
    ck_assert_int_eq(calls, 1); /* 61 s left: still used */

    advance_fake_clock_s(2); /* 59 s left: refreshed before use */
    ck_assert_int_eq(iamport_get_payment(c, "imp_none", &p, NULL), IAMPORT_E_NOT_FOUND);
    token_counts(&calls, &issued);
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(issued, 1); /* the server's copy was still live: same token again */
    iamport_client_free(c);
}
END_TEST

START_TEST(token_expiry_follows_server_time_not_local_wall_clock)
{
    /* The server's clock is 10 days ahead of ours: expired_at is 10 days + 30 min from our wall
     * clock, but only expired_at - now = 30 min may count. */
    ctl_do("POST", "/__sandbox/clock", "{\"advance_seconds\":864000}");
    struct iamport_client *c =
        client_new_for(sb.base_url, &(struct client_setup){.fake_clock = true});
    struct iamport_payment p;
    int calls, issued;
    ck_assert_int_eq(iamport_get_payment(c, "imp_none", &p, NULL), IAMPORT_E_NOT_FOUND);
    advance_fake_clock_s(1800 - 59);
    ck_assert_int_eq(iamport_get_payment(c, "imp_none", &p, NULL), IAMPORT_E_NOT_FOUND);
    token_counts(&calls, &issued);
    ck_assert_int_eq(calls, 2);
    iamport_client_free(c);
}
END_TEST

START_TEST(token_sent_as_plain_authorization_header)
{
    struct iamport_payment p;
    char *token = NULL;
    ck_assert_int_eq(iamport_get_payment(client, "imp_hdr", &p, NULL), IAMPORT_E_NOT_FOUND);
    cJSON *entry = last_request("GET", "/payments/imp_hdr");
    ck_assert_ptr_nonnull(entry);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(entry, "auth")), "authorization");
    cJSON_Delete(entry);

    /* The token the client holds is the one the sandbox hands out, and works bare. */
    ck_assert_int_eq(iamport_get_token(client, &token, NULL, NULL), IAMPORT_OK);
    char *header = xasprintf("Authorization: %s", token);
    const char *headers[] = {header, NULL};
    char *url = sandbox_url(&sb, "/payments/imp_hdr2");
    struct http_client_request rq = {.url = url, .headers = headers};
    struct http_client_response answer;
    ck_assert_int_eq(http_client_do(&rq, &answer), 0);
    ck_assert_int_eq(answer.status, 404); /* not 401: the bare token was accepted */
    ck_assert_str_eq(http_client_message(&answer), MSG_PAYMENT_NOT_FOUND);
    http_client_response_release(&answer);
    free(url);
    free(header);
    free(token);
}
END_TEST

START_TEST(include_sandbox_is_sent_on_payment_lookups)
{
    struct iamport_client_options o = {.base_url = sb.base_url,
                                       .api_key = SANDBOX_KEY,
                                       .api_secret = SANDBOX_SECRET,
                                       .include_sandbox = true};
    struct iamport_client *c = iamport_client_new(&o);
    struct iamport_payment p;
    ck_assert_int_eq(iamport_get_payment(c, "imp_sb", &p, NULL), IAMPORT_E_NOT_FOUND);
    ck_assert_int_eq(iamport_find_payment(c, "m_sb", &p, NULL), IAMPORT_E_NOT_FOUND);
    ck_assert_int_eq(iamport_find_payment_by_status(c, "m_sb", IAMPORT_PAYMENT_PAID, &p, NULL),
                     IAMPORT_E_NOT_FOUND);
    const char *paths[] = {"/payments/imp_sb", "/payments/find/m_sb", "/payments/find/m_sb/paid"};
    for (size_t i = 0; i < 3; i++) {
        cJSON *entry = last_request("GET", paths[i]);
        ck_assert_msg(entry != NULL, "no request for '%s'", paths[i]);
        ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
                             cJSON_GetObjectItem(entry, "query"), "include_sandbox")),
                         "true");
        cJSON_Delete(entry);
    }
    ck_assert_int_eq(iamport_get_payment(client, "imp_nosb", &p, NULL), IAMPORT_E_NOT_FOUND);
    cJSON *entry = last_request("GET", "/payments/imp_nosb");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(entry, "query")), 0);
    cJSON_Delete(entry);
    iamport_client_free(c);
}
END_TEST

START_TEST(bad_credentials_are_auth_errors)
{
    struct iamport_client *c =
        client_new_for(sb.base_url, &(struct client_setup){.secret = "wrong_secret"});
    struct iamport_payment p;
    struct iamport_error err;
    char *token = (char *)"untouched";

    ck_assert_int_eq(iamport_get_payment(c, "imp_x", &p, &err), IAMPORT_E_AUTH);
    ck_assert_int_eq(err.http_status, 401);
    ck_assert_int_eq(err.code, -1);
    ck_assert_str_eq(err.message, "imp_key, imp_secret 인증에 실패하였습니다.");
    ck_assert_int_eq(iamport_get_token(c, &token, NULL, &err), IAMPORT_E_AUTH);
    ck_assert_ptr_null(token);
    ck_assert_str_eq(err.message, "imp_key, imp_secret 인증에 실패하였습니다.");
    struct iamport_again_request req = {
        .customer_uid = CUSTOMER, .merchant_uid = "m_badcred", .amount = 100, .name = "x"};
    ck_assert_int_eq(iamport_again(c, &req, &p, &err), IAMPORT_E_AUTH);
    ck_assert_int_eq(count_requests("POST", "/subscribe/payments/again", NULL, 0), 0);
    ck_assert_int_eq(ledger_count("m_badcred"), 0);
    iamport_client_free(c);
}
END_TEST

START_TEST(secrets_and_tokens_never_reach_the_log)
{
    FILE *capture = tmpfile();
    ck_assert_ptr_nonnull(capture);
    log_set_stream(capture);
    log_set_level(LOG_DEBUG);
    struct iamport_payment p;
    char *token = NULL;

    charge(client, "m_log", 1000, &p);
    iamport_payment_release(&p);
    ck_assert_int_eq(iamport_get_token(client, &token, NULL, NULL), IAMPORT_OK);
    ctl_do("POST", "/__sandbox/tokens/expire", NULL);
    ck_assert_int_eq(iamport_find_payment(client, "m_log", &p, NULL), IAMPORT_OK);
    iamport_payment_release(&p);
    char *second = NULL;
    ck_assert_int_eq(iamport_get_token(client, &second, NULL, NULL), IAMPORT_OK);
    ck_assert_str_ne(token, second);
    struct iamport_client *bad =
        client_new_for(sb.base_url, &(struct client_setup){.secret = "wrong_secret_value"});
    ck_assert_int_eq(iamport_get_payment(bad, "imp_x", &p, NULL), IAMPORT_E_AUTH);
    iamport_client_free(bad);

    fflush(capture);
    long size = ftell(capture);
    ck_assert_int_gt(size, 0); /* debug lines were written */
    char *text = xcalloc(1, (size_t)size + 1);
    rewind(capture);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, capture), (size_t)size);
    ck_assert_ptr_nonnull(strstr(text, "/subscribe/payments/again"));
    ck_assert_ptr_null(strstr(text, token));
    ck_assert_ptr_null(strstr(text, second));
    ck_assert_ptr_null(strstr(text, SANDBOX_SECRET));
    ck_assert_ptr_null(strstr(text, "wrong_secret_value"));
    ck_assert_ptr_null(strstr(text, "[redacted]")); /* nothing even tried to log them */
    /* ...and had anything tried, the logger would scrub them: they are registered. */
    char *scrubbed = log_scrub(token);
    ck_assert_str_eq(scrubbed, "[redacted]");
    free(scrubbed);
    scrubbed = log_scrub(second);
    ck_assert_str_eq(scrubbed, "[redacted]");
    free(scrubbed);
    scrubbed = log_scrub(SANDBOX_SECRET);
    ck_assert_str_eq(scrubbed, "[redacted]");
    free(scrubbed);
    log_set_stream(NULL);
    fclose(capture);
    free(text);
    free(token);
    free(second);
}
END_TEST

/* ======================================================================================
 * Charges, declines and the unknown-outcome rules
 * ====================================================================================== */

START_TEST(decline_is_ok_with_failed_payment)
{
    ctl_do("POST", "/__sandbox/decline",
           "{\"customer_uid\":\"" CUSTOMER "\",\"count\":1,\"reason\":\"한도초과\"}");
    struct iamport_again_request req = {
        .customer_uid = CUSTOMER, .merchant_uid = "m_decline", .amount = 39000, .name = "월 구독"};
    struct iamport_payment p;
    struct iamport_error err;
    ck_assert_int_eq(iamport_again(client, &req, &p, &err), IAMPORT_OK);
    ck_assert_int_eq(p.status, IAMPORT_PAYMENT_FAILED);
    ck_assert_str_eq(p.status_text, "failed");
    ck_assert_str_eq(p.fail_reason, "한도초과");
    ck_assert_str_eq(p.merchant_uid, "m_decline");
    ck_assert_int_eq(p.amount, 39000);
    ck_assert_int_eq(p.paid_at, 0);
    ck_assert_int_gt(p.failed_at, 0);
    ck_assert_ptr_nonnull(p.raw_json);
    cJSON *raw = iamport_payment_raw(&p);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(raw, "status")), "failed");
    cJSON_Delete(raw);
    ck_assert_int_eq(err.http_status, 0);
    ck_assert_str_eq(err.message, "");
    iamport_payment_release(&p);

    /* The next charge goes through. */
    req.merchant_uid = "m_decline_2";
    ck_assert_int_eq(iamport_again(client, &req, &p, &err), IAMPORT_OK);
    ck_assert_int_eq(p.status, IAMPORT_PAYMENT_PAID);
    ck_assert_ptr_null(p.fail_reason);
    iamport_payment_release(&p);
}
END_TEST

START_TEST(again_fields_round_trip)
{
    cJSON *custom = cJSON_Parse("{\"plan\":\"pro\",\"seats\":3}");
    cJSON *extra = cJSON_Parse("{\"naverUseCfm\":\"20300101\"}");
    struct iamport_again_request req = {.customer_uid = CUSTOMER,
                                        .merchant_uid = "m_fields",
                                        .amount = 2147483648LL * 2,
                                        .name = "연간 구독",
                                        .tax_free = 1000,
                                        .buyer_name = "홍길동",
                                        .buyer_email = "a@example.com",
                                        .buyer_tel = "010-1234-5678",
                                        .custom_data = custom,
                                        .notice_url = "https://merchant.invalid/hook",
                                        .extra = extra};
    struct iamport_payment p;
    ck_assert_int_eq(iamport_again(client, &req, &p, NULL), IAMPORT_OK);
    ck_assert_int_eq(p.amount, 4294967296LL);
    ck_assert_str_eq(p.buyer_name, "홍길동");
    ck_assert_str_eq(p.customer_uid, CUSTOMER);
    ck_assert_str_eq(p.customer_uid_usage, "payment");
    ck_assert_str_eq(p.channel, "api");
    ck_assert_str_eq(p.currency, "KRW");
    ck_assert_str_eq(p.custom_data, "{\"plan\":\"pro\",\"seats\":3}");
    ck_assert_str_eq(p.card_number, "4092-12**-****-1234");
    ck_assert_int_eq(p.card_type, 0);
    ck_assert_int_eq(p.cancel_history_count, 0);

    cJSON *entry = last_request("POST", "/subscribe/payments/again");
    const cJSON *body = cJSON_GetObjectItem(entry, "body");
    ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(body, "amount")), 4294967296.0);
    ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(body, "tax_free")), 1000.0);
    ck_assert_str_eq(cJSON_GetStringValue(
                         cJSON_GetObjectItem(cJSON_GetObjectItem(body, "extra"), "naverUseCfm")),
                     "20300101");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(body, "notice_url")),
                     "https://merchant.invalid/hook");
    ck_assert_ptr_null(cJSON_GetObjectItem(body, "currency")); /* not sent when NULL */
    cJSON_Delete(entry);
    iamport_payment_release(&p);
    cJSON_Delete(custom);
    cJSON_Delete(extra);
}
END_TEST

/* A charge whose answer never comes (hang or dropped connection after iamport processed it). */
static void check_unknown_outcome_then_lookup(const char *fault_kind, const char *merchant_uid)
{
    struct iamport_client *c =
        client_new_for(sb.base_url, &(struct client_setup){.timeout_ms = 500});
    struct iamport_payment p;
    struct iamport_error err;
    char *token = NULL;
    ck_assert_int_eq(iamport_get_token(c, &token, NULL, NULL), IAMPORT_OK); /* warm connection */
    free(token);
    add_fault("POST", "/subscribe/payments/again", fault_kind, 1, 1500, true);
    struct iamport_again_request req = {
        .customer_uid = CUSTOMER, .merchant_uid = merchant_uid, .amount = 15000, .name = "x"};

    int64_t start = wall_ms();
    ck_assert_int_eq(iamport_again(c, &req, &p, &err), IAMPORT_E_TIMEOUT_UNKNOWN);
    ck_assert_int_lt(wall_ms() - start, 1400);
    ck_assert(iamport_outcome_unknown(IAMPORT_E_TIMEOUT_UNKNOWN, &err));
    ck_assert_int_eq(err.http_status, 0);
    ck_assert_ptr_nonnull(strstr(err.detail, "outcome unknown"));
    ck_assert_int_eq(err.timed_out, strcmp(fault_kind, "drop") != 0); /* a drop is no timeout */
    ck_assert_ptr_null(p.imp_uid);

    /* Looking the merchant_uid up shows the charge that did happen. */
    ck_assert_int_eq(iamport_find_payment(c, merchant_uid, &p, &err), IAMPORT_OK);
    ck_assert_int_eq(p.status, IAMPORT_PAYMENT_PAID);
    ck_assert_int_eq(p.amount, 15000);
    iamport_payment_release(&p);

    /* Exactly one charge request was sent, and it was not repeated. */
    ck_assert_int_eq(wait_for_requests("POST", "/subscribe/payments/again", 1, 5000), 1);
    testlib_sleep_ms(300);
    ck_assert_int_eq(count_requests("POST", "/subscribe/payments/again", NULL, 0), 1);
    ck_assert_int_eq(ledger_count(merchant_uid), 1);
    struct iamport_client_stats stats;
    iamport_client_get_stats(c, &stats);
    ck_assert_uint_eq(stats.requests, 3); /* getToken, again, find */
    iamport_client_free(c);
}

START_TEST(again_hang_after_processing_is_unknown_and_not_retried)
{
    check_unknown_outcome_then_lookup("hang", "m_hang");
}
END_TEST

START_TEST(again_drop_after_processing_is_unknown_and_not_retried)
{
    /* The connection is a reused keep-alive one, where libcurl would silently re-send. */
    check_unknown_outcome_then_lookup("drop", "m_drop");
}
END_TEST

START_TEST(again_drop_before_processing_is_unknown_and_lookup_shows_nothing)
{
    struct iamport_payment p;
    struct iamport_error err;
    add_fault("POST", "/subscribe/payments/again", "drop", 1, -1, false);
    struct iamport_again_request req = {
        .customer_uid = CUSTOMER, .merchant_uid = "m_dropped", .amount = 100, .name = "x"};
    ck_assert_int_eq(iamport_again(client, &req, &p, &err), IAMPORT_E_TIMEOUT_UNKNOWN);
    ck_assert_int_eq(count_requests("POST", "/subscribe/payments/again", NULL, 0), 1);
    ck_assert_int_eq(iamport_find_payment(client, "m_dropped", &p, &err), IAMPORT_E_NOT_FOUND);
    ck_assert_str_eq(err.message, MSG_PAYMENT_NOT_FOUND);
    ck_assert_int_eq(ledger_count("m_dropped"), 0);
}
END_TEST

START_TEST(again_http500_after_processing_is_reported_not_retried)
{
    struct iamport_payment p;
    struct iamport_error err;
    add_fault("POST", "/subscribe/payments/again", "http500", 1, -1, true);
    struct iamport_again_request req = {
        .customer_uid = CUSTOMER, .merchant_uid = "m_500", .amount = 100, .name = "x"};
    ck_assert_int_eq(iamport_again(client, &req, &p, &err), IAMPORT_E_API);
    ck_assert_int_eq(err.http_status, 500);
    ck_assert_int_eq(err.code, -1);
    ck_assert_str_eq(err.message, "Internal Server Error (sandbox fault)");
    ck_assert(iamport_outcome_unknown(IAMPORT_E_API, &err));
    ck_assert_int_eq(count_requests("POST", "/subscribe/payments/again", NULL, 0), 1);
    ck_assert_int_eq(ledger_count("m_500"), 1);
    ck_assert_int_eq(iamport_find_payment(client, "m_500", &p, &err), IAMPORT_OK);
    ck_assert_int_eq(p.status, IAMPORT_PAYMENT_PAID);
    iamport_payment_release(&p);
}
END_TEST

START_TEST(again_bad_json_after_processing_is_parse_error_and_unknown)
{
    struct iamport_payment p;
    struct iamport_error err;
    add_fault("POST", "/subscribe/payments/again", "bad_json", 1, -1, true);
    struct iamport_again_request req = {
        .customer_uid = CUSTOMER, .merchant_uid = "m_badjson", .amount = 100, .name = "x"};
    ck_assert_int_eq(iamport_again(client, &req, &p, &err), IAMPORT_E_PARSE);
    ck_assert_int_eq(err.http_status, 200);
    ck_assert(iamport_outcome_unknown(IAMPORT_E_PARSE, &err));
    ck_assert_int_eq(count_requests("POST", "/subscribe/payments/again", NULL, 0), 1);
    ck_assert_int_eq(ledger_count("m_badjson"), 1);
}
END_TEST

START_TEST(cancel_timeout_is_unknown_and_not_retried)
{
    struct iamport_client *c =
        client_new_for(sb.base_url, &(struct client_setup){.timeout_ms = 500});
    struct iamport_payment p;
    struct iamport_error err;
    charge(c, "m_cancel_hang", 5000, &p);
    iamport_payment_release(&p);
    add_fault("POST", "/payments/cancel", "hang", 1, 1200, true);
    struct iamport_cancel_request req = {.merchant_uid = "m_cancel_hang", .reason = "고객 요청"};
    ck_assert_int_eq(iamport_cancel(c, &req, &p, &err), IAMPORT_E_TIMEOUT_UNKNOWN);
    ck_assert_int_eq(wait_for_requests("POST", "/payments/cancel", 1, 5000), 1);
    testlib_sleep_ms(300);
    ck_assert_int_eq(count_requests("POST", "/payments/cancel", NULL, 0), 1);
    ck_assert_int_eq(iamport_find_payment(c, "m_cancel_hang", &p, &err), IAMPORT_OK);
    ck_assert_int_eq(p.status, IAMPORT_PAYMENT_CANCELLED);
    iamport_payment_release(&p);
    iamport_client_free(c);
}
END_TEST

START_TEST(delete_customer_timeout_is_unknown_and_not_retried)
{
    struct iamport_client *c =
        client_new_for(sb.base_url, &(struct client_setup){.timeout_ms = 500});
    struct iamport_customer cu;
    struct iamport_error err;
    add_fault("DELETE", "/subscribe/customers/" CUSTOMER, "hang", 1, 1200, true);
    ck_assert_int_eq(iamport_delete_customer(c, CUSTOMER, NULL, NULL, &cu, &err),
                     IAMPORT_E_TIMEOUT_UNKNOWN);
    ck_assert_int_eq(wait_for_requests("DELETE", "/subscribe/customers/" CUSTOMER, 1, 5000), 1);
    testlib_sleep_ms(300);
    ck_assert_int_eq(count_requests("DELETE", "/subscribe/customers/" CUSTOMER, NULL, 0), 1);
    ck_assert_int_eq(iamport_get_customer(c, CUSTOMER, &cu, &err), IAMPORT_E_NOT_FOUND);
    iamport_client_free(c);
}
END_TEST

/* ======================================================================================
 * Lookup retries and transport errors
 * ====================================================================================== */

START_TEST(lookup_retried_after_one_http500)
{
    struct iamport_payment paid, p;
    charge(client, "m_retry", 700, &paid);
    char *path = xasprintf("/payments/%s", paid.imp_uid);
    add_fault("GET", path, "http500", 1, -1, false);
    ck_assert_int_eq(iamport_get_payment(client, paid.imp_uid, &p, NULL), IAMPORT_OK);
    ck_assert_int_eq(p.amount, 700);
    int statuses[4] = {0};
    ck_assert_int_eq(count_requests("GET", path, statuses, 4), 2);
    ck_assert_int_eq(statuses[0], 500);
    ck_assert_int_eq(statuses[1], 200);
    iamport_payment_release(&p);
    iamport_payment_release(&paid);
    free(path);
}
END_TEST

START_TEST(lookup_fails_after_three_http500)
{
    struct iamport_payment paid, p;
    struct iamport_error err;
    charge(client, "m_retry3", 700, &paid);
    char *path = xasprintf("/payments/%s", paid.imp_uid);
    add_fault("GET", path, "http500", 4, -1, false);
    int64_t start = wall_ms();
    ck_assert_int_eq(iamport_get_payment(client, paid.imp_uid, &p, &err), IAMPORT_E_API);
    ck_assert_int_ge(wall_ms() - start, 400); /* 100 ms + 300 ms backoff */
    ck_assert_int_eq(err.http_status, 500);
    ck_assert_int_eq(err.code, -1);
    ck_assert_str_eq(err.message, "Internal Server Error (sandbox fault)");
    ck_assert_int_eq(count_requests("GET", path, NULL, 0), 3);
    /* the fourth fault is still pending: the client stopped at three */
    ck_assert_int_eq(iamport_get_payment(client, paid.imp_uid, &p, &err), IAMPORT_OK);
    ck_assert_int_eq(count_requests("GET", path, NULL, 0), 5);
    iamport_payment_release(&p);
    iamport_payment_release(&paid);
    free(path);
}
END_TEST

START_TEST(lookup_retried_after_dropped_connections)
{
    struct iamport_payment p;
    struct iamport_error err;
    add_fault("GET", "/payments/find/m_nothing", "drop", 2, -1, false);
    ck_assert_int_eq(iamport_find_payment(client, "m_nothing", &p, &err), IAMPORT_E_NOT_FOUND);
    int statuses[4] = {0};
    ck_assert_int_eq(count_requests("GET", "/payments/find/m_nothing", statuses, 4), 3);
    ck_assert_int_eq(statuses[0], 0);
    ck_assert_int_eq(statuses[1], 0);
    ck_assert_int_eq(statuses[2], 404);

    add_fault("GET", "/payments/find/m_nothing2", "drop", 3, -1, false);
    ck_assert_int_eq(iamport_find_payment(client, "m_nothing2", &p, &err), IAMPORT_E_TRANSPORT);
    ck_assert_int_eq(err.http_status, 0);
    ck_assert_str_ne(err.detail, "");
    ck_assert_int_eq(count_requests("GET", "/payments/find/m_nothing2", NULL, 0), 3);
}
END_TEST

START_TEST(lookup_bad_json_is_parse_error)
{
    struct iamport_payment p;
    struct iamport_error err;
    add_fault("GET", "/payments/imp_badjson", "bad_json", 1, -1, false);
    ck_assert_int_eq(iamport_get_payment(client, "imp_badjson", &p, &err), IAMPORT_E_PARSE);
    ck_assert_int_eq(err.http_status, 200);
    ck_assert_ptr_nonnull(strstr(err.detail, "envelope"));
    ck_assert_int_eq(count_requests("GET", "/payments/imp_badjson", NULL, 0), 1);
}
END_TEST

START_TEST(connection_refused_is_transport_error_quickly)
{
    char *url = xasprintf("http://127.0.0.1:%d", closed_port());
    struct iamport_client *c = client_new_for(url, NULL);
    struct iamport_payment p;
    struct iamport_error err;
    struct iamport_again_request req = {
        .customer_uid = CUSTOMER, .merchant_uid = "m_refused", .amount = 100, .name = "x"};
    int64_t start = wall_ms();
    ck_assert_int_eq(iamport_again(c, &req, &p, &err), IAMPORT_E_TRANSPORT);
    ck_assert_int_lt(wall_ms() - start, 2000);
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_TRANSPORT, &err));
    ck_assert_int_eq(err.http_status, 0);
    ck_assert_int_eq(err.timed_out, 0);
    ck_assert_ptr_nonnull(strstr(err.detail, "getToken"));
    start = wall_ms();
    ck_assert_int_eq(iamport_get_payment(c, "imp_x", &p, &err), IAMPORT_E_TRANSPORT);
    ck_assert_int_lt(wall_ms() - start, 2000);
    iamport_client_free(c);
    free(url);
}
END_TEST

START_TEST(server_gone_after_token_is_transport_for_a_charge)
{
    struct iamport_payment p;
    struct iamport_error err;
    char *token = NULL;
    ck_assert_int_eq(iamport_get_token(client, &token, NULL, NULL), IAMPORT_OK);
    free(token);
    ck_assert_int_eq(sandbox_stop(&sb), 0);
    struct iamport_again_request req = {
        .customer_uid = CUSTOMER, .merchant_uid = "m_gone", .amount = 100, .name = "x"};
    int64_t start = wall_ms();
    ck_assert_int_eq(iamport_again(client, &req, &p, &err), IAMPORT_E_TRANSPORT);
    ck_assert_int_lt(wall_ms() - start, 1000);
    ck_assert_int_eq(err.http_status, 0);
    ck_assert_str_ne(err.detail, "");
}
END_TEST

START_TEST(connections_are_reused)
{
    struct iamport_payment paid, p;
    charge(client, "m_reuse", 100, &paid);
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(iamport_get_payment(client, paid.imp_uid, &p, NULL), IAMPORT_OK);
        iamport_payment_release(&p);
        ck_assert_int_eq(iamport_get_payment(client, "imp_missing", &p, NULL), IAMPORT_E_NOT_FOUND);
    }
    struct iamport_client_stats stats;
    iamport_client_get_stats(client, &stats);
    ck_assert_uint_eq(stats.requests, 42); /* getToken, again, 40 lookups */
    ck_assert_uint_eq(stats.connects, 1);
    iamport_payment_release(&paid);
}
END_TEST

START_TEST(connections_are_reused_across_threads)
{
    struct iamport_payment paid;
    charge(client, "m_reuse_threads", 100, &paid);
    for (int round = 0; round < 4; round++)
        run_32_lookups(client, paid.imp_uid, IAMPORT_OK);
    struct iamport_client_stats stats;
    iamport_client_get_stats(client, &stats);
    ck_assert_uint_eq(stats.requests, 2 + 4 * 32);
    /* at most one connection per concurrent thread, kept and reused by the following rounds
     * (the pool keeps IAMPORT_POOL_MAX idle handles) */
    ck_assert_uint_le(stats.connects, 32 + 3 * (32 - IAMPORT_POOL_MAX));
    iamport_payment_release(&paid);
}
END_TEST

/* ======================================================================================
 * iamport's error messages survive exactly
 * ====================================================================================== */

static void assert_error(enum iamport_status got, const struct iamport_error *err,
                         enum iamport_status want, int http_status, int code, const char *message)
{
    ck_assert_msg(got == want, "status %s, want %s (%s)", iamport_status_name(got),
                  iamport_status_name(want), err->detail);
    ck_assert_int_eq(err->http_status, http_status);
    ck_assert_int_eq(err->code, code);
    ck_assert_str_eq(err->message, message);
}

START_TEST(again_errors_keep_code_and_message)
{
    struct iamport_payment p;
    struct iamport_error err;
    struct iamport_again_request req = {
        .customer_uid = "cu_unknown", .merchant_uid = "m_e1", .amount = 100, .name = "x"};
    assert_error(iamport_again(client, &req, &p, &err), &err, IAMPORT_E_API, 200, 1,
                 "등록되지 않은 구매자입니다.");
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_API, &err));

    charge(client, "m_used", 100, &p);
    iamport_payment_release(&p);
    req.customer_uid = CUSTOMER;
    req.merchant_uid = "m_used";
    assert_error(iamport_again(client, &req, &p, &err), &err, IAMPORT_E_API, 200, 1,
                 "이미 주문이 이루어진 건입니다. (동일한 merchant_uid로 결제 또는 취소된 기록이 "
                 "있습니다)");
    ck_assert_int_eq(ledger_count("m_used"), 1);
}
END_TEST

START_TEST(cancel_errors_keep_code_and_message)
{
    struct iamport_payment p;
    struct iamport_error err;
    struct iamport_cancel_request req = {.merchant_uid = "m_never"};
    assert_error(iamport_cancel(client, &req, &p, &err), &err, IAMPORT_E_API, 200, 1,
                 "취소할 결제건이 존재하지 않습니다.");

    charge(client, "m_cancel_twice", 1000, &p);
    iamport_payment_release(&p);
    req.merchant_uid = "m_cancel_twice";
    ck_assert_int_eq(iamport_cancel(client, &req, &p, &err), IAMPORT_OK);
    ck_assert_int_eq(p.status, IAMPORT_PAYMENT_CANCELLED);
    iamport_payment_release(&p);
    assert_error(iamport_cancel(client, &req, &p, &err), &err, IAMPORT_E_API, 200, 1,
                 "이미 전액취소된 주문입니다.");
}
END_TEST

START_TEST(schedule_errors_keep_code_and_message)
{
    struct iamport_schedule_list list;
    struct iamport_schedule s;
    struct iamport_error err;
    assert_error(iamport_unschedule(client, CUSTOMER, NULL, 0, &list, &err), &err, IAMPORT_E_API,
                 200, 1, "취소할 예약결제 기록이 존재하지 않습니다.");
    struct iamport_schedule_item item = {
        .merchant_uid = "s_unknown", .schedule_at = 4102444800, .amount = 100, .name = "x"};
    assert_error(iamport_schedule(client, "cu_unknown", &item, 1, &list, &err), &err, IAMPORT_E_API,
                 200, 1, "등록된 고객정보가 없습니다.");
    assert_error(iamport_get_schedule(client, "s_unknown", &s, &err), &err, IAMPORT_E_NOT_FOUND,
                 404, -1, "존재하지 않는 예약결제 정보입니다.");
}
END_TEST

START_TEST(prepare_errors_keep_code_and_message)
{
    struct iamport_prepared pr;
    struct iamport_error err;
    ck_assert_int_eq(iamport_prepare(client, "p_dup", 5000, &pr, &err), IAMPORT_OK);
    ck_assert_str_eq(pr.merchant_uid, "p_dup");
    ck_assert_int_eq(pr.amount, 5000);
    ck_assert_ptr_null(pr.currency);
    iamport_prepared_release(&pr);
    assert_error(iamport_prepare(client, "p_dup", 5000, &pr, &err), &err, IAMPORT_E_API, 200, 1,
                 "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다).");
    ck_assert_int_eq(iamport_get_prepared(client, "p_dup", &pr, &err), IAMPORT_OK);
    ck_assert_int_eq(pr.amount, 5000);
    iamport_prepared_release(&pr);
    assert_error(iamport_get_prepared(client, "p_missing", &pr, &err), &err, IAMPORT_E_NOT_FOUND,
                 404, -1, "사전등록된 결제정보가 존재하지 않습니다.");
    ck_assert_ptr_null(pr.merchant_uid);
}
END_TEST

START_TEST(payment_not_found_keeps_message)
{
    struct iamport_payment p;
    struct iamport_error err;
    assert_error(iamport_get_payment(client, "imp_000000000000", &p, &err), &err,
                 IAMPORT_E_NOT_FOUND, 404, -1, MSG_PAYMENT_NOT_FOUND);
    assert_error(iamport_find_payment(client, "m_none", &p, &err), &err, IAMPORT_E_NOT_FOUND, 404,
                 -1, MSG_PAYMENT_NOT_FOUND);
    charge(client, "m_paid_only", 100, &p);
    iamport_payment_release(&p);
    assert_error(
        iamport_find_payment_by_status(client, "m_paid_only", IAMPORT_PAYMENT_CANCELLED, &p, &err),
        &err, IAMPORT_E_NOT_FOUND, 404, -1, MSG_PAYMENT_NOT_FOUND);
    ck_assert_int_eq(
        iamport_find_payment_by_status(client, "m_paid_only", IAMPORT_PAYMENT_PAID, &p, &err),
        IAMPORT_OK);
    ck_assert_str_eq(p.merchant_uid, "m_paid_only");
    iamport_payment_release(&p);
    ck_assert_int_eq(count_requests("GET", "/payments/find/m_paid_only/cancelled", NULL, 0), 1);
}
END_TEST

static void check_customer_not_found(int http_status, int code)
{
    struct iamport_customer cu;
    struct iamport_error err;
    const char *message = "요청하신 customer_uid(cu_ghost)로 등록된 정보를 찾을 수 없습니다.";
    assert_error(iamport_get_customer(client, "cu_ghost", &cu, &err), &err, IAMPORT_E_NOT_FOUND,
                 http_status, code, message);
    ck_assert_ptr_null(cu.customer_uid);
    assert_error(iamport_delete_customer(client, "cu_ghost", "해지", NULL, &cu, &err), &err,
                 IAMPORT_E_NOT_FOUND, http_status, code, message);
}

START_TEST(customer_not_found_as_404)
{
    check_customer_not_found(404, -1);
}
END_TEST

START_TEST(customer_not_found_as_200_code_1)
{
    ctl_do("POST", "/__sandbox/config", "{\"customer_not_found\":\"200\"}");
    check_customer_not_found(200, 1);
}
END_TEST

/* ======================================================================================
 * Escaping of path ids
 * ====================================================================================== */

START_TEST(path_ids_are_escaped)
{
    static const char *const ids[] = {
        "a/b?c#d", "cu?q=1&x=2", "cu#frag", "cu with spaces", "고객 한글", "cu%41%2F", "cu+plus",
        "cu;semi", "cu\"quote'", "..cu",    "cu\\back",       "/leading",  "trailing/"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        struct iamport_customer cu;
        struct iamport_error err;
        sandbox_add_customer(&sb, ids[i], NULL);
        enum iamport_status st = iamport_get_customer(client, ids[i], &cu, &err);
        ck_assert_msg(st == IAMPORT_OK, "id '%s': %s '%s'", ids[i], iamport_status_name(st),
                      err.message);
        ck_assert_str_eq(cu.customer_uid, ids[i]);
        iamport_customer_release(&cu);
        char *path = xasprintf("/subscribe/customers/%s", ids[i]);
        cJSON *entry = last_request("GET", path);
        ck_assert_msg(entry != NULL, "sandbox never saw path '%s'", path);
        ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(entry, "query")), 0);
        cJSON_Delete(entry);
        free(path);
    }
}
END_TEST

START_TEST(unknown_escaped_id_is_echoed_back_whole)
{
    /* iamport's not-found message quotes the id it received: it must be the whole id, with the
     * slash, query and fragment characters kept inside the one path segment. */
    struct iamport_customer cu;
    struct iamport_error err;
    assert_error(iamport_get_customer(client, "a/b?c#d 한", &cu, &err), &err, IAMPORT_E_NOT_FOUND,
                 404, -1, "요청하신 customer_uid(a/b?c#d 한)로 등록된 정보를 찾을 수 없습니다.");
    cJSON *entry = last_request("GET", "/subscribe/customers/a/b?c#d 한");
    ck_assert_ptr_nonnull(entry);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(entry, "query")), 0);
    cJSON_Delete(entry);
}
END_TEST

START_TEST(merchant_uid_with_special_characters_round_trips)
{
    const char *merchant_uid = "주문/2024?#1 &x";
    struct iamport_payment p, found;
    struct iamport_prepared pr;
    charge(client, merchant_uid, 1200, &p);
    ck_assert_str_eq(p.merchant_uid, merchant_uid);
    ck_assert_int_eq(iamport_get_payment(client, p.imp_uid, &found, NULL), IAMPORT_OK);
    ck_assert_str_eq(found.merchant_uid, merchant_uid);
    iamport_payment_release(&found);
    ck_assert_int_eq(iamport_prepare(client, "prep ?#한", 10, &pr, NULL), IAMPORT_OK);
    iamport_prepared_release(&pr);
    ck_assert_int_eq(iamport_get_prepared(client, "prep ?#한", &pr, NULL), IAMPORT_OK);
    ck_assert_str_eq(pr.merchant_uid, "prep ?#한");
    iamport_prepared_release(&pr);
    ck_assert_int_eq(count_requests("GET", "/payments/prepare/prep ?#한", NULL, 0), 1);
    iamport_payment_release(&p);
}
END_TEST

/* ======================================================================================
 * Typed results of the remaining calls
 * ====================================================================================== */

START_TEST(partial_then_full_cancel)
{
    struct iamport_payment p;
    struct iamport_error err;
    charge(client, "m_partial", 10000, &p);
    char *imp_uid = xstrdup(p.imp_uid);
    iamport_payment_release(&p);

    struct iamport_cancel_request req = {.imp_uid = imp_uid,
                                         .amount = 3000,
                                         .reason = "부분 환불",
                                         .has_checksum = true,
                                         .checksum = 10000};
    ck_assert_int_eq(iamport_cancel(client, &req, &p, &err), IAMPORT_OK);
    ck_assert_int_eq(p.cancel_amount, 3000);
    ck_assert_uint_eq(p.cancel_history_count, 1);
    ck_assert_int_eq(p.cancel_history[0].amount, 3000);
    ck_assert_str_eq(p.cancel_history[0].reason, "부분 환불");
    ck_assert_ptr_nonnull(p.cancel_history[0].cancellation_id);
    ck_assert_int_gt(p.cancel_history[0].cancelled_at, 0);
    iamport_payment_release(&p);

    cJSON *entry = last_request("POST", "/payments/cancel");
    const cJSON *body = cJSON_GetObjectItem(entry, "body");
    ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(body, "checksum")), 10000.0);
    ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(body, "amount")), 3000.0);
    ck_assert_ptr_null(cJSON_GetObjectItem(body, "merchant_uid"));
    cJSON_Delete(entry);

    req = (struct iamport_cancel_request){.imp_uid = imp_uid}; /* amount 0: the rest */
    ck_assert_int_eq(iamport_cancel(client, &req, &p, &err), IAMPORT_OK);
    ck_assert_int_eq(p.status, IAMPORT_PAYMENT_CANCELLED);
    ck_assert_int_eq(p.cancel_amount, 10000);
    ck_assert_uint_eq(p.cancel_history_count, 2);
    entry = last_request("POST", "/payments/cancel");
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(entry, "body"), "amount"));
    cJSON_Delete(entry);
    iamport_payment_release(&p);
    free(imp_uid);
}
END_TEST

START_TEST(schedule_list_get_unschedule_execute)
{
    struct iamport_schedule_list list;
    struct iamport_schedule s;
    struct iamport_error err;
    cJSON *clock = sandbox_ctl(&sb, "GET", "/__sandbox/clock", NULL);
    int64_t now = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(clock, "now"));
    cJSON_Delete(clock);
    cJSON *extra = cJSON_Parse("{\"naverUseCfm\":\"20300101\"}");
    struct iamport_schedule_item items[] = {
        {.merchant_uid = "s_1",
         .schedule_at = now + 3600,
         .amount = 9900,
         .name = "1월",
         .custom_data = "{\"n\":1}",
         .extra = extra},
        {.merchant_uid = "s_2", .schedule_at = now + 7200, .amount = 9900, .name = "2월"},
    };
    ck_assert_int_eq(iamport_schedule(client, CUSTOMER, items, 2, &list, &err), IAMPORT_OK);
    ck_assert_uint_eq(list.count, 2);
    ck_assert_str_eq(list.items[0].merchant_uid, "s_1");
    ck_assert_int_eq(list.items[0].schedule_status, IAMPORT_SCHEDULE_SCHEDULED);
    ck_assert_ptr_null(list.items[0].imp_uid);
    ck_assert_ptr_null(list.items[0].payment_status);
    ck_assert_int_eq(list.items[1].schedule_at, now + 7200);
    ck_assert_str_eq(list.items[1].currency, "KRW");
    iamport_schedule_list_release(&list);

    cJSON *entry = last_request("POST", "/subscribe/payments/schedule");
    const cJSON *first =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(entry, "body"), "schedules"), 0);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(first, "currency")), "KRW");
    ck_assert_str_eq(cJSON_GetStringValue(
                         cJSON_GetObjectItem(cJSON_GetObjectItem(first, "extra"), "naverUseCfm")),
                     "20300101");
    cJSON_Delete(entry);

    ck_assert_int_eq(iamport_get_schedule(client, "s_1", &s, &err), IAMPORT_OK);
    ck_assert_str_eq(s.customer_uid, CUSTOMER);
    ck_assert_int_eq(s.amount, 9900);
    ck_assert_str_eq(s.name, "1월");
    ck_assert_str_eq(s.custom_data, "{\"n\":1}");
    iamport_schedule_release(&s);

    struct iamport_schedule_query q = {.from = now, .to = now + 86400};
    ck_assert_int_eq(iamport_list_customer_schedules(client, CUSTOMER, &q, &list, &err),
                     IAMPORT_OK);
    ck_assert_uint_eq(list.count, 2);
    ck_assert_int_eq(list.total, 2);
    iamport_schedule_list_release(&list);

    const char *revoke[] = {"s_2"};
    /* merchant_uids alone, without customer_uid */
    ck_assert_int_eq(iamport_unschedule(client, NULL, revoke, 1, &list, &err), IAMPORT_OK);
    ck_assert_uint_eq(list.count, 1);
    ck_assert_str_eq(list.items[0].merchant_uid, "s_2");
    ck_assert_int_eq(list.items[0].schedule_status, IAMPORT_SCHEDULE_REVOKED);
    ck_assert_int_gt(list.items[0].revoked_at, 0);
    iamport_schedule_list_release(&list);

    q.schedule_status = "revoked";
    q.page = 1;
    ck_assert_int_eq(iamport_list_customer_schedules(client, CUSTOMER, &q, &list, &err),
                     IAMPORT_OK);
    ck_assert_uint_eq(list.count, 1);
    iamport_schedule_list_release(&list);
    cJSON *logged = last_request("GET", "/subscribe/payments/schedule/customers/" CUSTOMER);
    const cJSON *query = cJSON_GetObjectItem(logged, "query");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(query, "schedule-status")),
                     "revoked");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(query, "page")), "1");
    char from[32];
    snprintf(from, sizeof from, "%lld", (long long)now);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(query, "from")), from);
    cJSON_Delete(logged);

    ctl_do("POST", "/__sandbox/clock", "{\"advance_seconds\":3700}");
    ctl_do("POST", "/__sandbox/schedules/execute", NULL);
    ck_assert_int_eq(iamport_get_schedule(client, "s_1", &s, &err), IAMPORT_OK);
    ck_assert_int_eq(s.schedule_status, IAMPORT_SCHEDULE_EXECUTED);
    ck_assert_str_eq(s.payment_status, "paid");
    ck_assert_ptr_nonnull(s.imp_uid);
    struct iamport_payment p;
    ck_assert_int_eq(iamport_get_payment(client, s.imp_uid, &p, &err), IAMPORT_OK);
    ck_assert_str_eq(p.customer_uid_usage, "payment.scheduled");
    ck_assert_str_eq(p.merchant_uid, "s_1");
    iamport_payment_release(&p);
    iamport_schedule_release(&s);
    cJSON_Delete(extra);
}
END_TEST

START_TEST(customer_get_and_delete)
{
    struct iamport_customer cu;
    struct iamport_error err;
    ck_assert_int_eq(iamport_get_customer(client, CUSTOMER, &cu, &err), IAMPORT_OK);
    ck_assert_str_eq(cu.customer_uid, CUSTOMER);
    ck_assert_str_eq(cu.pg_provider, "kakaopay");
    ck_assert_str_eq(cu.card_name, "신한카드");
    ck_assert_str_eq(cu.card_number, "4092-12**-****-1234");
    ck_assert_ptr_null(cu.customer_name);
    ck_assert_int_gt(cu.inserted, 0);
    /* the Customer object is kept as iamport sent it, for proxies that pass it on */
    cJSON *raw = iamport_customer_raw(&cu);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(raw, "card_name")),
                     "신한카드");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(raw, "customer_name")));
    cJSON_Delete(raw);
    iamport_customer_release(&cu);
    ck_assert_ptr_null(cu.raw_json);
    ck_assert_int_eq(iamport_delete_customer(client, CUSTOMER, "해지 요청", "customer", &cu, &err),
                     IAMPORT_OK);
    ck_assert_str_eq(cu.customer_uid, CUSTOMER);
    raw = iamport_customer_raw(&cu);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(raw, "customer_uid")),
                     CUSTOMER);
    cJSON_Delete(raw);
    iamport_customer_release(&cu);
    cJSON *entry = last_request("DELETE", "/subscribe/customers/" CUSTOMER);
    ck_assert_str_eq(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(entry, "query"), "reason")),
        "해지 요청");
    /* NaverPay's requester goes as iamport's bracket parameter extra[requester] */
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(entry, "query"),
                                                              "extra[requester]")),
                     "customer");
    cJSON_Delete(entry);
    ck_assert_int_eq(iamport_get_customer(client, CUSTOMER, &cu, &err), IAMPORT_E_NOT_FOUND);
}
END_TEST

/* ======================================================================================
 * Invalid arguments: refused before anything is sent
 * ====================================================================================== */

START_TEST(invalid_arguments_send_nothing)
{
    struct iamport_payment p;
    struct iamport_prepared pr;
    struct iamport_customer cu;
    struct iamport_schedule s;
    struct iamport_schedule_list list;
    struct iamport_error err;
    char *long_id = xmalloc(IAMPORT_ID_MAX + 2);
    memset(long_id, 'x', IAMPORT_ID_MAX + 1);
    long_id[IAMPORT_ID_MAX + 1] = '\0';
    const char *bad_ids[] = {NULL, "", ".", "..", long_id};
    cJSON *number = cJSON_CreateNumber(5);
    cJSON *array_extra = cJSON_CreateArray();

    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        const char *id = bad_ids[i];
        ck_assert_int_eq(iamport_get_payment(client, id, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
        ck_assert_str_ne(err.detail, "");
        ck_assert_int_eq(iamport_find_payment(client, id, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
        ck_assert_int_eq(iamport_get_prepared(client, id, &pr, &err), IAMPORT_E_INVALID_ARGUMENT);
        ck_assert_int_eq(iamport_prepare(client, id, 100, &pr, &err), IAMPORT_E_INVALID_ARGUMENT);
        ck_assert_int_eq(iamport_get_customer(client, id, &cu, &err), IAMPORT_E_INVALID_ARGUMENT);
        ck_assert_int_eq(iamport_delete_customer(client, id, NULL, NULL, &cu, &err),
                         IAMPORT_E_INVALID_ARGUMENT);
        ck_assert_int_eq(iamport_get_schedule(client, id, &s, &err), IAMPORT_E_INVALID_ARGUMENT);
        ck_assert_int_eq(iamport_unschedule(client, id, NULL, 0, &list, &err),
                         IAMPORT_E_INVALID_ARGUMENT);
        struct iamport_again_request a1 = {.customer_uid = id, .merchant_uid = "m", .amount = 1};
        struct iamport_again_request a2 = {.customer_uid = "c", .merchant_uid = id, .amount = 1};
        ck_assert_int_eq(iamport_again(client, &a1, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
        ck_assert_int_eq(iamport_again(client, &a2, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
    }
    ck_assert_int_eq(iamport_find_payment_by_status(client, "m", IAMPORT_PAYMENT_UNKNOWN, &p, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    ck_assert_int_eq(
        iamport_find_payment_by_status(client, "m", (enum iamport_payment_status)99, &p, &err),
        IAMPORT_E_INVALID_ARGUMENT);

    const int64_t bad_amounts[] = {0, -1, INT64_MIN, IAMPORT_AMOUNT_MAX + 1, INT64_MAX};
    for (size_t i = 0; i < sizeof bad_amounts / sizeof bad_amounts[0]; i++) {
        struct iamport_again_request a = {
            .customer_uid = "c", .merchant_uid = "m", .amount = bad_amounts[i], .name = "x"};
        ck_assert_int_eq(iamport_again(client, &a, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
        struct iamport_schedule_item item = {
            .merchant_uid = "s", .schedule_at = 4102444800, .amount = bad_amounts[i], .name = "x"};
        ck_assert_int_eq(iamport_schedule(client, "c", &item, 1, &list, &err),
                         IAMPORT_E_INVALID_ARGUMENT);
        ck_assert_ptr_nonnull(strstr(err.detail, "schedule item 0"));
        if (bad_amounts[i] != 0) { /* 0 is a full cancel and a valid prepare */
            struct iamport_cancel_request cr = {.imp_uid = "imp", .amount = bad_amounts[i]};
            ck_assert_int_eq(iamport_cancel(client, &cr, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
            ck_assert_int_eq(iamport_prepare(client, "m", bad_amounts[i], &pr, &err),
                             IAMPORT_E_INVALID_ARGUMENT);
        }
    }
    struct iamport_again_request a = {
        .customer_uid = "c", .merchant_uid = "m", .amount = 100, .name = "x", .tax_free = 101};
    ck_assert_int_eq(iamport_again(client, &a, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
    a.tax_free = -1;
    ck_assert_int_eq(iamport_again(client, &a, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
    a.tax_free = 0;
    a.custom_data = number;
    ck_assert_int_eq(iamport_again(client, &a, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
    a.custom_data = NULL;
    a.extra = array_extra;
    ck_assert_int_eq(iamport_again(client, &a, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
    ck_assert_int_eq(iamport_again(client, NULL, &p, &err), IAMPORT_E_INVALID_ARGUMENT);

    struct iamport_cancel_request cr = {.reason = "no id"};
    ck_assert_int_eq(iamport_cancel(client, &cr, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
    ck_assert_int_eq(iamport_cancel(client, NULL, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
    cr = (struct iamport_cancel_request){.imp_uid = "imp", .has_checksum = true, .checksum = -5};
    ck_assert_int_eq(iamport_cancel(client, &cr, &p, &err), IAMPORT_E_INVALID_ARGUMENT);
    cr = (struct iamport_cancel_request){.imp_uid = "", .merchant_uid = "m"};
    ck_assert_int_eq(iamport_cancel(client, &cr, &p, &err), IAMPORT_E_INVALID_ARGUMENT);

    struct iamport_schedule_item items[2] = {
        {.merchant_uid = "s1", .schedule_at = 4102444800, .amount = 1, .name = "x"},
        {.merchant_uid = "s2", .schedule_at = 0, .amount = 1, .name = "x"},
    };
    ck_assert_int_eq(iamport_schedule(client, "c", items, 2, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.detail, "schedule item 1"));
    items[1].schedule_at = 4102444800;
    items[1].amount = 0;
    ck_assert_int_eq(iamport_schedule(client, "c", items, 2, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    ck_assert_int_eq(iamport_schedule(client, "c", items, 0, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    ck_assert_int_eq(iamport_schedule(client, "c", NULL, 1, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    ck_assert_int_eq(iamport_unschedule(client, "c", NULL, 2, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    const char *bad_uids[] = {"ok", ""};
    ck_assert_int_eq(iamport_unschedule(client, "c", bad_uids, 2, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);

    struct iamport_schedule_query q = {.from = 100, .to = 100};
    ck_assert_int_eq(iamport_list_customer_schedules(client, "c", &q, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    q = (struct iamport_schedule_query){.from = 0, .to = 10, .page = -1};
    ck_assert_int_eq(iamport_list_customer_schedules(client, "c", &q, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    q = (struct iamport_schedule_query){.from = 0, .to = 10, .schedule_status = "paid"};
    ck_assert_int_eq(iamport_list_customer_schedules(client, "c", &q, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    ck_assert_int_eq(iamport_list_customer_schedules(client, "c", NULL, &list, &err),
                     IAMPORT_E_INVALID_ARGUMENT);
    char *long_reason = xmalloc(20000);
    memset(long_reason, 'r', 19999);
    long_reason[19999] = '\0';
    ck_assert_int_eq(iamport_delete_customer(client, "c", long_reason, NULL, &cu, &err),
                     IAMPORT_E_INVALID_ARGUMENT);

    /* err may be NULL */
    ck_assert_int_eq(iamport_get_payment(client, "", &p, NULL), IAMPORT_E_INVALID_ARGUMENT);

    struct iamport_client_stats stats;
    iamport_client_get_stats(client, &stats);
    ck_assert_uint_eq(stats.requests, 0);
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(log, "requests")), 0);
    cJSON_Delete(log);
    cJSON_Delete(number);
    cJSON_Delete(array_extra);
    free(long_id);
    free(long_reason);
}
END_TEST

START_TEST(client_options_are_validated)
{
    const char *bad_tiers[] = {"ab1", "ABCD", "AB", "A B", "", "AB\n"};
    struct iamport_client_options o = {
        .base_url = "http://127.0.0.1:1", .api_key = "k", .api_secret = "options_test_secret"};
    FILE *capture = tmpfile();
    ck_assert_ptr_nonnull(capture);
    log_set_stream(capture);
    struct iamport_client *c = iamport_client_new(&o);
    ck_assert_ptr_nonnull(c);
    iamport_client_free(c);
    iamport_client_free(NULL);
    o.tier_code = "A1Z";
    c = iamport_client_new(&o);
    ck_assert_ptr_nonnull(c);
    iamport_client_free(c);
    for (size_t i = 0; i < sizeof bad_tiers / sizeof bad_tiers[0]; i++) {
        o.tier_code = bad_tiers[i];
        ck_assert_msg(iamport_client_new(&o) == NULL, "tier '%s' accepted", bad_tiers[i]);
    }
    o.tier_code = NULL;
    const char *bad_urls[] = {NULL, "", "ftp://x", "127.0.0.1:80", "http://a b", "http://x\r\n"};
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        o.base_url = bad_urls[i];
        ck_assert_msg(iamport_client_new(&o) == NULL, "url %zu accepted", i);
    }
    o.base_url = "https://api.iamport.kr/";
    o.api_key = "";
    ck_assert_ptr_null(iamport_client_new(&o));
    o.api_key = NULL;
    ck_assert_ptr_null(iamport_client_new(&o));
    o.api_key = "k";
    o.api_secret = "";
    ck_assert_ptr_null(iamport_client_new(&o));
    o.api_secret = "options_test_secret";
    o.timeout_ms = -1;
    ck_assert_ptr_null(iamport_client_new(&o));
    o.timeout_ms = 0;
    o.connect_timeout_ms = -1;
    ck_assert_ptr_null(iamport_client_new(&o));
    o.connect_timeout_ms = 0;
    o.max_concurrent = -1;
    ck_assert_ptr_null(iamport_client_new(&o));
    ck_assert_ptr_null(iamport_client_new(NULL));

    fflush(capture);
    long size = ftell(capture);
    char *text = xcalloc(1, (size_t)size + 1);
    rewind(capture);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, capture), (size_t)size);
    ck_assert_ptr_nonnull(strstr(text, "cannot create the iamport client: tier_code must be 3 "
                                       "upper-case letters or digits"));
    ck_assert_ptr_nonnull(strstr(text, "cannot create the iamport client: base_url must start "
                                       "with 'http://' or 'https://'"));
    ck_assert_ptr_nonnull(strstr(text, "cannot create the iamport client: api_key is missing"));
    ck_assert_ptr_nonnull(strstr(text, "timeouts must not be negative"));
    ck_assert_ptr_nonnull(strstr(text, "max_concurrent must not be negative"));
    ck_assert_ptr_nonnull(strstr(text, "cannot create the iamport client: options are missing"));
    log_set_stream(NULL);
    fclose(capture);
    free(text);
}
END_TEST

/* ======================================================================================
 * Hostile answers (in-process stub) and parsing
 * ====================================================================================== */

START_TEST(oversized_answer_is_refused)
{
    struct stub st = {0};
    size_t big = IAMPORT_MAX_RESPONSE_BYTES + 10;
    char *body = xmalloc(big);
    memset(body, ' ', big);
    memcpy(body, "{\"code\":0,", 10);
    stub_token_route(&st, 1800);
    stub_route(&st, "/payments/imp_big", 200, body, big);
    stub_start(&st);
    struct iamport_client *c = client_new_for(st.base_url, NULL);
    struct iamport_payment p;
    struct iamport_error err;
    ck_assert_int_eq(iamport_get_payment(c, "imp_big", &p, &err), IAMPORT_E_PARSE);
    ck_assert_int_eq(err.http_status, 200);
    ck_assert_ptr_nonnull(strstr(err.detail, "larger than"));
    ck_assert_int_eq(stub_hits(&st, "/payments/imp_big"), 1);
    iamport_client_free(c);
    stub_stop(&st);
    free(body);
}
END_TEST

START_TEST(non_envelope_answers)
{
    struct stub st = {0};
    const char html[] = "<html>bad gateway</html>";
    stub_token_route(&st, 1800);
    stub_route(&st, "/payments/imp_502", 502, html, strlen(html));
    stub_route(&st, "/payments/imp_404", 404, "", 0);
    stub_route(&st, "/payments/imp_array", 200, "[1,2]", 5);
    stub_route(&st, "/subscribe/payments/again", 404, html, strlen(html));
    stub_route(&st, "/payments/cancel", 302, "", 0);
    stub_start(&st);
    struct iamport_client *c = client_new_for(st.base_url, NULL);
    struct iamport_payment p;
    struct iamport_error err;

    assert_error(iamport_get_payment(c, "imp_502", &p, &err), &err, IAMPORT_E_HTTP, 502, 0, "");
    ck_assert_int_eq(stub_hits(&st, "/payments/imp_502"), 3);
    assert_error(iamport_get_payment(c, "imp_404", &p, &err), &err, IAMPORT_E_NOT_FOUND, 404, 0,
                 "");
    assert_error(iamport_get_payment(c, "imp_array", &p, &err), &err, IAMPORT_E_PARSE, 200, 0, "");
    struct iamport_again_request req = {
        .customer_uid = "c", .merchant_uid = "m", .amount = 1, .name = "x"};
    /* a charge answered 404 is not "not found": the endpoint is missing */
    assert_error(iamport_again(c, &req, &p, &err), &err, IAMPORT_E_HTTP, 404, 0, "");
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_HTTP, &err));
    struct iamport_cancel_request cr = {.imp_uid = "imp"};
    assert_error(iamport_cancel(c, &cr, &p, &err), &err, IAMPORT_E_HTTP, 302, 0, "");
    ck_assert_int_eq(stub_hits(&st, "/payments/cancel"), 1);
    iamport_client_free(c);
    stub_stop(&st);
}
END_TEST

START_TEST(hostile_token_answers)
{
    struct stub st = {0};
    const char empty_token[] =
        "{\"code\":0,\"response\":{\"access_token\":\"\",\"now\":1,\"expired_at\":1801}}";
    stub_route(&st, "/users/getToken", 200, empty_token, strlen(empty_token));
    stub_start(&st);
    struct iamport_client *c = client_new_for(st.base_url, NULL);
    char *token = NULL;
    struct iamport_error err;
    ck_assert_int_eq(iamport_get_token(c, &token, NULL, &err), IAMPORT_E_PARSE);
    ck_assert_ptr_nonnull(strstr(err.detail, "access_token"));
    iamport_client_free(c);
    stub_stop(&st);

    struct stub st2 = {0};
    const char refused[] =
        "{\"code\":-1,\"message\":\"imp_key, imp_secret 파라메터가 누락되었습니다.\","
        "\"response\":null}";
    stub_route(&st2, "/users/getToken", 200, refused, strlen(refused));
    stub_start(&st2);
    c = client_new_for(st2.base_url, NULL);
    assert_error(iamport_get_token(c, &token, NULL, &err), &err, IAMPORT_E_AUTH, 200, -1,
                 "imp_key, imp_secret 파라메터가 누락되었습니다.");
    iamport_client_free(c);
    stub_stop(&st2);

    struct stub st3 = {0};
    stub_route(&st3, "/users/getToken", 503, "down", 4);
    stub_start(&st3);
    c = client_new_for(st3.base_url, NULL);
    assert_error(iamport_get_token(c, &token, NULL, &err), &err, IAMPORT_E_HTTP, 503, 0, "");
    ck_assert_int_eq(stub_hits(&st3, "/users/getToken"), 3);
    iamport_client_free(c);
    stub_stop(&st3);
}
END_TEST

START_TEST(expired_or_short_token_is_fetched_again)
{
    struct stub st = {0};
    const char payment[] = "{\"code\":0,\"response\":{\"imp_uid\":\"imp_1\",\"merchant_uid\":\"m\","
                           "\"amount\":5,\"status\":\"paid\"}}";
    stub_token_route(&st, -100); /* already expired by server time */
    stub_route(&st, "/payments/imp_1", 200, payment, strlen(payment));
    stub_start(&st);
    struct iamport_client *c = client_new_for(st.base_url, NULL);
    struct iamport_payment p;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(iamport_get_payment(c, "imp_1", &p, NULL), IAMPORT_OK);
        ck_assert_int_eq(p.amount, 5);
        iamport_payment_release(&p);
    }
    /* a fresh fetch serves the call that made it, but is never reused */
    ck_assert_int_eq(stub_hits(&st, "/users/getToken"), 3);
    iamport_client_free(c);
    stub_stop(&st);
}
END_TEST

START_TEST(long_message_is_cut_at_a_character_boundary)
{
    struct stub st = {0};
    char body[2048];
    char message[1200] = "";
    for (int i = 0; i < 300; i++)
        strcat(message, "가"); /* 3 bytes each: 900 bytes */
    snprintf(body, sizeof body, "{\"code\":7,\"message\":\"%s\",\"response\":null}", message);
    stub_token_route(&st, 1800);
    stub_route(&st, "/payments/imp_long", 200, body, strlen(body));
    stub_start(&st);
    struct iamport_client *c = client_new_for(st.base_url, NULL);
    struct iamport_payment p;
    struct iamport_error err;
    ck_assert_int_eq(iamport_get_payment(c, "imp_long", &p, &err), IAMPORT_E_API);
    ck_assert_int_eq(err.code, 7);
    ck_assert_uint_eq(strlen(err.message), 510); /* 170 whole characters fit in 511 bytes */
    ck_assert_int_eq(strncmp(err.message, message, 510), 0);
    iamport_client_free(c);
    stub_stop(&st);
}
END_TEST

START_TEST(tier_and_authorization_headers)
{
    struct stub st = {0};
    const char payment[] = "{\"code\":0,\"response\":{\"imp_uid\":\"imp_1\",\"merchant_uid\":\"m\","
                           "\"amount\":5,\"status\":\"ready\"}}";
    stub_token_route(&st, 1800);
    stub_route(&st, "/payments/imp_1", 200, payment, strlen(payment));
    stub_start(&st);
    struct iamport_client_options o = {.base_url = st.base_url,
                                       .api_key = "k",
                                       .api_secret = "tier_test_secret",
                                       .tier_code = "A1Z"};
    struct iamport_client *c = iamport_client_new(&o);
    struct iamport_payment p;
    ck_assert_int_eq(iamport_get_payment(c, "imp_1", &p, NULL), IAMPORT_OK);
    ck_assert_int_eq(p.status, IAMPORT_PAYMENT_READY);
    iamport_payment_release(&p);
    struct stub_route *token = stub_find(&st, "/users/getToken");
    struct stub_route *lookup = stub_find(&st, "/payments/imp_1");
    ck_assert_str_eq(token->last_tier, "A1Z");
    ck_assert_str_eq(token->last_authorization, "");
    ck_assert_str_eq(lookup->last_tier, "A1Z");
    ck_assert_str_eq(lookup->last_authorization, "stubtoken123");
    iamport_client_free(c);

    o.tier_code = NULL;
    c = iamport_client_new(&o);
    ck_assert_int_eq(iamport_get_payment(c, "imp_1", &p, NULL), IAMPORT_OK);
    iamport_payment_release(&p);
    ck_assert(!lookup->last_had_tier);
    iamport_client_free(c);
    stub_stop(&st);
}
END_TEST

START_TEST(persistent_401_refreshes_once_then_fails)
{
    struct stub st = {0};
    const char unauthorized[] = "{\"code\":-1,\"message\":\"Unauthorized\",\"response\":null}";
    stub_token_route(&st, 1800);
    stub_route(&st, "/payments/imp_1", 401, unauthorized, strlen(unauthorized));
    stub_route(&st, "/subscribe/payments/again", 401, unauthorized, strlen(unauthorized));
    stub_start(&st);
    struct iamport_client *c = client_new_for(st.base_url, NULL);
    struct iamport_payment p;
    struct iamport_error err;
    assert_error(iamport_get_payment(c, "imp_1", &p, &err), &err, IAMPORT_E_API, 401, -1,
                 "Unauthorized");
    ck_assert_int_eq(stub_hits(&st, "/payments/imp_1"), 2);
    ck_assert_int_eq(stub_hits(&st, "/users/getToken"), 2);
    struct iamport_again_request req = {
        .customer_uid = "c", .merchant_uid = "m", .amount = 1, .name = "x"};
    assert_error(iamport_again(c, &req, &p, &err), &err, IAMPORT_E_API, 401, -1, "Unauthorized");
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_API, &err));
    ck_assert_int_eq(stub_hits(&st, "/subscribe/payments/again"), 2);
    ck_assert_int_eq(stub_hits(&st, "/users/getToken"), 3);
    iamport_client_free(c);
    stub_stop(&st);
}
END_TEST

START_TEST(envelope_mapping)
{
    struct iamport_call lookup = {.method = IAMPORT_GET, .path = "/x", .kind = IAMPORT_CALL_LOOKUP};
    struct iamport_call money = {.method = IAMPORT_POST, .path = "/x", .kind = IAMPORT_CALL_MONEY};
    struct iamport_call customer = {
        .method = IAMPORT_GET, .path = "/x", .kind = IAMPORT_CALL_LOOKUP, .code1_not_found = true};
    struct {
        const struct iamport_call *call;
        bool token;
        long http;
        const char *body;
        size_t len; /* 0 = strlen */
        enum iamport_status want;
        int code;
    } cases[] = {
        {&lookup, false, 200, "", 0, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "null", 0, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "[]", 0, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "{}", 0, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "{\"code\":\"0\"}", 0, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "{\"code\":0.5}", 0, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "{\"code\":1e20}", 0, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "{\"code\":null}", 0, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "{\"code\":0} trailing", 0, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "{\"code\":0}\0{\"code\":1}", 22, IAMPORT_E_PARSE, 0},
        {&lookup, false, 200, "{\"code\":0}", 0, IAMPORT_OK, 0},
        {&lookup, false, 200, " {\"code\":0,\"response\":{}} \n", 0, IAMPORT_OK, 0},
        {&lookup, false, 200, "{\"code\":1,\"message\":\"m\"}", 0, IAMPORT_E_API, 1},
        {&lookup, false, 200, "{\"code\":-1,\"message\":5}", 0, IAMPORT_E_API, -1},
        {&customer, false, 200, "{\"code\":1,\"message\":\"m\"}", 0, IAMPORT_E_NOT_FOUND, 1},
        {&customer, false, 200, "{\"code\":-1,\"message\":\"m\"}", 0, IAMPORT_E_API, -1},
        {&customer, false, 404, "{\"code\":-1,\"message\":\"m\"}", 0, IAMPORT_E_NOT_FOUND, -1},
        {&lookup, false, 404, "not json", 0, IAMPORT_E_NOT_FOUND, 0},
        {&money, false, 404, "{\"code\":-1,\"message\":\"m\"}", 0, IAMPORT_E_API, -1},
        {&money, false, 404, "", 0, IAMPORT_E_HTTP, 0},
        {&lookup, false, 500, "{\"code\":0}", 0, IAMPORT_E_HTTP, 0},
        {&lookup, false, 400, "{\"code\":-1,\"message\":\"m\"}", 0, IAMPORT_E_API, -1},
        {&lookup, false, 401, "{\"code\":-1,\"message\":\"Unauthorized\"}", 0, IAMPORT_E_API, -1},
        {&lookup, false, 204, "", 0, IAMPORT_E_PARSE, 0},
        {&lookup, true, 200, "{\"code\":-1,\"message\":\"m\"}", 0, IAMPORT_E_AUTH, -1},
        {&lookup, true, 401, "", 0, IAMPORT_E_AUTH, 0},
        {&lookup, true, 403, "", 0, IAMPORT_E_AUTH, 0},
        {&lookup, true, 200, "oops", 0, IAMPORT_E_PARSE, 0},
        {&lookup, true, 500, "{\"code\":-1,\"message\":\"m\"}", 0, IAMPORT_E_API, -1},
        {&lookup, true, 502, "", 0, IAMPORT_E_HTTP, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct iamport_error err = {0};
        cJSON *response = NULL;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].body);
        enum iamport_status st = iamport_map_answer(cases[i].call, cases[i].token, cases[i].http,
                                                    cases[i].body, len, &response, &err);
        ck_assert_msg(st == cases[i].want, "case %zu: got %s, want %s", i, iamport_status_name(st),
                      iamport_status_name(cases[i].want));
        ck_assert_msg(err.code == cases[i].code, "case %zu: code %d", i, err.code);
        ck_assert_int_eq(err.http_status, cases[i].http);
        ck_assert_msg((response != NULL) == (st == IAMPORT_OK), "case %zu: response", i);
        cJSON_Delete(response);
    }
}
END_TEST

/* Found by fuzz_iamport: the envelope was measured with strlen, reading past body_len when the
 * bytes after the answer were not a NUL. Exactly body_len bytes are read now. */
START_TEST(envelope_reads_only_body_len_bytes)
{
    static const char text[] = "{\"code\":0,\"message\":null,\"response\":{\"a\":1}}";
    struct iamport_call call = {.method = IAMPORT_GET, .path = "/x", .kind = IAMPORT_CALL_LOOKUP};
    size_t len = sizeof text - 1;
    char *exact = malloc(len); /* no NUL after it: ASan stops any read past the end */
    memcpy(exact, text, len);
    struct iamport_error err = {0};
    cJSON *response = NULL;
    ck_assert_int_eq(iamport_map_answer(&call, false, 200, exact, len, &response, &err),
                     IAMPORT_OK);
    ck_assert_int_eq(cJSON_GetObjectItem(response, "a")->valueint, 1);
    cJSON_Delete(response);
    /* a body cut short is not the envelope it would be with the rest */
    ck_assert_int_eq(iamport_map_answer(&call, false, 200, exact, len - 1, &response, &err),
                     IAMPORT_E_PARSE);
    ck_assert_ptr_null(response);
    free(exact);
}
END_TEST

START_TEST(payment_parsing)
{
    struct {
        const char *json;
        enum iamport_status want;
        const char *detail; /* substring, or NULL */
    } cases[] = {
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\"}", IAMPORT_OK,
         NULL},
        {"{\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\"}", IAMPORT_E_PARSE,
         "field 'imp_uid' is missing"},
        {"{\"imp_uid\":null,\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\"}",
         IAMPORT_E_PARSE, "field 'imp_uid' is missing"},
        {"{\"imp_uid\":5,\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\"}", IAMPORT_E_PARSE,
         "field 'imp_uid' is not a string"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":1000.5,\"status\":\"paid\"}",
         IAMPORT_E_PARSE, "field 'amount' is not an integral number"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":\"1000\",\"status\":\"paid\"}",
         IAMPORT_E_PARSE, "field 'amount'"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":1e300,\"status\":\"paid\"}",
         IAMPORT_E_PARSE, "field 'amount'"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":9007199254740993,\"status\":\"p\"}",
         IAMPORT_E_PARSE, "field 'amount'"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\","
         "\"paid_at\":\"yesterday\"}",
         IAMPORT_E_PARSE, "field 'paid_at'"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\","
         "\"sandbox\":1}",
         IAMPORT_E_PARSE, "field 'sandbox' is not a boolean"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\","
         "\"cancel_history\":{}}",
         IAMPORT_E_PARSE, "cancel_history"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\","
         "\"cancel_history\":[5]}",
         IAMPORT_E_PARSE, "cancel_history"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\","
         "\"cancel_history\":[{\"reason\":\"r\"}]}",
         IAMPORT_E_PARSE, "field 'amount' is missing"},
        {"{\"imp_uid\":\"i\",\"merchant_uid\":\"m\",\"amount\":1,\"status\":\"paid\","
         "\"custom_data\":7}",
         IAMPORT_E_PARSE, "custom_data"},
        {"[]", IAMPORT_E_PARSE, "not a JSON object"},
        {"null", IAMPORT_E_PARSE, "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *json = cJSON_Parse(cases[i].json);
        struct iamport_payment p;
        struct iamport_error err = {0};
        ck_assert_ptr_nonnull(json);
        enum iamport_status st = iamport_payment_from_json(json, &p, &err);
        ck_assert_msg(st == cases[i].want, "case %zu: %s", i, iamport_status_name(st));
        if (cases[i].detail)
            ck_assert_msg(strstr(err.detail, cases[i].detail), "case %zu: detail '%s'", i,
                          err.detail);
        if (st != IAMPORT_OK)
            ck_assert_ptr_null(p.imp_uid); /* released on failure */
        iamport_payment_release(&p);
        cJSON_Delete(json);
    }

    cJSON *json = cJSON_Parse(
        "{\"imp_uid\":\"imp_1\",\"merchant_uid\":\"m\",\"amount\":9007199254740991,"
        "\"status\":\"partial_cancelled\",\"card_type\":null,\"buyer_name\":null,"
        "\"custom_data\":{\"a\":[1,2]},\"cancel_history\":[{\"pg_tid\":\"t\",\"amount\":-5,"
        "\"cancelled_at\":3,\"reason\":null,\"cancellation_id\":\"c\",\"receipt_url\":\"u\"}],"
        "\"escrow\":true,\"started_at\":null}");
    struct iamport_payment p;
    ck_assert_int_eq(iamport_payment_from_json(json, &p, NULL), IAMPORT_OK);
    ck_assert_int_eq(p.amount, IAMPORT_AMOUNT_MAX);
    ck_assert_int_eq(p.status, IAMPORT_PAYMENT_UNKNOWN);
    ck_assert_str_eq(p.status_text, "partial_cancelled");
    ck_assert_int_eq(p.card_type, -1);
    ck_assert_ptr_null(p.buyer_name);
    ck_assert_str_eq(p.custom_data, "{\"a\":[1,2]}");
    ck_assert_uint_eq(p.cancel_history_count, 1);
    ck_assert_int_eq(p.cancel_history[0].amount, -5);
    ck_assert_ptr_null(p.cancel_history[0].reason);
    ck_assert(p.escrow);
    ck_assert(!p.sandbox);
    ck_assert_int_eq(p.started_at, 0);
    ck_assert_ptr_null(p.raw_json);
    iamport_payment_release(&p);
    ck_assert_ptr_null(p.imp_uid);
    iamport_payment_release(&p); /* twice is fine */
    iamport_payment_release(NULL);
    cJSON_Delete(json);

    ck_assert_int_eq(iamport_payment_status_parse("cancelled"), IAMPORT_PAYMENT_CANCELLED);
    ck_assert_int_eq(iamport_payment_status_parse("canceled"), IAMPORT_PAYMENT_UNKNOWN);
    ck_assert_int_eq(iamport_payment_status_parse("PAID"), IAMPORT_PAYMENT_UNKNOWN);
    ck_assert_int_eq(iamport_payment_status_parse(NULL), IAMPORT_PAYMENT_UNKNOWN);
    ck_assert_str_eq(iamport_payment_status_name(IAMPORT_PAYMENT_READY), "ready");
    ck_assert_str_eq(iamport_payment_status_name((enum iamport_payment_status)42), "unknown");
}
END_TEST

START_TEST(schedule_list_parsing)
{
    const char *item =
        "{\"customer_uid\":\"c\",\"merchant_uid\":\"s\",\"schedule_at\":5,"
        "\"amount\":10,\"schedule_status\":\"executed\",\"payment_status\":\"paid\"}";
    char *paged = xasprintf("{\"total\":7,\"previous\":0,\"next\":2,\"list\":[%s,%s]}", item, item);
    char *plain = xasprintf("[%s]", item);
    struct iamport_schedule_list list;
    struct iamport_error err = {0};

    cJSON *json = cJSON_Parse(paged);
    ck_assert_int_eq(iamport_schedule_list_from_json(json, &list, &err), IAMPORT_OK);
    ck_assert_uint_eq(list.count, 2);
    ck_assert_int_eq(list.total, 7);
    ck_assert_int_eq(list.next, 2);
    ck_assert_int_eq(list.items[1].schedule_status, IAMPORT_SCHEDULE_EXECUTED);
    ck_assert_str_eq(list.items[1].payment_status, "paid");
    iamport_schedule_list_release(&list);
    cJSON_Delete(json);

    json = cJSON_Parse(plain);
    ck_assert_int_eq(iamport_schedule_list_from_json(json, &list, &err), IAMPORT_OK);
    ck_assert_uint_eq(list.count, 1);
    ck_assert_int_eq(list.total, 1);
    iamport_schedule_list_release(&list);
    cJSON_Delete(json);

    const char *bad[] = {"{\"list\":{}}", "{\"total\":1}", "5",
                         "[{\"merchant_uid\":\"s\",\"schedule_at\":5,\"amount\":1}]",
                         "[{\"customer_uid\":\"c\",\"merchant_uid\":\"s\",\"schedule_at\":5.5,"
                         "\"amount\":1}]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json = cJSON_Parse(bad[i]);
        ck_assert_msg(iamport_schedule_list_from_json(json, &list, &err) == IAMPORT_E_PARSE,
                      "case %zu", i);
        ck_assert_uint_eq(list.count, 0);
        ck_assert_ptr_null(list.items);
        cJSON_Delete(json);
    }
    ck_assert_int_eq(iamport_schedule_status_parse("revoked"), IAMPORT_SCHEDULE_REVOKED);
    ck_assert_int_eq(iamport_schedule_status_parse("x"), IAMPORT_SCHEDULE_UNKNOWN);
    free(paged);
    free(plain);
}
END_TEST

START_TEST(status_names_and_unknown_outcomes)
{
    struct iamport_error e500 = {.http_status = 500}, e400 = {.http_status = 400};
    ck_assert_str_eq(iamport_status_name(IAMPORT_OK), "ok");
    ck_assert_str_eq(iamport_status_name(IAMPORT_E_TIMEOUT_UNKNOWN), "timeout_unknown");
    ck_assert_str_eq(iamport_status_name((enum iamport_status)99), "unknown");
    ck_assert(iamport_outcome_unknown(IAMPORT_E_TIMEOUT_UNKNOWN, NULL));
    ck_assert(iamport_outcome_unknown(IAMPORT_E_PARSE, NULL));
    ck_assert(iamport_outcome_unknown(IAMPORT_E_HTTP, &e500));
    ck_assert(iamport_outcome_unknown(IAMPORT_E_API, &e500));
    ck_assert(iamport_outcome_unknown(IAMPORT_E_HTTP, NULL));
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_HTTP, &e400));
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_API, &e400));
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_API, NULL));
    ck_assert(!iamport_outcome_unknown(IAMPORT_OK, NULL));
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_TRANSPORT, NULL));
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_NOT_FOUND, NULL));
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_AUTH, NULL));
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_INVALID_ARGUMENT, NULL));
}
END_TEST

struct slow_lookup {
    struct iamport_client *client;
    enum iamport_status status;
};

static void *slow_lookup_thread(void *arg)
{
    struct slow_lookup *w = arg;
    struct iamport_payment p;
    w->status = iamport_find_payment(w->client, "m_slow", &p, NULL);
    iamport_payment_release(&p);
    return NULL;
}

/* max_concurrent = 1: while one call is in flight, another fails at once with IAMPORT_E_BUSY and
 * sends nothing (not even a charge); once the slot is free, calls go through again. */
START_TEST(calls_past_max_concurrent_are_busy_and_send_nothing)
{
    struct iamport_client_options o = {
        .base_url = sb.base_url,
        .api_key = SANDBOX_KEY,
        .api_secret = SANDBOX_SECRET,
        .timeout_ms = 10000,
        .max_concurrent = 1,
    };
    struct iamport_client *c = iamport_client_new(&o);
    ck_assert_ptr_nonnull(c);
    struct iamport_payment p;
    struct iamport_error err;
    add_fault("GET", "/payments/find/m_slow", "latency", 1, 2000, false);
    struct slow_lookup w = {.client = c};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, slow_lookup_thread, &w), 0);
    ck_assert_int_eq(wait_for_requests("POST", "/users/getToken", 1, 5000), 1);
    testlib_sleep_ms(300); /* the lookup itself is in the sandbox now */

    struct iamport_again_request req = {
        .customer_uid = CUSTOMER, .merchant_uid = "m_busy", .amount = 100, .name = "x"};
    ck_assert_int_eq(iamport_again(c, &req, &p, &err), IAMPORT_E_BUSY);
    ck_assert_str_eq(iamport_status_name(IAMPORT_E_BUSY), "busy");
    ck_assert_ptr_nonnull(strstr(err.detail, "in flight"));
    ck_assert(!iamport_outcome_unknown(IAMPORT_E_BUSY, &err));
    ck_assert_int_eq(count_requests("POST", "/subscribe/payments/again", NULL, 0), 0);
    ck_assert_int_eq(ledger_count("m_busy"), 0);

    pthread_join(t, NULL);
    ck_assert_int_eq(w.status, IAMPORT_E_NOT_FOUND);
    charge(c, "m_busy", 100, &p);
    iamport_payment_release(&p);
    ck_assert_int_eq(ledger_count("m_busy"), 1);
    iamport_client_free(c);
}
END_TEST

/* ====================================================================================== */

static TCase *sandbox_case(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, sandbox_setup, sandbox_teardown);
    tcase_set_timeout(tc, 60);
    return tc;
}

static Suite *suite_iamport_client(void)
{
    Suite *s = suite_create("iamport_client");

    TCase *token = sandbox_case("token");
    tcase_add_test(token, token_fetched_once_for_32_concurrent_callers);
    tcase_add_test(token, expired_token_midflight_refreshes_once_and_retries);
    tcase_add_test(token, expired_token_with_32_callers_refreshes_once);
    tcase_add_test(token, expired_token_on_a_charge_retries_once_and_charges_once);
    tcase_add_test(token, token_refreshed_60_seconds_before_expiry);
    tcase_add_test(token, token_expiry_follows_server_time_not_local_wall_clock);
    tcase_add_test(token, token_sent_as_plain_authorization_header);
    tcase_add_test(token, bad_credentials_are_auth_errors);
    tcase_add_test(token, include_sandbox_is_sent_on_payment_lookups);
    tcase_add_test(token, secrets_and_tokens_never_reach_the_log);
    suite_add_tcase(s, token);

    TCase *money = sandbox_case("money");
    tcase_add_test(money, decline_is_ok_with_failed_payment);
    tcase_add_test(money, again_fields_round_trip);
    tcase_add_test(money, again_hang_after_processing_is_unknown_and_not_retried);
    tcase_add_test(money, again_drop_after_processing_is_unknown_and_not_retried);
    tcase_add_test(money, again_drop_before_processing_is_unknown_and_lookup_shows_nothing);
    tcase_add_test(money, again_http500_after_processing_is_reported_not_retried);
    tcase_add_test(money, again_bad_json_after_processing_is_parse_error_and_unknown);
    tcase_add_test(money, cancel_timeout_is_unknown_and_not_retried);
    tcase_add_test(money, delete_customer_timeout_is_unknown_and_not_retried);
    suite_add_tcase(s, money);

    TCase *transport = sandbox_case("transport");
    tcase_add_test(transport, lookup_retried_after_one_http500);
    tcase_add_test(transport, lookup_fails_after_three_http500);
    tcase_add_test(transport, lookup_retried_after_dropped_connections);
    tcase_add_test(transport, lookup_bad_json_is_parse_error);
    tcase_add_test(transport, server_gone_after_token_is_transport_for_a_charge);
    tcase_add_test(transport, connections_are_reused);
    tcase_add_test(transport, connections_are_reused_across_threads);
    tcase_add_test(transport, calls_past_max_concurrent_are_busy_and_send_nothing);
    suite_add_tcase(s, transport);

    TCase *errors = sandbox_case("errors");
    tcase_add_test(errors, again_errors_keep_code_and_message);
    tcase_add_test(errors, cancel_errors_keep_code_and_message);
    tcase_add_test(errors, schedule_errors_keep_code_and_message);
    tcase_add_test(errors, prepare_errors_keep_code_and_message);
    tcase_add_test(errors, payment_not_found_keeps_message);
    tcase_add_test(errors, customer_not_found_as_404);
    tcase_add_test(errors, customer_not_found_as_200_code_1);
    tcase_add_test(errors, invalid_arguments_send_nothing);
    suite_add_tcase(s, errors);

    TCase *calls = sandbox_case("calls");
    tcase_add_test(calls, path_ids_are_escaped);
    tcase_add_test(calls, unknown_escaped_id_is_echoed_back_whole);
    tcase_add_test(calls, merchant_uid_with_special_characters_round_trips);
    tcase_add_test(calls, partial_then_full_cancel);
    tcase_add_test(calls, schedule_list_get_unschedule_execute);
    tcase_add_test(calls, customer_get_and_delete);
    suite_add_tcase(s, calls);

    TCase *offline = tcase_create("offline");
    tcase_add_checked_fixture(offline, plain_setup, plain_teardown);
    tcase_set_timeout(offline, 60);
    tcase_add_test(offline, connection_refused_is_transport_error_quickly);
    tcase_add_test(offline, client_options_are_validated);
    tcase_add_test(offline, oversized_answer_is_refused);
    tcase_add_test(offline, non_envelope_answers);
    tcase_add_test(offline, hostile_token_answers);
    tcase_add_test(offline, expired_or_short_token_is_fetched_again);
    tcase_add_test(offline, long_message_is_cut_at_a_character_boundary);
    tcase_add_test(offline, tier_and_authorization_headers);
    tcase_add_test(offline, persistent_401_refreshes_once_then_fails);
    tcase_add_test(offline, envelope_mapping);
    tcase_add_test(offline, payment_parsing);
    tcase_add_test(offline, envelope_reads_only_body_len_bytes);
    tcase_add_test(offline, schedule_list_parsing);
    tcase_add_test(offline, status_names_and_unknown_outcomes);
    suite_add_tcase(s, offline);
    return s;
}

TESTLIB_MAIN(suite_iamport_client)
