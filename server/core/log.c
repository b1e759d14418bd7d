/* Structured logging: one JSON object per line on stderr, with secrets and card numbers scrubbed. */
#include "server/core/log.h"

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
    size_t raw_len;
    size_t escaped_len;
};

static enum log_level current_level = LOG_INFO;
static FILE *log_stream;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret *secrets; /* owned array of secret_count start-up secrets */
static size_t secret_count, secret_cap;
static struct secret tokens[MAX_TOKENS]; /* ring of rotating tokens */
static size_t token_next;
/* The first two bytes any secret or token (raw or escaped, all at least 4 bytes long) has ever
 * started with, one bit per pair: the scrubber compares only where a pair is set. A token that
 * rotates out leaves its bit set (harmless). */
static unsigned char first_pairs[65536 / 8];

static size_t pair_of(const char *s)
{
    return (size_t)(unsigned char)s[0] << 8 | (unsigned char)s[1];
}

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
    memset(s, 0, sizeof *s);
}

/* Fills *s with copies of value and its escaped form. Called with log_lock held. */
static void secret_set(struct secret *s, const char *value)
{
    s->raw = xstrdup(value);
    s->raw_len = strlen(value);
    s->escaped = json_escaped(value);
    s->escaped_len = s->escaped ? strlen(s->escaped) : 0;
    size_t pair = pair_of(s->raw);
    first_pairs[pair / 8] |= (unsigned char)(1u << (pair % 8));
    if (s->escaped_len >= 2) {
        pair = pair_of(s->escaped);
        first_pairs[pair / 8] |= (unsigned char)(1u << (pair % 8));
    }
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
        secret_set(&secrets[secret_count], value);
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
        secret_set(&tokens[token_next], value);
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
    memset(first_pairs, 0, sizeof first_pairs);
    pthread_mutex_unlock(&log_lock);
}

/* An ASCII digit (isdigit in the C locale, without a call per byte). */
static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of a card-number-like run starting at s (digits with single ' ' or '-' between
 * groups), or 0 when the run does not hold 13..19 digits. *digits gets the digit count. */
static size_t card_run(const char *s, size_t *digits)
{
    size_t i = 0, n = 0, end = 0;
    while (s[i]) {
        if (is_digit(s[i])) {
            n++;
            i++;
            end = i;
        } else if ((s[i] == ' ' || s[i] == '-') && i > 0 && is_digit(s[i - 1]) &&
                   is_digit(s[i + 1])) {
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
        const struct secret *s = &list[k];
        const char *secret = json && s->escaped ? s->escaped : s->raw;
        size_t sl = json && s->escaped ? s->escaped_len : s->raw_len;
        if (sl > longest && strncmp(text, secret, sl) == 0)
            longest = sl;
    }
    return longest;
}

/* A growing output buffer (xrealloc'd). */
struct out_buf {
    char *data;
    size_t len;
    size_t cap;
};

static void out_reserve(struct out_buf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

static void out_put(struct out_buf *b, const char *s, size_t n)
{
    out_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void out_puts(struct out_buf *b, const char *s)
{
    out_put(b, s, strlen(s));
}

/* log_scrub, on plain text (json 0) or on printed JSON (json 1), where secrets appear in their
 * JSON-escaped form: appends the scrubbed line to *out. */
static void scrub_into(struct out_buf *out, const char *line, int json)
{
    out_reserve(out, strlen(line) + 16);
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; line[i];) {
        /* the longest match: a secret that starts with another must not be left half shown */
        size_t matched = 0;
        size_t pair = line[i + 1] ? pair_of(line + i) : 0;
        if (first_pairs[pair / 8] & (1u << (pair % 8))) {
            matched = longest_match(secrets, secret_count, line + i, json, 0);
            matched = longest_match(tokens, MAX_TOKENS, line + i, json, matched);
        }
        if (matched) {
            out_put(out, "[redacted]", 10);
            i += matched;
            continue;
        }
        size_t digits = 0, run = 0;
        if (is_digit(line[i]) && (i == 0 || !is_digit(line[i - 1])))
            run = card_run(line + i, &digits);
        if (run) {
            size_t seen = 0;
            out_reserve(out, run);
            for (size_t j = 0; j < run; j++) {
                char c = line[i + j];
                if (is_digit(c)) {
                    seen++;
                    out->data[out->len++] = (seen <= 6 || seen > digits - 4) ? c : '*';
                } else {
                    out->data[out->len++] = c;
                }
            }
            out->data[out->len] = '\0';
            i += run;
            continue;
        }
        /* copy up to the next byte where a secret or a card number could start */
        size_t j = i + 1;
        while (line[j] && !(is_digit(line[j]) && !is_digit(line[j - 1]))) {
            pair = line[j + 1] ? pair_of(line + j) : 0;
            if (first_pairs[pair / 8] & (1u << (pair % 8)))
                break;
            j++;
        }
        out_put(out, line + i, j - i);
        i = j;
    }
    pthread_mutex_unlock(&log_lock);
}

char *log_scrub(const char *line)
{
    struct out_buf out = {0};
    out_reserve(&out, 0);
    out.data[0] = '\0';
    scrub_into(&out, line, 0);
    return out.data;
}

/* Appends s as a JSON string, escaped as cJSON escapes it (so that registered secrets appear
 * in the form the scrubber looks for). NULL prints "". */
static void out_json_string(struct out_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = s ? strlen(s) : 0;
    out_reserve(b, n + 2);
    b->data[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            break;
        }
        if (esc) {
            out_put(b, esc, 2);
        } else if (c < 32) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            out_put(b, u, 6);
        } else {
            out_reserve(b, 1);
            b->data[b->len++] = (char)c;
        }
    }
    out_reserve(b, 1);
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
}

