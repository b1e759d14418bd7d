/* Structured logging: one JSON object per line on stderr, with secrets and card numbers scrubbed. */
#include "server/core/log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"

/* Tokens rotate: the newest MAX_TOKENS are kept. Start-up secrets are kept for the life of the
 * process, however many tokens come after them. */
#define MAX_TOKENS 64

/* One value to scrub. escaped is the value as cJSON escapes it inside a JSON string ('"', '\\',
 * control bytes), or NULL when escaping leaves it unchanged: log_json scrubs the printed line,
 * where only this form appears. Both owned. */
struct secret {
    char *raw;
    char *escaped;
};

static enum log_level current_level = LOG_INFO;
static FILE *log_stream;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret *secrets; /* owned array of secret_count start-up secrets */
static size_t secret_count, secret_cap;
static struct secret tokens[MAX_TOKENS]; /* ring of rotating tokens */
static size_t token_next;
/* The first bytes any secret or token (raw or escaped) has ever started with: the scrubber
 * compares only at those bytes. A token that rotates out leaves its byte set (harmless). */
static unsigned char first_bytes[256];

static const char *level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_level(enum log_level level)
{
    current_level = level;
}

int log_enabled(enum log_level level)
{
    return level >= current_level;
}

void log_set_stream(void *file)
{
    log_stream = file;
}

/* The JSON-escaped form of value without the surrounding quotes, or NULL when it is the same
 * as value. Caller frees. */
static char *json_escaped(const char *value)
{
    cJSON *str = cJSON_CreateString(value);
    char *printed = str ? cJSON_PrintUnformatted(str) : NULL;
    char *out = NULL;
    cJSON_Delete(str);
    if (!printed)
        return NULL;
    size_t n = strlen(printed);
    if (n >= 2 && (n - 2 != strlen(value) || strncmp(printed + 1, value, n - 2) != 0))
        out = xstrndup(printed + 1, n - 2);
    cJSON_free(printed);
    return out;
}

/* 1 when value is already scrubbed (as a secret or a token). Called with log_lock held. */
static int known(const char *value)
{
    for (size_t i = 0; i < secret_count; i++)
        if (strcmp(secrets[i].raw, value) == 0)
            return 1;
    for (size_t i = 0; i < MAX_TOKENS; i++)
        if (tokens[i].raw && strcmp(tokens[i].raw, value) == 0)
            return 1;
    return 0;
}

static void secret_release(struct secret *s)
{
    free(s->raw);
    free(s->escaped);
    s->raw = s->escaped = NULL;
}

/* Called with log_lock held. */
static void note_first_bytes(const struct secret *s)
{
    first_bytes[(unsigned char)s->raw[0]] = 1;
    if (s->escaped)
        first_bytes[(unsigned char)s->escaped[0]] = 1;
}

void log_register_secret(const char *value)
{
    if (!value || strlen(value) < 4)
        return;
    pthread_mutex_lock(&log_lock);
    if (!known(value)) {
        if (secret_count == secret_cap) {
            secret_cap = secret_cap ? secret_cap * 2 : 16;
            secrets = xrealloc(secrets, secret_cap * sizeof *secrets);
        }
        secrets[secret_count].raw = xstrdup(value);
        secrets[secret_count].escaped = json_escaped(value);
        note_first_bytes(&secrets[secret_count]);
        secret_count++;
    }
    pthread_mutex_unlock(&log_lock);
}

void log_register_token(const char *value)
{
    if (!value || strlen(value) < 4)
        return;
    pthread_mutex_lock(&log_lock);
    if (!known(value)) {
        secret_release(&tokens[token_next]);
        tokens[token_next].raw = xstrdup(value);
        tokens[token_next].escaped = json_escaped(value);
        note_first_bytes(&tokens[token_next]);
        token_next = (token_next + 1) % MAX_TOKENS;
    }
    pthread_mutex_unlock(&log_lock);
}

void log_shutdown(void)
{
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < secret_count; i++)
        secret_release(&secrets[i]);
    free(secrets);
    secrets = NULL;
    secret_count = secret_cap = 0;
    for (size_t i = 0; i < MAX_TOKENS; i++)
        secret_release(&tokens[i]);
    token_next = 0;
    memset(first_bytes, 0, sizeof first_bytes);
    pthread_mutex_unlock(&log_lock);
}

/* Length of a card-number-like run starting at s (digits with single ' ' or '-' between
 * groups), or 0 when the run does not hold 13..19 digits. *digits gets the digit count. */
static size_t card_run(const char *s, size_t *digits)
{
    size_t i = 0, n = 0, end = 0;
    while (s[i]) {
        if (isdigit((unsigned char)s[i])) {
            n++;
            i++;
            end = i;
        } else if ((s[i] == ' ' || s[i] == '-') && i > 0 && isdigit((unsigned char)s[i - 1]) &&
                   isdigit((unsigned char)s[i + 1])) {
            i++;
        } else {
            break;
        }
    }
    *digits = n;
    return (n >= 13 && n <= 19) ? end : 0;
}

