/* pg_profile tests: the capability table and the exact IMP.request_pay object per PG and config. */
#include <stdlib.h>
#include <string.h>

#include "server/billing/pg_profile.h"
#include "tests/lib/testlib.h"

#define MU "bk_0123456789abcdef01234567"
#define BASE "https://shop.example"
#define LANDING "\"m_redirect_url\":\"" BASE "/payments/complete/mobile\""
#define BUYER                                                                                      \
    "\"buyer_name\":\"홍길동\",\"buyer_email\":\"a@b.kr\",\"buyer_tel\":\"010-1234-5678\","

/* The PG settings the builder reads; suffixes set when with_ids. */
static struct pg_settings make_config(int with_ids)
{
    struct pg_settings cfg = {
        .public_base_url = BASE,
        .kakaopay_cid = with_ids ? "TCSUBSCRIP" : "",
        .kicc_mid = with_ids ? "kicc_billing" : "",
        .chai_public_key = with_ids ? "chai-pk-1" : "",
        .naverpay_product_code = "billkey",
        .naverpay_chain_id = with_ids ? "sAMplEChAINid" : "",
    };
    return cfg;
}

START_TEST(table_lists_the_five_pgs_in_order)
{
    static const char *const names[] = {"payco", "kakaopay", "kicc", "chai", "naverpay"};
    static const char *const labels[] = {"PAYCO", "카카오페이", "KICC", "CHAI", "네이버페이"};
    ck_assert_uint_eq(pg_profile_count(), 5);
    for (size_t i = 0; i < 5; i++) {
        const struct pg_profile *p = pg_profile_at(i);
        ck_assert_ptr_nonnull(p);
        ck_assert_str_eq(p->name, names[i]);
        ck_assert_str_eq(p->label, labels[i]);
        ck_assert_int_eq((int)p->provider, (int)i);
        ck_assert_ptr_eq(pg_profile_find(names[i]), p);
    }
    ck_assert_ptr_null(pg_profile_at(5));
    ck_assert_str_eq(pg_profile_find("chai")->pay_method, "trans");
    ck_assert_str_eq(pg_profile_find("kicc")->pay_method, "card");
    ck_assert_int_eq(pg_profile_find("naverpay")->needs_buyer_tel, 1);
    ck_assert_int_eq(pg_profile_find("payco")->needs_buyer_tel, 0);
    ck_assert_int_eq(pg_profile_find("kakaopay")->ready_means_issued, 1);
    ck_assert_int_eq(pg_profile_find("kicc")->ready_means_issued, 0);
    ck_assert_int_eq(pg_profile_find("kicc")->delivery, PG_RESULT_REDIRECT_ON_MOBILE);
    ck_assert_int_eq(pg_profile_find("chai")->delivery, PG_RESULT_REDIRECT_ALWAYS);
}
END_TEST

START_TEST(find_is_exact)
{
    const char *bad[] = {"PAYCO",   "Payco",
                         "",        " payco",
                         "payco ",  "kakaopay.TCSUBSCRIP",
                         "naver",   "tosspay",
                         "payco\n", "'; DROP TABLE registrations; --"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pg_profile_find(bad[i]) == NULL, "'%s' found", bad[i]);
    ck_assert_ptr_null(pg_profile_find(NULL));
}
END_TEST

