/* Every route handler and the route table; the table itself is in routes/route_table.c. */
#ifndef BILLKEY_ROUTES_H
#define BILLKEY_ROUTES_H

#include <stddef.h>

#include "server/http.h"

extern const struct route billkey_routes[];
extern const size_t billkey_route_count;

void route_healthz(struct request *req, struct reply *rep);      /* routes/healthz.c */
void route_readyz(struct request *req, struct reply *rep);       /* routes/readyz.c */
void route_static_file(struct request *req, struct reply *rep);  /* routes/static_files.c */
void route_index(struct request *req, struct reply *rep);        /* routes/static_files.c */

#endif
