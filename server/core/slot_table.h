/* A fixed-size table of short string keys with one number each, evicting the stalest on overflow. */
#ifndef BILLKEY_SLOT_TABLE_H
#define BILLKEY_SLOT_TABLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SLOT_KEY_MAX 64 /* bytes of a key, with its NUL */

/* One entry. `stamp_ms` orders eviction (the oldest in a key's probe window goes first); what
 * `value` means is the user's. */
struct slot {
    char key[SLOT_KEY_MAX];
    int used;
    int64_t stamp_ms;
    double value;
};

/* Owned by the caller; slot_table_init() allocates, slot_table_release() frees. The functions
 * below do not lock: the user holds `lock` around them. Memory never grows past the capacity
 * given to init. */
struct slot_table {
    pthread_mutex_t lock;
    struct slot *slots; /* owned; capacity entries */
    size_t capacity;    /* a power of two */
};

/* Allocates room for `capacity` entries (rounded up to a power of two, at least 16) and
 * initialises the lock. */
void slot_table_init(struct slot_table *t, size_t capacity);
/* Frees the slots and the lock and zeroes *t; safe twice. */
void slot_table_release(struct slot_table *t);
/* The entry for key, or NULL (also for keys of SLOT_KEY_MAX bytes or more). Borrowed. */
struct slot *slot_table_find(struct slot_table *t, const char *key);
/* The entry for key, claiming one when it is absent: a free slot of the key's probe window,
 * else the one there with the oldest stamp (its key is forgotten). A claimed entry has the key,
 * used = 1, stamp 0, value 0, and *claimed = 1. NULL only for keys that are too long. */
struct slot *slot_table_claim(struct slot_table *t, const char *key, int *claimed);

#endif
