/* Service configuration: the table of environment variables and the parsers behind it. */
#include "server/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/core/cidr.h"
#include "server/core/percent.h"
#include "server/core/xalloc.h"

enum config_type {
    CONFIG_INT,       /* decimal, full string, min..max, stored as int */
    CONFIG_SIZE,      /* bytes with optional k/K/m/M suffix, min..max, stored as size_t */
    CONFIG_STRING,    /* any text without control characters, stored as char * */
    CONFIG_IP_ADDR,   /* IPv4 or IPv6 literal, stored as char * */
    CONFIG_URL,       /* http:// or https:// URL, trailing '/' stripped, stored as char * */
    CONFIG_LOG_LEVEL, /* debug|info|warn|error, stored as enum log_level */
    CONFIG_API_KEYS,  /* "name:key,name:key", stored in api_keys/api_key_count */
    CONFIG_CIDRS,     /* IPv4/IPv6 CIDR list (server/core/cidr.h), stored as char * */
};

enum config_flag {
    CONFIG_REQUIRED = 1u << 0, /* no default: must be set */
    CONFIG_SECRET = 1u << 1,   /* never echoed in errors or logs */
};

struct config_var {
    const char *name; /* environment variable */
    enum config_type type;
    const char *default_value; /* parsed like user input; NULL = no default */
    long long min, max;        /* bounds for CONFIG_INT and CONFIG_SIZE */
    unsigned flags;            /* enum config_flag */
    size_t offset;             /* target field in struct config */
    const char *description;   /* one line, for --help */
};

#define KIB 1024LL
#define MIB (1024LL * 1024LL)
#define FIELD(f) offsetof(struct config, f)

