/* A fixed-size table of short string keys with one number each, evicting the stalest on overflow. */
#include "server/core/slot_table.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"

/* Slots looked at for one key: a small window keeps every operation O(1). */
#define PROBE_WINDOW 8

static uint64_t hash_key(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

void slot_table_init(struct slot_table *t, size_t capacity)
{
    size_t n = 16;
    while (n < capacity)
        n <<= 1;
    pthread_mutex_init(&t->lock, NULL);
    t->slots = xcalloc(n, sizeof *t->slots);
    t->capacity = n;
}

void slot_table_release(struct slot_table *t)
{
    if (!t->slots)
        return;
    free(t->slots);
    pthread_mutex_destroy(&t->lock);
    memset(t, 0, sizeof *t);
}

struct slot *slot_table_find(struct slot_table *t, const char *key)
{
    if (strlen(key) >= SLOT_KEY_MAX)
        return NULL;
    size_t start = (size_t)hash_key(key);
    for (size_t i = 0; i < PROBE_WINDOW; i++) {
        struct slot *s = &t->slots[(start + i) & (t->capacity - 1)];
        if (s->used && strcmp(s->key, key) == 0)
            return s;
    }
    return NULL;
}

struct slot *slot_table_claim(struct slot_table *t, const char *key, int *claimed)
{
    *claimed = 0;
    struct slot *found = slot_table_find(t, key);
    if (found || strlen(key) >= SLOT_KEY_MAX)
        return found;
    size_t start = (size_t)hash_key(key);
    struct slot *victim = NULL;
    for (size_t i = 0; i < PROBE_WINDOW; i++) {
        struct slot *s = &t->slots[(start + i) & (t->capacity - 1)];
        if (!s->used) {
            victim = s;
            break;
        }
        if (!victim || s->stamp_ms < victim->stamp_ms)
            victim = s;
    }
    memset(victim, 0, sizeof *victim);
    strcpy(victim->key, key);
    victim->used = 1;
    *claimed = 1;
    return victim;
}
