/* The route table: every URL billkeyd serves, its methods, handler and body rules. */
#include "routes/routes.h"

const struct route billkey_routes[] = {
    /* operations */
    {HTTP_GET, "/healthz", route_healthz, 0, 0, "healthz"},
    {HTTP_GET, "/readyz", route_readyz, 0, 0, "readyz"},
    /* the demo checkout page and its assets */
    {HTTP_GET, "/", route_index, 0, 0, "index"},
    {HTTP_GET, "/static/*", route_static_file, ROUTE_PREFIX, 0, "static"},
};

const size_t billkey_route_count = sizeof billkey_routes / sizeof billkey_routes[0];