/* clang-format off */
static const struct config_var config_vars[] = {
    {"PORT", CONFIG_INT, "8080", 0, 65535, 0, FIELD(port),
     "TCP port to listen on, 0..65535; 0 picks a free port"},
    {"LISTEN_ADDR", CONFIG_IP_ADDR, "0.0.0.0", 0, 0, 0, FIELD(listen_addr),
     "IPv4 or IPv6 address to listen on"},
    {"DATABASE_URL", CONFIG_STRING, NULL, 0, 0, CONFIG_REQUIRED | CONFIG_SECRET,
     FIELD(database_url), "PostgreSQL connection URL or keyword string"},
    {"IAMPORT_BASE_URL", CONFIG_URL, "https://api.iamport.kr", 0, 0, 0,
     FIELD(iamport_base_url), "iamport REST API base URL (point it at the sandbox in tests)"},
    {"IAMPORT_API_KEY", CONFIG_STRING, NULL, 0, 0, CONFIG_REQUIRED | CONFIG_SECRET,
     FIELD(iamport_api_key), "iamport REST API key (imp_key)"},
    {"IAMPORT_API_SECRET", CONFIG_STRING, NULL, 0, 0, CONFIG_REQUIRED | CONFIG_SECRET,
     FIELD(iamport_api_secret), "iamport REST API secret (imp_secret)"},
    {"BILLKEY_API_KEYS", CONFIG_API_KEYS, "", 0, 0, CONFIG_SECRET, FIELD(api_keys),
     "merchant API keys as comma-separated name:key pairs (name 1-32 of A-Za-z0-9_.-, key 16+ "
     "printable characters); empty refuses every merchant API call"},
    {"PUBLIC_BASE_URL", CONFIG_URL, "http://localhost:8080", 0, 0, 0, FIELD(public_base_url),
     "URL browsers use to reach this service"},
    {"LOG_LEVEL", CONFIG_LOG_LEVEL, "info", 0, 0, 0, FIELD(log_level),
     "debug, info, warn or error"},
    {"MAX_BODY_BYTES", CONFIG_SIZE, "64k", 1 * KIB, 16 * MIB, 0, FIELD(max_body_bytes),
     "request body cap, 1k..16m (k/m suffixes); larger bodies get 413"},
    {"HTTP_TIMEOUT_SECONDS", CONFIG_INT, "30", 1, 3600, 0, FIELD(http_timeout_seconds),
     "idle connection timeout, 1..3600"},
    {"SHUTDOWN_TIMEOUT_SECONDS", CONFIG_INT, "10", 0, 600, 0, FIELD(shutdown_timeout_seconds),
     "how long SIGTERM waits for in-flight requests, 0..600"},
    {"HTTP_MAX_CONNECTIONS", CONFIG_INT, "256", 1, 10000, 0, FIELD(http_max_connections),
     "concurrent connections served (an idle or slow one costs no thread), 1..10000"},
    {"DB_POOL_SIZE", CONFIG_INT, "8", 1, 256, 0, FIELD(db_pool_size),
     "PostgreSQL connections in the pool, 1..256"},
    {"DB_ACQUIRE_TIMEOUT_MS", CONFIG_INT, "2000", 1, 60000, 0, FIELD(db_acquire_timeout_ms),
     "how long a request waits for a pooled connection, 1..60000 ms"},
    {"STATIC_DIR", CONFIG_STRING, "static", 0, 0, 0, FIELD(static_dir),
     "folder served under /static/"},
    {"IAMPORT_CONNECT_TIMEOUT_MS", CONFIG_INT, "3000", 100, 60000, 0,
     FIELD(iamport_connect_timeout_ms), "iamport connect timeout, 100..60000 ms"},
    {"IAMPORT_TIMEOUT_MS", CONFIG_INT, "15000", 100, 120000, 0, FIELD(iamport_timeout_ms),
     "iamport total per-request timeout, 100..120000 ms"},
    {"IMP_CODE", CONFIG_STRING, "", 0, 0, 0, FIELD(imp_code),
     "iamport merchant identification code for IMP.init (e.g. imp12345678)"},
    {"IAMPORT_SDK_URL", CONFIG_URL, "https://cdn.iamport.kr/v1/iamport.js", 0, 0, 0,
     FIELD(iamport_sdk_url), "iamport JavaScript SDK loaded by the checkout page"},
    {"SANDBOX_MODE", CONFIG_INT, "0", 0, 1, 0, FIELD(sandbox_mode),
     "1 enables the demo checkout route (no merchant key); refused unless IAMPORT_BASE_URL is "
     "a loopback address (the iamport sandbox)"},
    {"PG_KAKAOPAY_CID", CONFIG_STRING, "", 0, 0, 0, FIELD(pg_kakaopay_cid),
     "KakaoPay subscription CID: pg becomes kakaopay.<CID> (empty: kakaopay)"},
    {"PG_KICC_MID", CONFIG_STRING, "", 0, 0, 0, FIELD(pg_kicc_mid),
     "KICC billing MID: pg becomes kicc.<MID> (empty: kicc)"},
    {"PG_CHAI_PUBLIC_KEY", CONFIG_STRING, "", 0, 0, 0, FIELD(pg_chai_public_key),
     "CHAI public key: pg becomes chai.<key> (empty: chai)"},
    {"NAVERPAY_PRODUCT_CODE", CONFIG_STRING, "billkey", 0, 0, 0, FIELD(naverpay_product_code),
     "naverProductCode sent with NaverPay registrations (blocks duplicate sign-ups)"},
    {"NAVERPAY_CHAIN_ID", CONFIG_STRING, "", 0, 0, 0, FIELD(naverpay_chain_id),
     "naverChainId for group merchants (empty: not sent)"},
    {"CHARGE_AMOUNT_MAX", CONFIG_INT, "100000000", 100, 2000000000, 0,
     FIELD(charge_amount_max),
     "largest amount (won) the merchant API charges or books in one payment, 100..2000000000"},
    {"WEBHOOK_ALLOWED_CIDRS", CONFIG_CIDRS, "", 0, 0, 0, FIELD(webhook_allowed_cidrs),
     "IPv4/IPv6 CIDRs allowed to POST /webhooks/iamport, comma-separated (empty: any sender)"},
    {"METRICS_TOKEN", CONFIG_STRING, "", 0, 0, CONFIG_SECRET, FIELD(metrics_token),
     "bearer token GET /metrics requires (empty: /metrics answers 404)"},
    {"REQUEST_DEADLINE_MS", CONFIG_INT, "10000", 100, 600000, 0, FIELD(request_deadline_ms),
     "how long a connection may take to send one request's headers and body, 100..600000 ms; "
     "then it is closed"},
    {"PER_IP_CONNECTION_LIMIT", CONFIG_INT, "32", 0, 10000, 0, FIELD(per_ip_connection_limit),
     "open connections per client address, 0..10000 (0: no limit; behind a proxy every "
     "connection has the proxy's address)"},
    {"TRUSTED_PROXIES", CONFIG_CIDRS, "", 0, 0, 0, FIELD(trusted_proxies),
     "IPv4/IPv6 CIDRs of proxies whose X-Forwarded-For names the client, comma-separated "
     "(empty: the peer is the client)"},
    {"VERIFY_RATE_PER_MINUTE", CONFIG_INT, "60", 0, 100000, 0, FIELD(verify_rate_per_minute),
     "verifications (POST /payments/complete, the mobile landing) a client address may start "
     "per minute, 0..100000 (0: no limit); more get 429"},
    {"VERIFY_RATE_BURST", CONFIG_INT, "30", 1, 100000, 0, FIELD(verify_rate_burst),
     "verifications a client address may start at once, 1..100000"},
    {"UNKNOWN_IMP_UID_TTL_SECONDS", CONFIG_INT, "30", 0, 300, 0, FIELD(unknown_imp_uid_ttl_seconds),
     "how long an imp_uid iamport does not know is answered 404 without asking again, 0..300 "
     "(0: never remembered)"},
    {"NAVERPAY_USE_CFM", CONFIG_INT, "0", 0, 1, 0, FIELD(naverpay_use_cfm),
     "1 when the NaverPay contract requires extra.naverUseCfm: billkey fills in the charge's date "
     "in Korea where the merchant sent none; 0 sends it only when the merchant does"},
    {"IAMPORT_MAX_CONCURRENT", CONFIG_INT, "64", 1, 10000, 0, FIELD(iamport_max_concurrent),
     "iamport calls in flight at once, 1..10000; past it requests get 503 with Retry-After"},
    {"RECONCILE_INTERVAL_MS", CONFIG_INT, "30000", 0, 86400000, 0, FIELD(reconcile_interval_ms),
     "time between reconciler passes, 0..86400000 ms; 0 disables the reconciler"},
    {"RECONCILE_REGISTRATION_GRACE_S", CONFIG_INT, "1800", 0, 31536000, 0,
     FIELD(reconcile_registration_grace_s),
     "a registration still pending this long after its checkout is settled or expired, s"},
    {"RECONCILE_CHARGE_GRACE_S", CONFIG_INT, "120", 0, 31536000, 0,
     FIELD(reconcile_charge_grace_s),
     "a charge left requested/unknown this long is looked up at iamport, s"},
    {"RECONCILE_SCHEDULE_GRACE_S", CONFIG_INT, "300", 0, 31536000, 0,
     FIELD(reconcile_schedule_grace_s),
     "a schedule without a result this long after its schedule_at is looked up at iamport, s"},
    {"WEBHOOK_POLL_MS", CONFIG_INT, "2000", 10, 600000, 0, FIELD(webhook_poll_ms),
     "how often the webhook worker looks for events it was not woken for, 10..600000 ms"},
    {"IDEMPOTENCY_KEEP_HOURS", CONFIG_INT, "24", 0, 8760, 0, FIELD(idempotency_keep_hours),
     "how long a stored Idempotency-Key answer is replayed, 0..8760 h; older ones are deleted by "
     "the reconciler (0: kept for ever)"},
    {"DB_BATCH_MAX", CONFIG_INT, "64", 0, 1000, 0, FIELD(db_batch_max),
     "group commit: concurrent verifications' registration reads, and their accepts, run as "
     "one statement of up to this many, 0..1000 (0 or 1: one statement each)"},
    {"HTTP_WORKERS", CONFIG_INT, "96", 1, 1024, 0, FIELD(http_workers),
     "threads running the handlers that block (PostgreSQL, iamport), 1..1024"},
    {"HTTP_QUEUE_LIMIT", CONFIG_INT, "256", 0, 100000, 0, FIELD(http_queue_limit),
     "complete requests waiting for a free worker, 0..100000; past it 503 with Retry-After"},
};
/* clang-format on */

