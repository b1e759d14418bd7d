/* The client's address for limits: the peer, or X-Forwarded-For's nearest untrusted hop when the peer is a trusted proxy. */
#include "server/http/client_ip.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/core/cidr.h"
#include "server/core/xalloc.h"

/* The canonical text of an address literal into buf (CLIENT_IP_MAX), or 0 when it is none. */
static int canonical(const char *text, char *buf)
{
    struct in_addr v4;
    struct in6_addr v6;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (inet_pton(AF_INET, text, &v4) == 1)
        return inet_ntop(AF_INET, &v4, buf, CLIENT_IP_MAX) != NULL;
    if (inet_pton(AF_INET6, text, &v6) != 1)
        return 0;
    if (memcmp(v6.s6_addr, mapped, sizeof mapped) == 0)
        return inet_ntop(AF_INET, v6.s6_addr + 12, buf, CLIENT_IP_MAX) != NULL;
    return inet_ntop(AF_INET6, &v6, buf, CLIENT_IP_MAX) != NULL;
}

/* Every X-Forwarded-For value joined with ","; caller frees. */
static char *forwarded_for(const struct request *req)
{
    char *all = xstrdup("");
    for (size_t i = 0; i < req->header_count; i++) {
        if (strcasecmp(req->headers[i].name, "X-Forwarded-For") != 0)
            continue;
        char *next = xasprintf("%s%s%s", all, all[0] ? "," : "", req->headers[i].value);
        free(all);
        all = next;
    }
    return all;
}

static void trim(char **s)
{
    char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        p[--n] = '\0';
    *s = p;
}

const char *client_ip(const struct request *req, const struct cidr_list *trusted, char *buf)
{
    const char *peer = req->client_addr ? req->client_addr : "";
    if (!canonical(peer, buf))
        snprintf(buf, CLIENT_IP_MAX, "%s", peer);
    if (!trusted || trusted->count == 0 || !cidr_list_contains(trusted, buf))
        return buf;
    char *list = forwarded_for(req);
    for (;;) {
        char *comma = strrchr(list, ',');
        char *hop = comma ? comma + 1 : list;
        char next[CLIENT_IP_MAX];
        trim(&hop);
        if (!canonical(hop, next))
            break; /* not an address: the trusted hop in buf is as far as we can see */
        memcpy(buf, next, CLIENT_IP_MAX);
        if (!cidr_list_contains(trusted, buf) || !comma)
            break;
        *comma = '\0';
    }
    free(list);
    return buf;
}

const char *client_ip_limit_key(const char *addr, char *buf)
{
    struct in6_addr v6;
    char net[INET6_ADDRSTRLEN];
    if (strchr(addr, ':') && inet_pton(AF_INET6, addr, &v6) == 1) {
        memset(v6.s6_addr + 8, 0, 8);
        inet_ntop(AF_INET6, &v6, net, sizeof net);
        snprintf(buf, CLIENT_IP_MAX, "%s/64", net);
    } else {
        snprintf(buf, CLIENT_IP_MAX, "%s", addr);
    }
    return buf;
}
