/* iamport JSON readers: member lookup finds what cJSON finds; cJSON's per-thread block cache. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "server/iamport/iamport_json.h"
#include "tests/lib/testlib.h"

/* Names that share their first bytes, a repeated name (the first one counts), a null, an empty
 * name: iamport_json_get answers exactly as cJSON_GetObjectItemCaseSensitive. */
START_TEST(lookup_finds_what_cjson_finds)
{
    static const char *const names[] = {
        "card_name", "card_number", "card_num",       "card",   "c",
        "",          "amount",      "amount_x",       "status", "sandbox",
        "missing",   "Card_name",   "cancel_history", "x"};
    cJSON *obj = cJSON_Parse("{\"card_number\":\"1\",\"card_name\":\"first\",\"c\":1,"
                             "\"card_name\":\"second\",\"\":2,\"amount\":null,\"card\":true,"
                             "\"status\":\"paid\",\"sandbox\":false,\"cancel_history\":[]}");
    ck_assert_ptr_nonnull(obj);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(iamport_json_get(obj, names[i]) ==
                          cJSON_GetObjectItemCaseSensitive(obj, names[i]),
                      "lookup of '%s' differs from cJSON's", names[i]);
    ck_assert_str_eq(iamport_json_get(obj, "card_name")->valuestring, "first");
    ck_assert_ptr_null(iamport_json_get(NULL, "card_name"));
    ck_assert_ptr_null(iamport_json_get(obj, NULL));
    cJSON *list = cJSON_Parse("[1,2]");
    ck_assert_ptr_null(iamport_json_get(list, "card_name"));
    cJSON_Delete(list);
    cJSON_Delete(obj);
}
END_TEST

/* A small block cJSON frees is handed out again for the next small request of its size class,
 * and plain free() still takes such a block. */
START_TEST(cjson_reuses_small_blocks)
{
    void *p = cJSON_malloc(24);
    cJSON_free(p);
    void *q = cJSON_malloc(17);
    ck_assert_ptr_eq(p, q);
    free(q);
    char *text = cJSON_PrintUnformatted(NULL);
    ck_assert_ptr_null(text);
}
END_TEST

static void *parse_and_exit(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        cJSON *j = cJSON_Parse("{\"imp_uid\":\"imp_1\",\"list\":[{\"a\":1},{\"b\":\"two\"}]}");
        cJSON_Delete(j);
    }
    return NULL; /* the thread's cached blocks are freed at its exit (LeakSanitizer checks) */
}

START_TEST(a_thread_gives_its_cached_blocks_back_when_it_exits)
{
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, parse_and_exit, NULL), 0);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
    }
}
END_TEST

static Suite *suite_iamport_json(void)
{
    Suite *s = suite_create("iamport_json");
    TCase *tc = tcase_create("iamport_json");
    tcase_add_test(tc, lookup_finds_what_cjson_finds);
    tcase_add_test(tc, cjson_reuses_small_blocks);
    tcase_add_test(tc, a_thread_gives_its_cached_blocks_back_when_it_exits);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_iamport_json)