#define CONFIG_VAR_COUNT (sizeof config_vars / sizeof config_vars[0])

#define API_KEY_NAME_MAX 32
#define API_KEY_MIN 16
#define API_KEY_MAX 256
#define API_KEYS_MAX 64
#define ECHO_MAX 64                   /* bytes of a bad value shown in an error */
#define QUOTED_MAX (ECHO_MAX * 4 + 8) /* room for \xNN escapes, quotes and "..." */

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* Every problem found by config_load, one per line. */
struct problems {
    char *text; /* owned; NULL until the first problem */
    size_t len;
    int count;
};

__attribute__((format(printf, 2, 3))) static void problem_add(struct problems *p, const char *fmt,
                                                              ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    p->text = xrealloc(p->text, p->len + n + 2);
    memcpy(p->text + p->len, line, n);
    free(line);
    p->len += n;
    p->text[p->len++] = '\n';
    p->text[p->len] = '\0';
    p->count++;
}

/* Writes the value as it may appear in an error: "'80x'" (first ECHO_MAX bytes, control and
 * non-ASCII bytes as \xNN, "..." when cut), or "the value" for a secret variable. */
static void quote_value(char out[QUOTED_MAX], const struct config_var *var, const char *value)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    if (var->flags & CONFIG_SECRET) {
        snprintf(out, QUOTED_MAX, "the value");
        return;
    }
    out[o++] = '\'';
    size_t i;
    for (i = 0; value[i] && i < ECHO_MAX; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 0x20 || c >= 0x7f) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 0xf];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '\'';
    if (value[i]) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* "1k", "16m" or plain bytes: how size bounds are shown. */