/* Appends the decimal digits of v. */
static void out_uint(struct out_buf *b, unsigned long long v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[sizeof digits - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_put(b, digits + sizeof digits - n, n);
}

/* Appends v as cJSON prints a number that is a whole count of hundredths (a duration in ms
 * rounded to 0.01, say): "%1.15g" of it is exact, with trailing zeros left out. -1 (nothing
 * appended) for any other number. */
static int out_hundredths(struct out_buf *b, double v)
{
    if (!(v > -1e11 && v < 1e11))
        return -1;
    long long c = (long long)(v * 100 + (v >= 0 ? 0.5 : -0.5));
    if ((double)c / 100 != v)
        return -1;
    if (c < 0) {
        out_put(b, "-", 1);
        c = -c;
    }
    out_uint(b, (unsigned long long)c / 100);
    int cents = (int)(c % 100);
    if (cents) {
        char frac[3] = {'.', (char)('0' + cents / 10), (char)('0' + cents % 10)};
        out_put(b, frac, cents % 10 ? 3 : 2);
    }
    return 0;
}

/* Appends a field's value as cJSON_PrintUnformatted prints it. -1 when it cannot be printed. */
static int out_json_value(struct out_buf *b, const cJSON *item)
{
    if (cJSON_IsString(item)) {
        out_json_string(b, item->valuestring);
    } else if (cJSON_IsNumber(item) && item->valuedouble == (double)item->valueint) {
        if (item->valueint < 0)
            out_put(b, "-", 1);
        out_uint(b, item->valueint < 0 ? 0ULL - (unsigned long long)(long long)item->valueint
                                       : (unsigned long long)item->valueint);
    } else if (cJSON_IsNumber(item) && out_hundredths(b, item->valuedouble) == 0) {
        /* appended */
    } else if (cJSON_IsTrue(item)) {
        out_put(b, "true", 4);
    } else if (cJSON_IsFalse(item)) {
        out_put(b, "false", 5);
    } else if (cJSON_IsNull(item)) {
        out_put(b, "null", 4);
    } else {
        char *text = cJSON_PrintUnformatted(item);
        if (!text)
            return -1;
        out_puts(b, text);
        cJSON_free(text);
    }
    return 0;
}

/* Writes tm and ms as 2026-12-07T04:28:45.906Z into out (at least 25 bytes). */
static void format_time(char *out, const struct tm *tm, long ms)
{
    int parts[] = {tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour,
                   tm->tm_min,         tm->tm_sec,     (int)ms};
    static const char seps[] = "--T::.Z";
    static const int widths[] = {4, 2, 2, 2, 2, 2, 3};
    size_t n = 0;
    for (size_t k = 0; k < 7; k++) {
        int v = parts[k] < 0 ? 0 : parts[k];
        for (int w = widths[k] - 1; w >= 0; w--) {
            out[n + (size_t)w] = (char)('0' + v % 10);
            v /= 10;
        }
        n += (size_t)widths[k];
        out[n++] = seps[k];
    }
    out[n] = '\0';
}

/* 1 when an earlier member of fields (before item) has item's name. */
static int repeated_field(const cJSON *fields, const cJSON *item)
{
    for (const cJSON *p = fields->child; p && p != item; p = p->next)
        if (strcmp(p->string, item->string) == 0)
            return 1;
    return 0;
}

void log_json(enum log_level level, const char *request_id, const char *msg, cJSON *fields)
{
    struct out_buf rest = {0}, line = {0};
    if (!log_enabled(level))
        goto out;
    struct timespec ts;
    struct tm tm;
    char when[64];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    format_time(when, &tm, ts.tv_nsec / 1000000L);

    /* time and level are billkey's own and never scrubbed; the request id (a client may send
     * its own), msg and the fields are, printed as cJSON prints them. A field named time,
     * level, msg, request_id (with a request id) or an earlier field's name is left out. */
    out_reserve(&rest, 256);
    if (request_id) {
        out_put(&rest, "\"request_id\":", 13);
        out_json_string(&rest, request_id);
        out_put(&rest, ",", 1);
    }
    out_put(&rest, "\"msg\":", 6);
    out_json_string(&rest, msg ? msg : "");
    for (const cJSON *item = fields ? fields->child : NULL; item; item = item->next) {
        const char *name = item->string;
        if (!name || strcmp(name, "time") == 0 || strcmp(name, "level") == 0 ||
            strcmp(name, "msg") == 0 || (request_id && strcmp(name, "request_id") == 0) ||
            repeated_field(fields, item))
            continue;
        out_put(&rest, ",", 1);
        out_json_string(&rest, name);
        out_put(&rest, ":", 1);
        if (out_json_value(&rest, item) != 0)
            goto out;
    }
    out_put(&line, "{\"time\":\"", 9);
    out_puts(&line, when);
    out_put(&line, "\",\"level\":\"", 11);
    out_puts(&line, level_names[level]);
    out_put(&line, "\",", 2);
    scrub_into(&line, rest.data, 1);
    out_put(&line, "}\n", 2);
    /* one buffer, one write: a line is never interleaved or split */
    FILE *f = log_stream ? log_stream : stderr;
    flockfile(f);
    fwrite(line.data, 1, line.len, f);
    fflush(f);
    funlockfile(f);
out:
    free(rest.data);
    free(line.data);
    cJSON_Delete(fields);
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
