/* Allocation wrappers that abort on out-of-memory. */
#include "server/core/xalloc.h"

#include <cjson/cJSON.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Under AddressSanitizer a cached block is poisoned while it waits, so a use after cJSON_free
 * is still reported as one (the cache would otherwise hide it from ASan). */
#if defined(__SANITIZE_ADDRESS__)
#define JSON_CACHE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JSON_CACHE_ASAN 1
#endif
#endif
#ifdef JSON_CACHE_ASAN
#include <sanitizer/asan_interface.h>
#define JSON_BLOCK_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define JSON_BLOCK_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define JSON_BLOCK_POISON(p, n) ((void)(p), (void)(n))
#define JSON_BLOCK_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static void oom(size_t n)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"out of memory allocating %zu bytes\"}\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        oom(count * n);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list measure;
    va_copy(measure, ap);
    int len = vsnprintf(NULL, 0, fmt, measure);
    va_end(measure);
    if (len < 0) {
        fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"cannot format '%s'\"}\n", fmt);
        abort();
    }
    char *p = xmalloc((size_t)len + 1);
    va_list write;
    va_copy(write, ap);
    vsnprintf(p, (size_t)len + 1, fmt, write);
    va_end(write);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

/* cJSON allocates a node, a key and a value for every member it parses and frees them all
 * again soon after (an iamport Payment has ~60 members): more small blocks than glibc's
 * per-thread cache keeps, so most went through its slow paths. Each thread keeps its own stacks
 * of freed small blocks for cJSON, by glibc's usable size, and takes from them first. The
 * blocks are ordinary malloc blocks: cJSON_free, free and realloc all accept them. The stacks
 * hold the pointers (nothing is written into a cached block), so under ASan a whole cached block
 * stays poisoned and LeakSanitizer still sees every block from the thread's own storage. */
#define JSON_CACHE_CLASSES 4
#define JSON_CACHE_PER_CLASS 96

static const size_t json_class_size[JSON_CACHE_CLASSES] = {24, 40, 56, 72};

struct json_cache {
    void *block[JSON_CACHE_CLASSES][JSON_CACHE_PER_CLASS];
    unsigned count[JSON_CACHE_CLASSES];
    int registered; /* json_cache_key set for this thread: drained at its exit */
};

static __thread struct json_cache json_cache;
static pthread_key_t json_cache_key;
static pthread_once_t json_cache_once = PTHREAD_ONCE_INIT;

/* At thread exit: the blocks go back to malloc. */
static void json_cache_drain(void *arg)
{
    struct json_cache *cache = arg;
    for (size_t c = 0; c < JSON_CACHE_CLASSES; c++) {
        while (cache->count[c] > 0) {
            void *b = cache->block[c][--cache->count[c]];
            JSON_BLOCK_UNPOISON(b, json_class_size[c]);
            free(b);
        }
    }
    cache->registered = 0;
}

static void json_cache_key_create(void)
{
    pthread_key_create(&json_cache_key, json_cache_drain);
}

static void *json_alloc(size_t n)
{
    for (size_t c = 0; c < JSON_CACHE_CLASSES; c++) {
        if (n > json_class_size[c])
            continue;
        if (json_cache.count[c] == 0)
            break;
        void *b = json_cache.block[c][--json_cache.count[c]];
        JSON_BLOCK_UNPOISON(b, json_class_size[c]);
        return b;
    }
    return xmalloc(n);
}

static void json_free(void *p)
{
    if (!p)
        return;
    size_t usable = malloc_usable_size(p);
    for (size_t c = 0; c < JSON_CACHE_CLASSES; c++) {
        if (usable != json_class_size[c])
            continue;
        if (json_cache.count[c] >= JSON_CACHE_PER_CLASS)
            break;
        if (!json_cache.registered) { /* first block: drain the cache at thread exit */
            pthread_setspecific(json_cache_key, &json_cache);
            json_cache.registered = 1;
        }
        json_cache.block[c][json_cache.count[c]++] = p;
        JSON_BLOCK_POISON(p, usable);
        return;
    }
    free(p);
}

void xalloc_init_cjson(void)
{
    pthread_once(&json_cache_once, json_cache_key_create);
    cJSON_Hooks hooks = {.malloc_fn = json_alloc, .free_fn = json_free};
    cJSON_InitHooks(&hooks);
}