static void format_size(char out[32], long long bytes)
{
    if (bytes != 0 && bytes % MIB == 0)
        snprintf(out, 32, "%lldm", bytes / MIB);
    else if (bytes != 0 && bytes % KIB == 0)
        snprintf(out, 32, "%lldk", bytes / KIB);
    else
        snprintf(out, 32, "%lld", bytes);
}

/* Reports "NAME: <value as quote_value shows it> <what fmt says>" and returns -1. */
__attribute__((format(printf, 4, 5))) static int reject_value(struct problems *p,
                                                              const struct config_var *var,
                                                              const char *value, const char *fmt,
                                                              ...)
{
    char shown[QUOTED_MAX], what[160];
    va_list ap;

    quote_value(shown, var, value);
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    problem_add(p, "%s: %s %s", var->name, shown, what);
    return -1;
}

static int has_control_char(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return 1;
    }
    return 0;
}

static void *field_at(struct config *cfg, const struct config_var *var)
{
    return (char *)cfg + var->offset;
}

static const void *field_at_const(const struct config *cfg, const struct config_var *var)
{
    return (const char *)cfg + var->offset;
}

static int parse_int(const struct config_var *var, const char *value, struct config *cfg,
                     struct problems *p)
{
    char *end = NULL;
    long long n;

    if (!(isdigit((unsigned char)value[0]) ||
          (value[0] == '-' && isdigit((unsigned char)value[1]))))
        return reject_value(p, var, value, "is not an integer");
    errno = 0;
    n = strtoll(value, &end, 10);
    if (*end != '\0')
        return reject_value(p, var, value, "is not an integer");
    if (errno == ERANGE)
        return reject_value(p, var, value, "is out of range %lld..%lld", var->min, var->max);
    if (n < var->min || n > var->max) {
        problem_add(p, "%s: %lld is out of range %lld..%lld", var->name, n, var->min, var->max);
        return -1;
    }
    *(int *)field_at(cfg, var) = (int)n;
    return 0;
}

static int parse_size(const struct config_var *var, const char *value, struct config *cfg,
                      struct problems *p)
{
    char lo[32], hi[32];
    char *end = NULL;
    long long n, unit;

