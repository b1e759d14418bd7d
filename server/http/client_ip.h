/* The client's address for limits: the peer, or X-Forwarded-For's nearest untrusted hop when the peer is a trusted proxy. */
#ifndef BILLKEY_CLIENT_IP_H
#define BILLKEY_CLIENT_IP_H

#include <stddef.h>

#include "server/http/http.h"

struct cidr_list;

#define CLIENT_IP_MAX 64 /* room for any address literal, or an IPv6 "/64" key */

/* Writes the client's address to buf (CLIENT_IP_MAX bytes) and returns buf. The peer
 * (req->client_addr, "" when unknown) is the client unless it is inside `trusted` (NULL or
 * empty: nobody is trusted); then the X-Forwarded-For headers (all of them, in order, as one
 * comma-separated list) are read from the right, skipping trusted addresses, and the first
 * untrusted one is the client. A hop that is not an address literal ends the walk: the last
 * trusted hop before it is the client (a proxy passes on whatever the client sent). IPv4-mapped
 * IPv6 addresses are written as IPv4. */
const char *client_ip(const struct request *req, const struct cidr_list *trusted, char *buf);

/* The key limits count under for an address from client_ip(): an IPv4 address itself, an IPv6
 * address's /64 network ("2001:db8:1:2::/64"; one host usually holds a whole /64). Writes to
 * buf (CLIENT_IP_MAX bytes) and returns buf. */
const char *client_ip_limit_key(const char *addr, char *buf);

#endif
