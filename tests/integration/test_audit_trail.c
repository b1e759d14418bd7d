/* The audit trail: a money action's row names the API key, request id and amounts; billkey's role cannot change a row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pool.h"
#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/testlib.h"

#define REQUEST_ID "audit-test-request-0001"
#define KAKAO_NOW                                                                                  \
    "{\"customer_id\":\"c\",\"pg\":\"kakaopay\",\"amount\":9900,\"name\":\"n\","                   \
    "\"charge_now\":true}"

/* POST /api/checkouts with FX_API_KEY and X-Request-Id: REQUEST_ID; returns the merchant_uid
 * (caller frees). */
static char *checkout(const struct fx *fx)
{
    struct http_client_response r;
    char *url = fx_url(fx, NULL, "/api/checkouts");
    const char *headers[] = {"Authorization: Bearer " FX_API_KEY, "X-Request-Id: " REQUEST_ID,
                             NULL};
    struct http_client_request rq = {
        .method = "POST", .url = url, .headers = headers, .body = KAKAO_NOW};
    http_client_do(&rq, &r);
    ck_assert_msg(r.status == 201, "-> %ld: %s", r.status, r.body);
    char *mu = xstrdup(fx_str(r.json, "merchant_uid"));
    http_client_response_release(&r);
    free(url);
    return mu;
}

/* A money action through billkeyd leaves rows naming who (api:<key name>), what, the
 * merchant_uid, the request id and the amounts. */
START_TEST(a_checkout_is_audited_with_actor_request_id_and_amounts)
{
    struct fx fx;
    fx_start(&fx, NULL);
    char *mu = checkout(&fx);
    const char *p[] = {mu, NULL};
    ck_assert_int_eq(fx_sql_int(&fx, "SELECT count(*) FROM audit_events WHERE subject = $1", p), 2);
    static const char *const actions[] = {"registration.created", "payment.requested"};
    for (size_t i = 0; i < 2; i++) {
        const char *q[] = {mu, actions[i], NULL};
        char *row = fx_sql(&fx,
                           "SELECT actor || '|' || request_id || '|' || (detail->>'amount') "
                           "FROM audit_events WHERE subject = $1 AND action = $2",
                           q);
        ck_assert_ptr_nonnull(row);
        ck_assert_str_eq(row, "api:" FX_API_KEY_NAME "|" REQUEST_ID "|9900");
        free(row);
    }
    char *window = fx_sql(&fx,
                          "SELECT detail->>'window_amount' FROM audit_events "
                          "WHERE subject = $1 AND action = 'registration.created'",
                          p);
    ck_assert_str_eq(window, "9900");
    free(window);
    free(mu);
    fx_stop(&fx);
}
END_TEST

/* Every row, in id order, as one text: equal before and after means nothing changed. */
static char *trail(const struct fx *fx)
{
    return fx_sql(fx, "SELECT string_agg(a::text, E'\\n' ORDER BY id) FROM audit_events a", NULL);
}

/* Through the connection billkeyd itself uses (its DATABASE_URL, its role): UPDATE, DELETE and
 * TRUNCATE fail with the trigger's error, mapped to DB_FORBIDDEN; the rows stay as they were;
 * INSERT still works. */
START_TEST(billkeys_role_cannot_change_or_remove_audit_rows)
{
    static const struct {
        const char *sql, *op;
    } refused[] = {
        {"UPDATE audit_events SET actor = 'someone else'", "UPDATE"},
        {"UPDATE audit_events SET detail = '{}' WHERE action = 'payment.requested'", "UPDATE"},
        {"DELETE FROM audit_events", "DELETE"},
        {"DELETE FROM audit_events WHERE action = 'registration.created'", "DELETE"},
        {"TRUNCATE audit_events", "TRUNCATE"},
    };
    struct fx fx;
    char *err = NULL;
    fx_start(&fx, NULL);
    free(checkout(&fx));
    char *before = trail(&fx);
    ck_assert_ptr_nonnull(before);

    PGconn *pg = db_connect(fx.db_url, &err);
    ck_assert_msg(pg != NULL, "db_connect: %s", err);
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        PGresult *res = PQexec(pg, refused[i].sql);
        ck_assert_msg(PQresultStatus(res) == PGRES_FATAL_ERROR, "'%s' was allowed", refused[i].sql);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        ck_assert_str_eq(state, "42501");
        ck_assert_int_eq(db_status_from_sqlstate(state), DB_FORBIDDEN);
        char *want = xasprintf("audit_events is append-only (%s refused)", refused[i].op);
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        ck_assert_msg(msg && strcmp(msg, want) == 0, "'%s': %s", refused[i].sql, msg);
        free(want);
        PQclear(res);
    }
    char *after = trail(&fx);
    ck_assert_str_eq(after, before);
    free(after);

    /* Appending is what the trail is for. */
    PGresult *res = PQexec(pg, "INSERT INTO audit_events (actor, action) VALUES ('test', 'probe')");
    ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events"), 3);
    PQfinish(pg);

    /* billkey's own writer (the pool's STMT_AUDIT_INSERT) still appends. */
    struct db_pool *pool = db_pool_create(fx.db_url, 1, 2000);
    struct db_conn *c = NULL;
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_begin(c), DB_OK);
    const char *params[] = {"test", "probe", NULL, NULL, NULL};
    ck_assert_int_eq(db_exec(c, STMT_AUDIT_INSERT, params, NULL), DB_OK);
    ck_assert_int_eq(db_commit(c), DB_OK);
    db_release(pool, c);
    db_pool_free(pool);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events"), 4);

    char *again = trail(&fx);
    ck_assert_int_eq(strncmp(again, before, strlen(before)), 0); /* old rows first, unchanged */
    free(again);
    free(before);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_audit_trail(void)
{
    Suite *s = suite_create("audit_trail");
    TCase *tc = tcase_create("append_only");
    tcase_add_test(tc, a_checkout_is_audited_with_actor_request_id_and_amounts);
    tcase_add_test(tc, billkeys_role_cannot_change_or_remove_audit_rows);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_audit_trail)