    if (!isdigit((unsigned char)value[0]))
        goto not_a_size;
    errno = 0;
    n = strtoll(value, &end, 10);
    if (strcmp(end, "") == 0)
        unit = 1;
    else if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0)
        unit = KIB;
    else if (strcmp(end, "m") == 0 || strcmp(end, "M") == 0)
        unit = MIB;
    else
        goto not_a_size;
    if (errno == ERANGE || n > LLONG_MAX / unit || n * unit < var->min || n * unit > var->max) {
        format_size(lo, var->min);
        format_size(hi, var->max);
        return reject_value(p, var, value, "is out of range %s..%s", lo, hi);
    }
    *(size_t *)field_at(cfg, var) = (size_t)(n * unit);
    return 0;

not_a_size:
    return reject_value(p, var, value, "is not a size (bytes with an optional k or m suffix)");
}

static int parse_string(const struct config_var *var, const char *value, struct config *cfg,
                        struct problems *p)
{
    if (has_control_char(value))
        return reject_value(p, var, value, "contains a control character");
    *(char **)field_at(cfg, var) = xstrdup(value);
    return 0;
}

static int parse_ip_addr(const struct config_var *var, const char *value, struct config *cfg,
                         struct problems *p)
{
    unsigned char addr[sizeof(struct in6_addr)];

    if (inet_pton(AF_INET, value, addr) != 1 && inet_pton(AF_INET6, value, addr) != 1)
        return reject_value(p, var, value, "is not an IPv4 or IPv6 address");
    *(char **)field_at(cfg, var) = xstrdup(value);
    return 0;
}

static int parse_cidrs(const struct config_var *var, const char *value, struct config *cfg,
                       struct problems *p)
{
    struct cidr_list list;
    char *why = NULL;
    if (cidr_list_parse(value, &list, &why) != 0) {
        problem_add(p, "%s: %s", var->name, why ? why : "is not a CIDR list");
        free(why);
        return -1;
    }
    cidr_list_release(&list);
    *(char **)field_at(cfg, var) = xstrdup(value);
    return 0;
}

static int parse_url(const struct config_var *var, const char *value, struct config *cfg,
                     struct problems *p)
{
    const char *rest;

    if (strncasecmp(value, "http://", 7) == 0)
        rest = value + 7;
    else if (strncasecmp(value, "https://", 8) == 0)
        rest = value + 8;
    else
        return reject_value(p, var, value, "is not an http:// or https:// URL");
    for (const char *c = value; *c; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c == 0x7f)
            return reject_value(p, var, value, "contains a space or control character");
        if (*c == '?' || *c == '#')
            return reject_value(p, var, value, "must not have a query or fragment");
    }
    if (rest[0] == '\0' || rest[0] == '/')
        return reject_value(p, var, value, "has no host");
    size_t len = strlen(value);
    while (len > 0 && value[len - 1] == '/')
        len--;
    *(char **)field_at(cfg, var) = xstrndup(value, len);
    return 0;
}

static int parse_log_level(const struct config_var *var, const char *value, struct config *cfg,
                           struct problems *p)
{
    enum log_level level;

    if (log_level_parse(value, &level) != 0)
        return reject_value(p, var, value, "is not one of debug, info, warn, error");
    *(enum log_level *)field_at(cfg, var) = level;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Copies [start, end) without surrounding blanks. Caller frees. */
static char *trimmed_copy(const char *start, const char *end)
{
    while (start < end && is_blank(*start))
        start++;
    while (end > start && is_blank(end[-1]))
        end--;
    return xstrndup(start, (size_t)(end - start));
}

static int api_key_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len < 1 || len > API_KEY_NAME_MAX)
        return 0;
    for (const char *c = name; *c; c++) {
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
            return 0;
    }
    return 1;
}

/* Checks one key; returns NULL when valid, else what is wrong with it. */
static const char *api_key_problem(const char *key)
{
    size_t len = strlen(key);
    if (len < API_KEY_MIN)
        return "a key shorter than 16 characters";
    if (len > API_KEY_MAX)
        return "a key longer than 256 characters";
    for (const char *c = key; *c; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || *c == ':' || *c == ',')
            return "a key with a space, ':', ',' or non-printable character";
    }
    return NULL;
}

static void api_keys_free(struct merchant_key *keys, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(keys[i].name);
        free(keys[i].key);
    }
    free(keys);
}