START_TEST(pg_strings_follow_the_config)
{
    static const char *const without[] = {"payco", "kakaopay", "kicc", "chai", "naverpay"};
    static const char *const with[] = {"payco", "kakaopay.TCSUBSCRIP", "kicc.kicc_billing",
                                       "chai.chai-pk-1", "naverpay"};
    struct pg_settings plain = make_config(0), ids = make_config(1);
    for (size_t i = 0; i < 5; i++) {
        char *a = pg_profile_pg_string(pg_profile_at(i), &plain);
        char *b = pg_profile_pg_string(pg_profile_at(i), &ids);
        ck_assert_str_eq(a, without[i]);
        ck_assert_str_eq(b, with[i]);
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(window_amount_and_first_charge_per_pg)
{
    /* rows: payco, kakaopay, kicc, chai, naverpay; columns: charge_now 0, 1. CHAI shows the
     * price when billkey charges it right after (issue #12: it showed 0, then charged 9900). */
    static const int64_t window[5][2] = {
        {9900, 9900}, {0, 9900}, {9900, 9900}, {0, 9900}, {9900, 9900}};
    static const int again[5][2] = {{0, 1}, {0, 0}, {0, 1}, {0, 1}, {0, 1}};
    for (size_t i = 0; i < 5; i++) {
        for (int now = 0; now < 2; now++) {
            const struct pg_profile *p = pg_profile_at(i);
            ck_assert_int_eq(pg_profile_window_amount(p, 9900, now), window[i][now]);
            ck_assert_int_eq(pg_profile_charges_with_again(p, now), again[i][now]);
        }
        ck_assert_int_eq(pg_profile_window_amount(pg_profile_at(i), 0, 0), 0);
    }
}
END_TEST

struct request_pay_case {
    const char *pg;
    int charge_now;
    int naver_popup;
    const char *naver_product_code; /* the checkout's, NULL = NAVERPAY_PRODUCT_CODE */
    int with_ids;
    int with_buyer;
    const char *want;
};

static const struct request_pay_case cases[] = {
    {"payco", 0, 1, NULL, 0, 1,
     "{\"pg\":\"payco\",\"pay_method\":\"card\",\"merchant_uid\":\"" MU "\",\"customer_uid\":"
     "\"cu_x\",\"name\":\"월 구독\",\"amount\":9900," BUYER LANDING "}"},
    {"payco", 1, 1, NULL, 1, 0,
     "{\"pg\":\"payco\",\"pay_method\":\"card\",\"merchant_uid\":\"" MU "\",\"customer_uid\":"
     "\"cu_x\",\"name\":\"월 구독\",\"amount\":9900," LANDING "}"},
    {"kakaopay", 0, 1, NULL, 0, 1,
     "{\"pg\":\"kakaopay\",\"pay_method\":\"card\",\"merchant_uid\":\"" MU "\",\"customer_uid\":"
     "\"cu_x\",\"name\":\"월 구독\",\"amount\":0," BUYER LANDING "}"},
    {"kakaopay", 1, 1, NULL, 1, 1,
     "{\"pg\":\"kakaopay.TCSUBSCRIP\",\"pay_method\":\"card\",\"merchant_uid\":\"" MU "\","
     "\"customer_uid\":\"cu_x\",\"name\":\"월 구독\",\"amount\":9900," BUYER LANDING "}"},
    {"kicc", 0, 1, NULL, 1, 1,
     "{\"pg\":\"kicc.kicc_billing\",\"pay_method\":\"card\",\"merchant_uid\":\"" MU "\","
     "\"customer_uid\":\"cu_x\",\"name\":\"월 구독\",\"amount\":9900," BUYER LANDING "}"},
    {"kicc", 1, 1, NULL, 0, 0,
     "{\"pg\":\"kicc\",\"pay_method\":\"card\",\"merchant_uid\":\"" MU "\",\"customer_uid\":"
     "\"cu_x\",\"name\":\"월 구독\",\"amount\":9900," LANDING "}"},
    {"chai", 0, 1, NULL, 0, 1,
     "{\"pg\":\"chai\",\"pay_method\":\"trans\",\"merchant_uid\":\"" MU "\",\"customer_uid\":"
     "\"cu_x\",\"name\":\"월 구독\",\"amount\":0," BUYER LANDING "}"},
    {"chai", 1, 1, NULL, 1, 1,
     "{\"pg\":\"chai.chai-pk-1\",\"pay_method\":\"trans\",\"merchant_uid\":\"" MU "\","
     "\"customer_uid\":\"cu_x\",\"name\":\"월 구독\",\"amount\":9900," BUYER LANDING "}"},
    {"naverpay", 0, 1, NULL, 0, 1,
     "{\"pg\":\"naverpay\",\"pay_method\":\"card\",\"merchant_uid\":\"" MU "\",\"customer_uid\":"
     "\"cu_x\",\"name\":\"월 구독\",\"amount\":9900," BUYER LANDING ",\"naverPopupMode\":true,"
     "\"naverProductCode\":\"billkey\"}"},
    {"naverpay", 1, 0, NULL, 1, 1,
     "{\"pg\":\"naverpay\",\"pay_method\":\"card\",\"merchant_uid\":\"" MU "\",\"customer_uid\":"
     "\"cu_x\",\"name\":\"월 구독\",\"amount\":9900," BUYER LANDING ",\"naverPopupMode\":false,"
     "\"naverProductCode\":\"billkey\",\"naverChainId\":\"sAMplEChAINid\"}"},
    /* a checkout's own naverProductCode wins over NAVERPAY_PRODUCT_CODE */
    {"naverpay", 0, 0, "plan-premium-12m", 0, 0,
     "{\"pg\":\"naverpay\",\"pay_method\":\"card\",\"merchant_uid\":\"" MU "\",\"customer_uid\":"
     "\"cu_x\",\"name\":\"월 구독\",\"amount\":9900," LANDING ",\"naverPopupMode\":false,"
     "\"naverProductCode\":\"plan-premium-12m\"}"},
};

START_TEST(request_pay_is_exact)
{
    const struct request_pay_case *c = &cases[_i];
    struct pg_settings cfg = make_config(c->with_ids);
    struct pg_checkout co = {
        .merchant_uid = MU,
        .customer_uid = "cu_x",
        .name = "월 구독",
        .price = 9900,
        .charge_now = c->charge_now,
        .buyer_name = c->with_buyer ? "홍길동" : NULL,
        .buyer_email = c->with_buyer ? "a@b.kr" : NULL,
        .buyer_tel = c->with_buyer ? "010-1234-5678" : NULL,
        .naver_popup = c->naver_popup,
        .naver_product_code = c->naver_product_code,
    };
    cJSON *rp = pg_profile_request_pay(pg_profile_find(c->pg), &cfg, &co);
    char *text = cJSON_PrintUnformatted(rp);
    ck_assert_str_eq(text, c->want);
    cJSON_free(text);
    cJSON_Delete(rp);
}
END_TEST

/* Merchant-supplied text goes into the object as JSON strings, never as markup or code. */
START_TEST(request_pay_carries_hostile_text_as_strings)
{
    struct pg_settings cfg = make_config(0);
    struct pg_checkout co = {.merchant_uid = MU,
                             .customer_uid = "cu_x",
                             .name = "</script><script>alert(1)</script>\"'",
                             .price = 100};
    cJSON *rp = pg_profile_request_pay(pg_profile_find("payco"), &cfg, &co);
    char *text = cJSON_PrintUnformatted(rp);
    ck_assert_ptr_nonnull(strstr(text, "\"name\":\"</script><script>alert(1)</script>\\\"'\""));
    cJSON *back = cJSON_Parse(text);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(back, "name")->valuestring, co.name);
    cJSON_Delete(back);
    cJSON_free(text);
    cJSON_Delete(rp);
}
END_TEST

static Suite *suite_pg_profile(void)
{
    Suite *s = suite_create("pg_profile");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, table_lists_the_five_pgs_in_order);
    tcase_add_test(tc, find_is_exact);
    tcase_add_test(tc, pg_strings_follow_the_config);
    tcase_add_test(tc, window_amount_and_first_charge_per_pg);
    tcase_add_loop_test(tc, request_pay_is_exact, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, request_pay_carries_hostile_text_as_strings);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_pg_profile)
