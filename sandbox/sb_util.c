/* Small sandbox helpers: pointer vector, cJSON accessors, random ids, UTF-8 length. */
#include "sandbox/sb_util.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"

void sb_vec_push(struct sb_vec *v, void *item)
{
    if (v->len == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->items = xrealloc(v->items, v->cap * sizeof *v->items);
    }
    v->items[v->len++] = item;
}

void *sb_vec_remove(struct sb_vec *v, size_t i)
{
    void *item = v->items[i];
    memmove(v->items + i, v->items + i + 1, (v->len - i - 1) * sizeof *v->items);
    v->len--;
    return item;
}

void sb_vec_release(struct sb_vec *v)
{
    free(v->items);
    memset(v, 0, sizeof *v);
}

const char *sb_jstr(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

int64_t sb_jint(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(item))
        return 0;
    return (int64_t)item->valuedouble;
}

void sb_jset(cJSON *obj, const char *key, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
    else
        cJSON_AddItemToObject(obj, key, item);
}

void sb_jset_str(cJSON *obj, const char *key, const char *value)
{
    sb_jset(obj, key, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

void sb_jset_int(cJSON *obj, const char *key, int64_t value)
{
    sb_jset(obj, key, cJSON_CreateNumber((double)value));
}

void sb_jset_bool(cJSON *obj, const char *key, int value)
{
    sb_jset(obj, key, cJSON_CreateBool(value));
}

static void random_bytes(unsigned char *buf, size_t n)
{
    if (RAND_bytes(buf, (int)n) == 1)
        return;
    /* The CSPRNG is unusable only on a broken system; ids need not be secret in a test double. */
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)rand();
}

void sb_random_digits(char *buf, size_t n)
{
    unsigned char raw[64];
    size_t done = 0;
    while (done < n) {
        random_bytes(raw, sizeof raw);
        for (size_t i = 0; i < sizeof raw && done < n; i++) {
            if (raw[i] >= 250)
                continue; /* keep the digits uniform */
            char digit = (char)('0' + raw[i] % 10);
            if (done == 0 && digit == '0')
                continue;
            buf[done++] = digit;
        }
    }
    buf[n] = '\0';
}

void sb_random_hex(char *buf, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done < sizeof raw ? n - done : sizeof raw;
        random_bytes(raw, chunk);
        for (size_t i = 0; i < chunk; i++) {
            buf[2 * (done + i)] = hex[raw[i] >> 4];
            buf[2 * (done + i) + 1] = hex[raw[i] & 15];
        }
        done += chunk;
    }
    buf[2 * n] = '\0';
}

size_t sb_utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

static void redact_in_place(cJSON *node)
{
    cJSON *child = node->child;
    while (child) {
        cJSON *next = child->next; /* child may be freed by the replacement */
        if (child->string && strcmp(child->string, "imp_secret") == 0)
            cJSON_ReplaceItemInObjectCaseSensitive(node, "imp_secret",
                                                   cJSON_CreateString("[redacted]"));
        else
            redact_in_place(child);
        child = next;
    }
}

cJSON *sb_redact_secrets(const cJSON *body)
{
    if (!body)
        return NULL;
    cJSON *copy = cJSON_Duplicate(body, 1);
    if (copy)
        redact_in_place(copy);
    return copy;
}