/* Parses "name:key,name:key". Problems name the entry by position and never echo its text. */
static int parse_api_keys(const struct config_var *var, const char *value, struct config *cfg,
                          struct problems *p)
{
    struct merchant_key *keys = NULL;
    size_t *entry_of = NULL; /* entry number (1-based) of each accepted key */
    size_t count = 0, entries = 1;
    int before = p->count;

    if (value[0] == '\0')
        return 0;
    for (const char *c = value; *c; c++)
        entries += *c == ',';
    if (entries > API_KEYS_MAX) {
        problem_add(p, "%s: more than %d entries", var->name, API_KEYS_MAX);
        return -1;
    }
    keys = xcalloc(entries, sizeof *keys);
    entry_of = xcalloc(entries, sizeof *entry_of);

    const char *start = value;
    for (size_t entry = 1; entry <= entries; entry++) {
        const char *end = strchr(start, ',');
        if (!end)
            end = start + strlen(start);
        const char *entry_start = start;
        const char *colon = memchr(start, ':', (size_t)(end - start));
        char *whole = trimmed_copy(start, end);
        int empty = whole[0] == '\0';
        free(whole);
        start = *end ? end + 1 : end;

        if (empty) {
            problem_add(p, "%s: entry %zu is empty", var->name, entry);
            continue;
        }
        if (!colon) {
            problem_add(p, "%s: entry %zu has no ':' separating name and key", var->name, entry);
            continue;
        }
        char *name = trimmed_copy(entry_start, colon);
        char *key = trimmed_copy(colon + 1, end);
        const char *key_problem = api_key_problem(key);
        int ok = 1;
        if (!api_key_name_valid(name)) {
            problem_add(p, "%s: entry %zu has an invalid name (want 1-32 of A-Z a-z 0-9 _ . -)",
                        var->name, entry);
            ok = 0;
        }
        if (key_problem) {
            problem_add(p, "%s: entry %zu has %s", var->name, entry, key_problem);
            ok = 0;
        }
        for (size_t i = 0; ok && i < count; i++) {
            if (strcmp(keys[i].name, name) == 0) {
                problem_add(p, "%s: entry %zu repeats the name of entry %zu", var->name, entry,
                            entry_of[i]);
                ok = 0;
            }
            if (strcmp(keys[i].key, key) == 0) {
                problem_add(p, "%s: entry %zu repeats the key of entry %zu", var->name, entry,
                            entry_of[i]);
                ok = 0;
            }
        }
        if (!ok) {
            free(name);
            free(key);
            continue;
        }
        keys[count].name = name;
        keys[count].key = key;
        entry_of[count] = entry;
        count++;
    }

    free(entry_of);
    if (p->count != before) {
        api_keys_free(keys, count);
        return -1;
    }
    cfg->api_keys = keys;
    cfg->api_key_count = count;
    return 0;
}

static int parse_var(const struct config_var *var, const char *value, struct config *cfg,
                     struct problems *p)
{
    switch (var->type) {
    case CONFIG_INT:
        return parse_int(var, value, cfg, p);
    case CONFIG_SIZE:
        return parse_size(var, value, cfg, p);
    case CONFIG_STRING:
        return parse_string(var, value, cfg, p);
    case CONFIG_IP_ADDR:
        return parse_ip_addr(var, value, cfg, p);
    case CONFIG_URL:
        return parse_url(var, value, cfg, p);
    case CONFIG_LOG_LEVEL:
        return parse_log_level(var, value, cfg, p);
    case CONFIG_API_KEYS:
        return parse_api_keys(var, value, cfg, p);
    case CONFIG_CIDRS:
        return parse_cidrs(var, value, cfg, p);
    }
    problem_add(p, "%s: unknown variable type %d", var->name, (int)var->type);
    return -1;
}

/* 1 when the host of an http(s) URL that parse_url accepted is a loopback address: localhost,
 * 127.0.0.0/8 or [::1]. */
