/* IPv4/IPv6 CIDR lists: parsing and membership, for sender allow-lists. */
#include "server/core/cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"

#define CIDR_ENTRY_MAX 64 /* longest entry text: an IPv6 literal and "/128" */

/* Parses one entry; 0 or -1. */
static int parse_one(const char *entry, struct cidr *out)
{
    char buf[CIDR_ENTRY_MAX];
    size_t len = strlen(entry);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, entry, len + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = 4;
        out->prefix = 32;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = 6;
        out->prefix = 128;
    } else {
        return -1;
    }
    if (slash) {
        const char *p = slash + 1;
        int n = 0;
        if (!*p || strlen(p) > 3)
            return -1;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            n = n * 10 + (*p - '0');
        }
        if (n > out->prefix)
            return -1;
        out->prefix = n;
    }
    return 0;
}

int cidr_list_parse(const char *text, struct cidr_list *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (err)
        *err = NULL;
    if (!text)
        return 0;
    char *copy = xstrdup(text);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        struct cidr c;
        if (parse_one(tok, &c) != 0) {
            if (err)
                *err = xasprintf("'%.64s' is not an IPv4 or IPv6 address or CIDR", tok);
            free(copy);
            cidr_list_release(out);
            return -1;
        }
        out->items = xrealloc(out->items, (out->count + 1) * sizeof *out->items);
        out->items[out->count++] = c;
    }
    free(copy);
    return 0;
}

void cidr_list_release(struct cidr_list *list)
{
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* 1 when the first `prefix` bits of a and b agree. */
static int prefix_match(const unsigned char *a, const unsigned char *b, int prefix)
{
    int full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

int cidr_list_contains(const struct cidr_list *list, const char *addr)
{
    unsigned char a4[4], a6[16];
    int is4 = 0, is6 = 0;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!addr)
        return 0;
    if (inet_pton(AF_INET, addr, a4) == 1) {
        is4 = 1;
    } else if (inet_pton(AF_INET6, addr, a6) == 1) {
        is6 = 1;
        if (memcmp(a6, mapped, sizeof mapped) == 0) {
            memcpy(a4, a6 + 12, 4);
            is4 = 1;
        }
    }
    for (size_t i = 0; i < list->count; i++) {
        const struct cidr *c = &list->items[i];
        if (c->family == 4 && is4 && prefix_match(a4, c->addr, c->prefix))
            return 1;
        if (c->family == 6 && is6 && prefix_match(a6, c->addr, c->prefix))
            return 1;
    }
    return 0;
}
