/* client_ip tests: the peer unless it is a trusted proxy, X-Forwarded-For read from the right, IPv6 /64 keys. */
#include <check.h>
#include <string.h>

#include "server/core/cidr.h"
#include "server/http/client_ip.h"
#include "tests/lib/testlib.h"

/* client_ip() of a request from peer with these X-Forwarded-For headers (NULL-terminated). */
static void check(const char *trusted, const char *peer, const char *const *xff, const char *want)
{
    struct cidr_list list;
    struct request req;
    char buf[CLIENT_IP_MAX];
    memset(&req, 0, sizeof req);
    ck_assert_int_eq(cidr_list_parse(trusted, &list, NULL), 0);
    req.client_addr = peer ? strdup(peer) : NULL;
    for (size_t i = 0; xff && xff[i]; i++)
        request_add_header(&req, "X-Forwarded-For", xff[i]);
    request_add_header(&req, "Host", "x");
    ck_assert_str_eq(client_ip(&req, &list, buf), want);
    request_release(&req);
    cidr_list_release(&list);
}

START_TEST(an_untrusted_peer_is_the_client_whatever_it_forwards)
{
    const char *xff[] = {"203.0.113.9", NULL};
    check("", "198.51.100.1", xff, "198.51.100.1");
    check("10.0.0.0/8", "198.51.100.1", xff, "198.51.100.1");
    check("", NULL, xff, "");
    check("", "::ffff:198.51.100.1", NULL, "198.51.100.1");
}
END_TEST

START_TEST(a_trusted_proxy_names_the_nearest_untrusted_hop)
{
    const char *one[] = {"203.0.113.9", NULL};
    check("10.0.0.0/8", "10.0.0.2", one, "203.0.113.9");
    const char *chain[] = {"198.51.100.66, 203.0.113.9 , 10.0.0.7", NULL};
    check("10.0.0.0/8", "10.0.0.2", chain, "203.0.113.9"); /* the prepended one is not believed */
    const char *split[] = {"198.51.100.66", "203.0.113.9", NULL};
    check("10.0.0.0/8", "10.0.0.2", split, "203.0.113.9"); /* several headers are one list */
    const char *all_trusted[] = {"10.0.0.9, 10.0.0.8", NULL};
    check("10.0.0.0/8", "10.0.0.2", all_trusted, "10.0.0.9");
    check("10.0.0.0/8", "10.0.0.2", NULL, "10.0.0.2"); /* no header: the proxy itself */
    const char *junk[] = {"203.0.113.9, unknown", NULL};
    check("10.0.0.0/8", "10.0.0.2", junk, "10.0.0.2"); /* not an address: stop at the proxy */
    const char *v6[] = {"2001:db8:0:1::5", NULL};
    check("::1/128", "::1", v6, "2001:db8:0:1::5");
}
END_TEST

START_TEST(ipv6_clients_share_their_slash_64)
{
    char buf[CLIENT_IP_MAX];
    ck_assert_str_eq(client_ip_limit_key("2001:db8:0:1:aaaa:bbbb:cccc:dddd", buf),
                     "2001:db8:0:1::/64");
    ck_assert_str_eq(client_ip_limit_key("2001:db8:0:1::5", buf), "2001:db8:0:1::/64");
    ck_assert_str_eq(client_ip_limit_key("203.0.113.9", buf), "203.0.113.9");
    ck_assert_str_eq(client_ip_limit_key("", buf), "");
}
END_TEST

static Suite *suite_client_ip(void)
{
    Suite *s = suite_create("client_ip");
    TCase *tc = tcase_create("client_ip");
    tcase_add_test(tc, an_untrusted_peer_is_the_client_whatever_it_forwards);
    tcase_add_test(tc, a_trusted_proxy_names_the_nearest_untrusted_hop);
    tcase_add_test(tc, ipv6_clients_share_their_slash_64);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_client_ip)