static int url_host_is_loopback(const char *url)
{
    const char *host = strstr(url, "://") + 3;
    size_t len = strcspn(host, "/");
    const char *at = memchr(host, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    char name[256];
    if (host[0] == '[') {
        const char *close = memchr(host, ']', len);
        if (!close || (size_t)(close - host - 1) >= sizeof name)
            return 0;
        snprintf(name, sizeof name, "%.*s", (int)(close - host - 1), host + 1);
        struct in6_addr a6;
        return inet_pton(AF_INET6, name, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    len = strcspn(host, ":/@");
    if (len >= sizeof name)
        return 0;
    snprintf(name, sizeof name, "%.*s", (int)len, host);
    struct in_addr a4;
    if (inet_pton(AF_INET, name, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return strcasecmp(name, "localhost") == 0;
}

/* Checks between variables, once each has parsed. SANDBOX_MODE=1 opens key-less checkout
 * creation (KakaoPay prepare calls included): only against the sandbox on this machine. */
static void check_combinations(const struct config *cfg, struct problems *p)
{
    if (cfg->sandbox_mode && cfg->iamport_base_url && !url_host_is_loopback(cfg->iamport_base_url))
        problem_add(p,
                    "SANDBOX_MODE: 1 needs IAMPORT_BASE_URL on a loopback address (the iamport "
                    "sandbox), not '%.64s': the demo route would create checkouts without a "
                    "merchant key on a real iamport account",
                    cfg->iamport_base_url);
}

/* getenv() returns char *, so it needs this adapter to fit config_getenv_fn. */
static const char *process_getenv(const char *name)
{
    return getenv(name);
}

int config_load(struct config *cfg, config_getenv_fn getenv_fn, char **errors)
{
    struct problems p = {NULL, 0, 0};

    memset(cfg, 0, sizeof *cfg);
    if (errors)
        *errors = NULL;
    if (!getenv_fn)
        getenv_fn = process_getenv;
    for (size_t i = 0; i < CONFIG_VAR_COUNT; i++) {
        const struct config_var *var = &config_vars[i];
        const char *value = getenv_fn(var->name);
        if (value && value[0] == '\0')
            value = NULL;
        if (!value && (var->flags & CONFIG_REQUIRED)) {
            problem_add(&p, "%s: required but not set", var->name);
            continue;
        }
        if (!value)
            value = var->default_value;
        if (value)
            parse_var(var, value, cfg, &p);
    }
    check_combinations(cfg, &p);
    if (p.count == 0)
        return 0;
    config_release(cfg);
    if (errors)
        *errors = p.text;
    else
        free(p.text);
    return p.count;
}

void config_release(struct config *cfg)
{
    for (size_t i = 0; i < CONFIG_VAR_COUNT; i++) {
        const struct config_var *var = &config_vars[i];
        switch (var->type) {
        case CONFIG_STRING:
        case CONFIG_IP_ADDR:
        case CONFIG_URL:
        case CONFIG_CIDRS:
            free(*(char **)field_at(cfg, var));
            break;
        case CONFIG_API_KEYS:
            api_keys_free(cfg->api_keys, cfg->api_key_count);
            break;
        case CONFIG_INT:
        case CONFIG_SIZE:
        case CONFIG_LOG_LEVEL:
            break;
        }
    }
    memset(cfg, 0, sizeof *cfg);
}

void config_print_help(FILE *out)
{
    fprintf(out, "billkeyd reads these environment variables (empty values count as unset):\n\n");
    for (size_t i = 0; i < CONFIG_VAR_COUNT; i++) {
        const struct config_var *var = &config_vars[i];
        fprintf(out, "  %s", var->name);
        if (!var->default_value)
            fprintf(out, " (no default");
        else if (var->default_value[0] == '\0')
            fprintf(out, " (default: empty");
        else
            fprintf(out, " (default: %s", var->default_value);
        fprintf(out, "%s%s)\n", (var->flags & CONFIG_REQUIRED) ? ", required" : "",
                (var->flags & CONFIG_SECRET) ? ", secret" : "");
        fprintf(out, "      %s\n", var->description);
    }
}

static void register_span(const char *s, size_t len)
{
    char *raw = xstrndup(s, len);
    size_t nul_at;
    char *decoded = percent_decode(s, len, PERCENT_KEEP_MALFORMED, NULL, &nul_at);
    if (!decoded) /* %00: the password as a C string ends there */
        decoded = percent_decode(s, nul_at, PERCENT_KEEP_MALFORMED, NULL, NULL);
    log_register_secret(raw);
    log_register_secret(decoded);
    free(raw);
    free(decoded);
}

/* Registers the password inside a PostgreSQL URL (user:password@ or ?password=) or keyword
 * string (password=value or password='value'), so a driver message that quotes only the
 * password is scrubbed too. */
static void register_database_password(const char *url)
{
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        const char *auth = strstr(url, "//") + 2;
        const char *at = strchr(auth, '@');
        const char *query = strchr(auth, '?');
        if (at && (!query || at < query)) {
            const char *colon = memchr(auth, ':', (size_t)(at - auth));
            if (colon)
                register_span(colon + 1, (size_t)(at - colon - 1));
        }
        for (const char *q = query; q; q = strchr(q + 1, '&')) {
            if (strncmp(q + 1, "password=", 9) == 0)
                register_span(q + 10, strcspn(q + 10, "&#"));
        }
        return;
    }
    for (const char *kw = strstr(url, "password"); kw; kw = strstr(kw + 1, "password")) {
        const char *v = kw + 8;
        while (is_blank(*v))
            v++;
        if (*v != '=')
            continue;
        v++;
        while (is_blank(*v))
            v++;
        if (*v == '\'') {
            v++;
            register_span(v, strcspn(v, "'"));
        } else {
            register_span(v, strcspn(v, " \t"));
        }
    }
}

void config_register_secrets(const struct config *cfg)
{
    for (size_t i = 0; i < CONFIG_VAR_COUNT; i++) {
        const struct config_var *var = &config_vars[i];
        if (!(var->flags & CONFIG_SECRET))
            continue;
        if (var->type == CONFIG_API_KEYS) {
            for (size_t k = 0; k < cfg->api_key_count; k++)
                log_register_secret(cfg->api_keys[k].key);
        } else {
            const char *value = *(char *const *)field_at_const(cfg, var);
            if (value)
                log_register_secret(value);
        }
    }
    if (cfg->database_url)
        register_database_password(cfg->database_url);
}

size_t config_var_count(void)
{
    return CONFIG_VAR_COUNT;
}

void config_var_info(size_t i, struct config_var_info *out)
{
    memset(out, 0, sizeof *out);
    if (i >= CONFIG_VAR_COUNT)
        return;
    out->name = config_vars[i].name;
    out->default_value = config_vars[i].default_value;
    out->required = (config_vars[i].flags & CONFIG_REQUIRED) != 0;
    out->secret = (config_vars[i].flags & CONFIG_SECRET) != 0;
    out->description = config_vars[i].description;
}

void config_log_effective(const struct config *cfg)
{
    cJSON *fields = cJSON_CreateObject();
    for (size_t i = 0; i < CONFIG_VAR_COUNT; i++) {
        const struct config_var *var = &config_vars[i];
        const void *field = field_at_const(cfg, var);
        if (var->flags & CONFIG_SECRET) {
            int set = var->type == CONFIG_API_KEYS ? cfg->api_key_count > 0
                                                   : *(char *const *)field != NULL;
            cJSON_AddStringToObject(fields, var->name, set ? "[set]" : "[unset]");
            continue;
        }
        switch (var->type) {
        case CONFIG_INT:
            cJSON_AddNumberToObject(fields, var->name, *(const int *)field);
            break;
        case CONFIG_SIZE:
            cJSON_AddNumberToObject(fields, var->name, (double)*(const size_t *)field);
            break;
        case CONFIG_STRING:
        case CONFIG_IP_ADDR:
        case CONFIG_URL:
        case CONFIG_CIDRS: {
            const char *s = *(char *const *)field;
            if (s)
                cJSON_AddStringToObject(fields, var->name, s);
            else
                cJSON_AddNullToObject(fields, var->name);
            break;
        }
        case CONFIG_LOG_LEVEL: {
            unsigned level = (unsigned)*(const enum log_level *)field;
            cJSON_AddStringToObject(fields, var->name, level < 4 ? level_names[level] : "unknown");
            break;
        }
        case CONFIG_API_KEYS:
            cJSON_AddNumberToObject(fields, var->name, (double)cfg->api_key_count);
            break;
        }
    }
    log_json(LOG_INFO, NULL, "effective configuration", fields);
}