/* The longest of `longest` and the lengths of the values in list[0..n) that text starts with.
 * In JSON text (json 1) a raw '"' or '\\' is syntax, never part of a value: only the escaped
 * form is matched there. Called with log_lock held. */
static size_t longest_match(const struct secret *list, size_t n, const char *text, int json,
                            size_t longest)
{
    for (size_t k = 0; k < n; k++) {
        const char *secret = json && list[k].escaped ? list[k].escaped : list[k].raw;
        size_t sl = secret ? strlen(secret) : 0;
        if (sl > longest && strncmp(text, secret, sl) == 0)
            longest = sl;
    }
    return longest;
}

/* log_scrub, on plain text (json 0) or on a printed JSON line (json 1), where secrets appear in
 * their JSON-escaped form. */
static char *scrub(const char *line, int json)
{
    size_t cap = strlen(line) * 2 + 16, len = 0;
    char *out = xmalloc(cap);

    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; line[i];) {
        /* the longest match: a secret that starts with another must not be left half shown */
        size_t matched = 0;
        if (first_bytes[(unsigned char)line[i]]) {
            matched = longest_match(secrets, secret_count, line + i, json, 0);
            matched = longest_match(tokens, MAX_TOKENS, line + i, json, matched);
        }
        if (matched) {
            static const char red[] = "[redacted]";
            if (len + sizeof red >= cap)
                out = xrealloc(out, cap = cap * 2 + sizeof red);
            memcpy(out + len, red, sizeof red - 1);
            len += sizeof red - 1;
            i += matched;
            continue;
        }
        size_t digits = 0, run = 0;
        if (isdigit((unsigned char)line[i]) && (i == 0 || !isdigit((unsigned char)line[i - 1])))
            run = card_run(line + i, &digits);
        if (run) {
            size_t seen = 0;
            if (len + run + 1 >= cap)
                out = xrealloc(out, cap = cap * 2 + run);
            for (size_t j = 0; j < run; j++) {
                char c = line[i + j];
                if (isdigit((unsigned char)c)) {
                    seen++;
                    out[len++] = (seen <= 6 || seen > digits - 4) ? c : '*';
                } else {
                    out[len++] = c;
                }
            }
            i += run;
            continue;
        }
        if (len + 2 >= cap)
            out = xrealloc(out, cap *= 2);
        out[len++] = line[i++];
    }
    pthread_mutex_unlock(&log_lock);
    out[len] = '\0';
    return out;
}

char *log_scrub(const char *line)
{
    return scrub(line, 0);
}

void log_json(enum log_level level, const char *request_id, const char *msg, cJSON *fields)
{
    if (!log_enabled(level)) {
        cJSON_Delete(fields);
        return;
    }
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof when - w, ".%03ldZ", ts.tv_nsec / 1000000L);

    /* time and level are billkey's own and never scrubbed; the request id (a client may send
     * its own), msg and the fields are, in one printed object whose '{' becomes a ','. */
    cJSON *rest = cJSON_CreateObject();
    if (request_id)
        cJSON_AddStringToObject(rest, "request_id", request_id);
    cJSON_AddStringToObject(rest, "msg", msg ? msg : "");
    if (fields) {
        cJSON *item = fields->child;
        while (item) {
            cJSON *next = item->next;
            cJSON_DetachItemViaPointer(fields, item);
            if (strcmp(item->string, "time") != 0 && strcmp(item->string, "level") != 0 &&
                !cJSON_GetObjectItemCaseSensitive(rest, item->string))
                cJSON_AddItemToObject(rest, item->string, item);
            else
                cJSON_Delete(item);
            item = next;
        }
        cJSON_Delete(fields);
    }
    char *text = cJSON_PrintUnformatted(rest);
    cJSON_Delete(rest);
    if (!text)
        return;
    char *clean = scrub(text, 1);
    cJSON_free(text);
    /* one buffer, one write: a line is never interleaved or split */
    char *out =
        xasprintf("{\"time\":\"%s\",\"level\":\"%s\",%s\n", when, level_names[level], clean + 1);
    free(clean);
    FILE *f = log_stream ? log_stream : stderr;
    flockfile(f);
    fwrite(out, 1, strlen(out), f);
    fflush(f);
    funlockfile(f);
    free(out);
}

void log_msg(enum log_level level, const char *request_id, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    /* Never cut the message to a fixed buffer: a secret cut in two no longer matches the
     * scrubber, and its first bytes would be written. */
    va_list ap;
    va_start(ap, fmt);
    char *buf = xvasprintf(fmt, ap);
    va_end(ap);
    log_json(level, request_id, buf, NULL);
    free(buf);
}
