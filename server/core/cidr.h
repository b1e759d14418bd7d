/* IPv4/IPv6 CIDR lists: parse "a.b.c.d/n, x::/n" and test whether an address is inside one. */
#ifndef BILLKEY_CIDR_H
#define BILLKEY_CIDR_H

#include <stddef.h>

/* One network: family (4 or 6), address bytes (4 or 16 used), prefix length. */
struct cidr {
    int family;
    unsigned char addr[16];
    int prefix;
};

/* A parsed list. Owned by the caller; cidr_list_release() frees it. count 0 = empty. */
struct cidr_list {
    struct cidr *items; /* owned */
    size_t count;
};

/* Parses a comma- or space-separated list of CIDRs ("52.78.100.19/32", "10.0.0.0/8",
 * "2001:db8::/32"); an address without "/n" is a single host. Empty or NULL text gives an empty
 * list. Returns 0, or -1 with *err (caller frees; may be NULL) naming the bad entry; *out is
 * empty on failure. */
int cidr_list_parse(const char *text, struct cidr_list *out, char **err);
/* Frees what the list owns and zeroes it; safe twice. */
void cidr_list_release(struct cidr_list *list);
/* 1 when the address literal addr (IPv4, IPv6 or IPv4-mapped IPv6 "::ffff:a.b.c.d") is inside
 * one of the list's networks, else 0 (also for NULL or unparsable addr). */
int cidr_list_contains(const struct cidr_list *list, const char *addr);

#endif
