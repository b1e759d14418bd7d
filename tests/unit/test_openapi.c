/* openapi tests: static/openapi.json and the route table describe the same routes, both ways. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "routes/routes.h"
#include "tests/lib/testlib.h"

static cJSON *load_document(void)
{
    char *path = testlib_source_path("static/openapi.json");
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    free(path);
    cJSON *doc = cJSON_Parse(buf);
    ck_assert_msg(doc != NULL, "static/openapi.json is not JSON");
    return doc;
}

/* The document's spelling of a route pattern: "/static/<star>" is "/static/{path}". */
static void document_path(const char *pattern, char *out, size_t cap)
{
    size_t n = strlen(pattern);
    if (n >= 2 && strcmp(pattern + n - 2, "/*") == 0)
        snprintf(out, cap, "%.*s/{path}", (int)(n - 2), pattern);
    else
        snprintf(out, cap, "%s", pattern);
}

static const struct {
    unsigned bit;
    const char *name;
} methods[] = {{HTTP_GET, "get"},
               {HTTP_POST, "post"},
               {HTTP_PUT, "put"},
               {HTTP_DELETE, "delete"},
               {HTTP_PATCH, "patch"}};

START_TEST(every_route_is_documented)
{
    cJSON *doc = load_document();
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(doc, "paths");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(doc, "openapi")->valuestring, "3.1.0");
    for (size_t i = 0; i < billkey_route_count; i++) {
        char path[256];
        document_path(billkey_routes[i].pattern, path, sizeof path);
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, path);
        ck_assert_msg(item != NULL, "route %s is not in static/openapi.json", path);
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            if (!(billkey_routes[i].methods & methods[m].bit))
                continue;
            const cJSON *op = cJSON_GetObjectItemCaseSensitive(item, methods[m].name);
            ck_assert_msg(op != NULL, "%s %s is not in static/openapi.json", methods[m].name, path);
            int merchant = (billkey_routes[i].flags & ROUTE_MERCHANT) != 0;
            ck_assert_msg(merchant == (cJSON_GetObjectItemCaseSensitive(op, "security") != NULL),
                          "%s %s: security does not say whether a merchant key is needed",
                          methods[m].name, path);
        }
    }
    cJSON_Delete(doc);
}
END_TEST

START_TEST(every_documented_operation_is_a_route)
{
    cJSON *doc = load_document();
    const cJSON *item;
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive(doc, "paths")) {
        const cJSON *op;
        cJSON_ArrayForEach (op, item) {
            unsigned bit = 0;
            for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
                if (strcmp(op->string, methods[m].name) == 0)
                    bit = methods[m].bit;
            ck_assert_msg(bit != 0, "%s: '%s' is not an HTTP method", item->string, op->string);
            int found = 0;
            for (size_t i = 0; i < billkey_route_count; i++) {
                char path[256];
                document_path(billkey_routes[i].pattern, path, sizeof path);
                if (strcmp(path, item->string) == 0 && (billkey_routes[i].methods & bit))
                    found = 1;
            }
            ck_assert_msg(found, "static/openapi.json documents %s %s, which is no route",
                          op->string, item->string);
            ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(op, "responses"));
        }
    }
    cJSON_Delete(doc);
}
END_TEST

/* Every $ref points at a schema the document defines. */
static void check_refs(const cJSON *node, const cJSON *schemas)
{
    const cJSON *child;
    if (cJSON_IsString(node) && node->string && strcmp(node->string, "$ref") == 0) {
        const char *prefix = "#/components/schemas/";
        ck_assert_msg(strncmp(node->valuestring, prefix, strlen(prefix)) == 0, "odd $ref %s",
                      node->valuestring);
        ck_assert_msg(
            cJSON_GetObjectItemCaseSensitive(schemas, node->valuestring + strlen(prefix)) != NULL,
            "$ref %s is not defined", node->valuestring);
    }
    cJSON_ArrayForEach (child, node)
        check_refs(child, schemas);
}

START_TEST(references_resolve)
{
    cJSON *doc = load_document();
    const cJSON *schemas = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "components"), "schemas");
    ck_assert_ptr_nonnull(schemas);
    check_refs(doc, schemas);
    cJSON_Delete(doc);
}
END_TEST

static Suite *suite_openapi(void)
{
    Suite *s = suite_create("openapi");
    TCase *tc = tcase_create("openapi");
    tcase_add_test(tc, every_route_is_documented);
    tcase_add_test(tc, every_documented_operation_is_a_route);
    tcase_add_test(tc, references_resolve);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_openapi)
