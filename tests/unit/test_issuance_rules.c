/* issuance_rules tests: accept / fail / reject / not-completed for every PG and every kind of mismatch. */
#include <stdio.h>
#include <string.h>

#include "server/iamport/iamport.h"
#include "server/billing/issuance_rules.h"
#include "server/billing/pg_profile.h"
#include "tests/lib/testlib.h"

#define CU "cu_payco_000000000000000000000000"

/* An issuance payment as the sandbox's window makes it: paid, usage issue, this customer_uid. */
static struct iamport_payment payment(const char *pg_provider, int64_t amount)
{
    struct iamport_payment p;
    memset(&p, 0, sizeof p);
    p.imp_uid = (char *)"imp_000000000001";
    p.merchant_uid = (char *)"bk_x";
    p.status = IAMPORT_PAYMENT_PAID;
    p.status_text = (char *)"paid";
    p.amount = amount;
    p.pg_provider = (char *)pg_provider;
    p.customer_uid = (char *)CU;
    p.customer_uid_usage = (char *)"issue";
    return p;
}

/* The decision with a configured pg_id (NULL = none). */
static struct issuance_check check_id(const char *pg, int64_t window, const char *pg_id,
                                      const struct iamport_payment *p)
{
    struct issuance_expectation e = {pg_profile_find(pg), CU, window, pg_id};
    struct issuance_check c;
    issuance_check_payment(&e, p, &c);
    return c;
}

static struct issuance_check check(const char *pg, int64_t window, const struct iamport_payment *p)
{
    return check_id(pg, window, NULL, p);
}

START_TEST(paid_issuance_is_accepted_on_every_pg)
{
    static const char *const pgs[] = {"payco", "kakaopay", "kicc", "chai", "naverpay"};
    for (size_t i = 0; i < 5; i++) {
        /* display-only PGs accept any shown amount; KakaoPay the exact window amount */
        int64_t window = strcmp(pgs[i], "kakaopay") == 0 || strcmp(pgs[i], "chai") == 0 ? 0 : 9900;
        struct iamport_payment p = payment(pgs[i], window);
        struct issuance_check c = check(pgs[i], window, &p);
        ck_assert_msg(c.decision == ISSUANCE_ACCEPT, "%s: %s", pgs[i], c.reason);
        ck_assert_int_eq(c.money_moved, 0);
    }
    struct iamport_payment p = payment("payco", 12345); /* display amount differs: harmless */
    ck_assert_int_eq(check("payco", 9900, &p).decision, ISSUANCE_ACCEPT);
    p = payment("kakaopay", 9900);
    ck_assert_int_eq(check("kakaopay", 9900, &p).decision, ISSUANCE_ACCEPT);
}
END_TEST

START_TEST(ready_is_success_only_for_kakaopay_issue_only)
{
    struct iamport_payment p = payment("kakaopay", 0);
    p.status = IAMPORT_PAYMENT_READY;
    p.status_text = (char *)"ready";
    ck_assert_int_eq(check("kakaopay", 0, &p).decision, ISSUANCE_ACCEPT);
    p.amount = 9900;
    ck_assert_int_eq(check("kakaopay", 9900, &p).decision, ISSUANCE_NOT_COMPLETED);
    p = payment("payco", 9900);
    p.status = IAMPORT_PAYMENT_READY;
    p.status_text = (char *)"ready";
    struct issuance_check c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_NOT_COMPLETED);
    ck_assert_str_eq(c.reason, "iamport reports status 'ready': not completed");
    p.status = IAMPORT_PAYMENT_UNKNOWN;
    p.status_text = (char *)"<b>weird</b>";
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_NOT_COMPLETED);
    ck_assert_str_eq(c.reason, "iamport reports status '<b>weird</b>'");
}
END_TEST

START_TEST(failed_window_fails_with_the_pg_message)
{
    struct iamport_payment p = payment("kakaopay", 9900);
    p.status = IAMPORT_PAYMENT_FAILED;
    p.fail_reason = (char *)"[CB] 카드 한도초과";
    struct issuance_check c = check("kakaopay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_FAIL);
    ck_assert_str_eq(c.reason, "[CB] 카드 한도초과");
    p.fail_reason = NULL;
    ck_assert_str_eq(check("kakaopay", 9900, &p).reason, "the PG reported a failure");
}
END_TEST

START_TEST(identity_mismatches_are_rejected)
{
    struct iamport_payment p = payment("payco", 9900);
    p.customer_uid = (char *)"cu_attacker";
    struct issuance_check c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "customer_uid 'cu_attacker' is not the registration's '" CU "'");
    ck_assert_int_eq(c.money_moved, 0); /* a display-only issuance moved nothing */

    p = payment("kicc", 9900);
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "pg_provider 'kicc' is not the registration's 'payco'");

    p = payment("payco", 9900);
    p.customer_uid_usage = NULL; /* an ordinary payment under the registration's merchant_uid */
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "customer_uid_usage '(null)' is not 'issue'");
    ck_assert_int_eq(c.money_moved, 1); /* it took 9900 won: cancel it */

    p = payment("payco", 9900);
    p.customer_uid = NULL;
    p.status = IAMPORT_PAYMENT_FAILED; /* identity is checked before the status */
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 0);
}
END_TEST

/* The payment's own PG decides whether money moved: a KakaoPay window charge (or one of a PG
 * billkey does not know) made under a display-only registration took money and must be
 * cancelled. */
START_TEST(charge_by_another_pg_counts_as_money_moved)
{
    struct iamport_payment p = payment("kakaopay", 9900);
    struct issuance_check c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "pg_provider 'kakaopay' is not the registration's 'payco'");
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("html5_inicis", 9900);
    c = check("naverpay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 1);

    p = payment(NULL, 9900);
    c = check("kicc", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("kicc", 9900); /* another display-only PG: nothing was charged */
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 0);
}
END_TEST

START_TEST(kakaopay_amount_must_match)
{
    struct iamport_payment p = payment("kakaopay", 100);
    struct issuance_check c = check("kakaopay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "amount 100 is not the expected 9900");
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("kakaopay", 5000); /* issue-only registration, yet money was taken */
    c = check("kakaopay", 0, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("kakaopay", 0); /* charge_now registration, but nothing was charged */
    c = check("kakaopay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 0);
}
END_TEST

START_TEST(cancelled_issuance_is_rejected_without_cancel)
{
    struct iamport_payment p = payment("kakaopay", 9900);
    p.status = IAMPORT_PAYMENT_CANCELLED;
    struct issuance_check c = check("kakaopay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "the issuance payment was cancelled");
    ck_assert_int_eq(c.money_moved, 0);
}
END_TEST

START_TEST(reasons_cut_long_hostile_values_at_character_boundaries)
{
    char long_uid[400];
    memset(long_uid, 0, sizeof long_uid);
    for (int i = 0; i < 100; i++)
        memcpy(long_uid + 3 * i, "가", 3);
    struct iamport_payment p = payment("payco", 9900);
    p.customer_uid = long_uid;
    struct issuance_check c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    /* 80 bytes of a 3-byte character quote 26 characters (78 bytes) */
    ck_assert_ptr_nonnull(strstr(c.reason, "' is not the registration's"));
    ck_assert_uint_eq(strlen(c.reason), strlen("customer_uid '") + 78 +
                                            strlen("' is not the registration's '" CU "'"));
}
END_TEST

/* KakaoPay "ready" is accepted only provisionally: iamport must show the billing key for this PG. */
START_TEST(ready_acceptance_needs_the_key_at_iamport)
{
    struct iamport_payment p = payment("kakaopay", 0);
    p.status = IAMPORT_PAYMENT_READY;
    p.status_text = (char *)"ready";
    struct issuance_expectation e = {pg_profile_find("kakaopay"), CU, 0, NULL};
    struct iamport_customer cust;
    memset(&cust, 0, sizeof cust);
    cust.customer_uid = (char *)CU;
    cust.pg_provider = (char *)"kakaopay";
    cust.pg_id = (char *)"TCSUBSCRIP";
    struct issuance_check c;

    issuance_check_payment(&e, &p, &c);
    ck_assert_int_eq(c.decision, ISSUANCE_ACCEPT);
    ck_assert_int_eq(c.needs_key, 1);
    issuance_check_customer(&e, &cust, &c);
    ck_assert_int_eq(c.decision, ISSUANCE_ACCEPT);

    issuance_check_payment(&e, &p, &c);
    issuance_check_customer(&e, NULL, &c); /* iamport has no key: the window was left */
    ck_assert_int_eq(c.decision, ISSUANCE_NOT_COMPLETED);
    ck_assert_int_eq(c.needs_key, 0);
    ck_assert_str_eq(c.reason,
                     "iamport reports status 'ready' and has no billing key for customer_uid '" CU
                     "'");

    cust.pg_provider = (char *)"payco"; /* a key of another PG under the same customer_uid */
    issuance_check_payment(&e, &p, &c);
    issuance_check_customer(&e, &cust, &c);
    ck_assert_int_eq(c.decision, ISSUANCE_NOT_COMPLETED);
    ck_assert_str_eq(c.reason, "iamport reports status 'ready' and its billing key is for "
                               "pg_provider 'payco', not 'kakaopay'");

    cust.pg_provider = (char *)"kakaopay";
    cust.customer_uid = (char *)"cu_other";
    issuance_check_payment(&e, &p, &c);
    issuance_check_customer(&e, &cust, &c);
    ck_assert_int_eq(c.decision, ISSUANCE_NOT_COMPLETED);

    cust.customer_uid = (char *)CU; /* a configured CID must be the key's too */
    e.pg_id = "CIDA";
    p.pg_id = (char *)"CIDA";
    issuance_check_payment(&e, &p, &c);
    ck_assert_int_eq(c.decision, ISSUANCE_ACCEPT);
    issuance_check_customer(&e, &cust, &c);
    ck_assert_int_eq(c.decision, ISSUANCE_NOT_COMPLETED);
    ck_assert_str_eq(c.reason, "iamport reports status 'ready' and its billing key is for "
                               "pg_id 'TCSUBSCRIP', not the configured 'CIDA'");

    /* a paid acceptance does not wait for the key, and other decisions are left alone */
    p = payment("kakaopay", 9900);
    e.pg_id = NULL;
    e.window_amount = 9900;
    issuance_check_payment(&e, &p, &c);
    ck_assert_int_eq(c.needs_key, 0);
    issuance_check_customer(&e, NULL, &c);
    ck_assert_int_eq(c.decision, ISSUANCE_ACCEPT);
    p.status = IAMPORT_PAYMENT_CANCELLED;
    issuance_check_payment(&e, &p, &c);
    issuance_check_customer(&e, NULL, &c);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
}
END_TEST

/* A partly cancelled payment (iamport keeps "paid") is never the price in full: rejected, and
 * what is still taken (the net) is cancelled. */
START_TEST(partly_cancelled_payment_is_rejected_by_its_net)
{
    struct iamport_payment p = payment("kakaopay", 9900);
    p.cancel_amount = 3000;
    struct issuance_check c = check("kakaopay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "the payment was partly cancelled: 3000 of 9900 cancelled, net 6900 "
                               "is not the full amount");
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("payco", 9900); /* display-only: rejected, nothing to give back */
    p.cancel_amount = 100;
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 0);

    p = payment("payco", 9900); /* not an issuance: the net 9800 is still taken */
    p.customer_uid_usage = (char *)"payment";
    p.cancel_amount = 100;
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 1);
    p.cancel_amount = 9900; /* nothing left (iamport would say cancelled by then) */
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.money_moved, 0);
}
END_TEST

/* A configured CID/MID/public key must be the payment's pg_id; none configured accepts any. */
START_TEST(configured_pg_id_must_match)
{
    struct iamport_payment p = payment("kicc", 9900);
    p.pg_id = (char *)"MID_OTHER";
    struct issuance_check c = check_id("kicc", 9900, "MID_A", &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "pg_id 'MID_OTHER' is not the configured 'MID_A'");
    ck_assert_int_eq(c.money_moved, 0); /* KICC's window charged nothing */
    ck_assert_int_eq(check_id("kicc", 9900, "", &p).decision, ISSUANCE_ACCEPT);
    ck_assert_int_eq(check_id("kicc", 9900, NULL, &p).decision, ISSUANCE_ACCEPT);
    p.pg_id = (char *)"MID_A";
    ck_assert_int_eq(check_id("kicc", 9900, "MID_A", &p).decision, ISSUANCE_ACCEPT);
    p.pg_id = NULL;
    ck_assert_str_eq(check_id("kicc", 9900, "MID_A", &p).reason,
                     "pg_id '(null)' is not the configured 'MID_A'");

    p = payment("kakaopay", 9900); /* a charge under another CID took money: cancel it */
    p.pg_id = (char *)"TCSUBSCRIP";
    c = check_id("kakaopay", 9900, "CIDA", &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("chai", 0); /* identity first: pg_id before customer_uid_usage */
    p.pg_id = (char *)"pk_other";
    p.customer_uid_usage = (char *)"payment";
    ck_assert_str_eq(check_id("chai", 0, "pk_live", &p).reason,
                     "pg_id 'pk_other' is not the configured 'pk_live'");
}
END_TEST

/* ---- the exhaustive table: PG × status × amount × customer_uid_usage × identity ---- */

enum amount_kind { AMT_ZERO, AMT_WINDOW, AMT_OTHER };

static int64_t amount_of(enum amount_kind k, int64_t window)
{
    return k == AMT_ZERO ? 0 : k == AMT_WINDOW ? window : window + 100;
}

/* What one PG class decides for a payment whose identity is right (usage "issue"). */
struct expect {
    enum issuance_decision decision;
    int money_moved;
    const char *reason; /* a fragment of the reason */
};

/* clang-format off */
#define A(r) {ISSUANCE_ACCEPT, 0, r}
#define F(r) {ISSUANCE_FAIL, 0, r}
#define N(r) {ISSUANCE_NOT_COMPLETED, 0, r}
#define R(mm, r) {ISSUANCE_REJECT, mm, r}
/* The six window × amount rows of one status. */
#define EVERY_AMOUNT(st, display, kakaopay)                                                        \
    {st, 0, AMT_ZERO, display, kakaopay}, {st, 0, AMT_WINDOW, display, kakaopay},                 \
        {st, 0, AMT_OTHER, display, kakaopay}, {st, 9900, AMT_ZERO, display, kakaopay},           \
        {st, 9900, AMT_WINDOW, display, kakaopay}, {st, 9900, AMT_OTHER, display, kakaopay}
/* clang-format on */

/* Every status × window amount (0: issue only, 9900: the price) × payment amount, for the
 * display-only PGs (PAYCO, KICC, CHAI, NaverPay: the window shows the amount, charges nothing)
 * and for KakaoPay (the window charges; "ready" with 0 is issued). */
static const struct {
    enum iamport_payment_status status;
    int64_t window;
    enum amount_kind amount;
    struct expect display;
    struct expect kakaopay;
} table[] = {
    {IAMPORT_PAYMENT_PAID, 0, AMT_ZERO, A("issued"), A("issued")},
    {IAMPORT_PAYMENT_PAID, 0, AMT_WINDOW, A("issued"), A("issued")},
    {IAMPORT_PAYMENT_PAID, 0, AMT_OTHER, A("issued"), R(1, "amount 100 is not the expected 0")},
    {IAMPORT_PAYMENT_PAID, 9900, AMT_ZERO, A("issued"), R(0, "amount 0 is not the expected 9900")},
    {IAMPORT_PAYMENT_PAID, 9900, AMT_WINDOW, A("issued"), A("issued")},
    {IAMPORT_PAYMENT_PAID, 9900, AMT_OTHER, A("issued"),
     R(1, "amount 10000 is not the expected 9900")},
    {IAMPORT_PAYMENT_READY, 0, AMT_ZERO, N("status 'ready'"), A("issued (status ready, amount 0)")},
    {IAMPORT_PAYMENT_READY, 0, AMT_WINDOW, N("status 'ready'"),
     A("issued (status ready, amount 0)")},
    {IAMPORT_PAYMENT_READY, 0, AMT_OTHER, N("status 'ready'"), N("status 'ready'")},
    {IAMPORT_PAYMENT_READY, 9900, AMT_ZERO, N("status 'ready'"), N("status 'ready'")},
    {IAMPORT_PAYMENT_READY, 9900, AMT_WINDOW, N("status 'ready'"), N("status 'ready'")},
    {IAMPORT_PAYMENT_READY, 9900, AMT_OTHER, N("status 'ready'"), N("status 'ready'")},
    /* failed, cancelled and unknown decide alike whatever the amounts */
    EVERY_AMOUNT(IAMPORT_PAYMENT_FAILED, F("[F01] declined"), F("[F01] declined")),
    EVERY_AMOUNT(IAMPORT_PAYMENT_CANCELLED, R(0, "was cancelled"), R(0, "was cancelled")),
    EVERY_AMOUNT(IAMPORT_PAYMENT_UNKNOWN, N("status 'weird'"), N("status 'weird'")),
};

#undef A
#undef F
#undef N
#undef R
#undef EVERY_AMOUNT

static const char *const all_pgs[] = {"payco", "kakaopay", "kicc", "chai", "naverpay"};
#define PG_COUNT (sizeof all_pgs / sizeof all_pgs[0])

static const char *status_text(enum iamport_payment_status st)
{
    static const char *const text[] = {
        [IAMPORT_PAYMENT_READY] = "ready",   [IAMPORT_PAYMENT_PAID] = "paid",
        [IAMPORT_PAYMENT_FAILED] = "failed", [IAMPORT_PAYMENT_CANCELLED] = "cancelled",
        [IAMPORT_PAYMENT_UNKNOWN] = "weird",
    };
    return text[st];
}

/* Row `row` of the table as a payment on pg, with the given identity. */
static struct iamport_payment table_payment(size_t row, const char *pg_provider,
                                            const char *customer_uid, const char *usage)
{
    struct iamport_payment p =
        payment(pg_provider, amount_of(table[row].amount, table[row].window));
    p.status = table[row].status;
    p.status_text = (char *)status_text(table[row].status);
    p.fail_reason = (char *)"[F01] declined";
    p.customer_uid = (char *)customer_uid;
    p.customer_uid_usage = (char *)usage;
    return p;
}

static void assert_check(const struct issuance_check *c, const struct expect *want,
                         const char *what)
{
    ck_assert_msg(c->decision == want->decision, "%s: decision %d, want %d (%s)", what,
                  (int)c->decision, (int)want->decision, c->reason);
    ck_assert_msg(c->money_moved == want->money_moved, "%s: money_moved %d (%s)", what,
                  c->money_moved, c->reason);
    ck_assert_msg(strstr(c->reason, want->reason) != NULL, "%s: reason '%s' lacks '%s'", what,
                  c->reason, want->reason);
}

START_TEST(table_with_the_right_identity)
{
    char what[160];
    for (size_t row = 0; row < sizeof table / sizeof table[0]; row++) {
        for (size_t g = 0; g < PG_COUNT; g++) {
            const char *pg = all_pgs[g];
            struct iamport_payment p = table_payment(row, pg, CU, "issue");
            struct issuance_check c = check(pg, table[row].window, &p);
            snprintf(what, sizeof what, "row %zu (%s, window %lld, amount %lld) on %s", row,
                     p.status_text, (long long)table[row].window, (long long)p.amount, pg);
            assert_check(
                &c, strcmp(pg, "kakaopay") == 0 ? &table[row].kakaopay : &table[row].display, what);
        }
    }
}
END_TEST

/* Whether a payment that is not the issuance billkey asked for took money: paid, more than 0,
 * and either not an issuance at all or made on a PG whose window charges (or one billkey does
 * not know). */
static int took_money(const struct iamport_payment *p)
{
    int charging_pg = !p->pg_provider || strcmp(p->pg_provider, "kakaopay") == 0 ||
                      strcmp(p->pg_provider, "html5_inicis") == 0;
    int issue = p->customer_uid_usage && strcmp(p->customer_uid_usage, "issue") == 0;
    return p->status == IAMPORT_PAYMENT_PAID && p->amount > 0 && (!issue || charging_pg);
}

/* Any wrong identity rejects, whatever the status and amount, naming the first mismatch in
 * the order customer_uid, pg_provider, customer_uid_usage. */
START_TEST(table_with_a_wrong_identity)
{
    static const char *const customer_uids[] = {CU, "cu_other", NULL};
    static const char *const payment_pgs[] = {"payco",    "kakaopay",     "kicc", "chai",
                                              "naverpay", "html5_inicis", NULL};
    static const char *const usages[] = {"issue", "payment", NULL};
    char what[200], want_reason[200];
    size_t checked = 0;

    for (size_t row = 0; row < sizeof table / sizeof table[0]; row++)
        for (size_t g = 0; g < PG_COUNT; g++)
            for (size_t cu = 0; cu < 3; cu++)
                for (size_t pp = 0; pp < sizeof payment_pgs / sizeof payment_pgs[0]; pp++)
                    for (size_t u = 0; u < 3; u++) {
                        const char *pg = all_pgs[g];
                        const char *paid_with = payment_pgs[pp];
                        int same_pg = paid_with && strcmp(paid_with, pg) == 0;
                        if (cu == 0 && same_pg && u == 0)
                            continue; /* the right identity: the other test */
                        struct iamport_payment p =
                            table_payment(row, paid_with, customer_uids[cu], usages[u]);
                        struct issuance_check c = check(pg, table[row].window, &p);
                        if (cu != 0)
                            snprintf(want_reason, sizeof want_reason,
                                     "customer_uid '%s' is not the registration's",
                                     customer_uids[cu] ? customer_uids[cu] : "(null)");
                        else if (!same_pg)
                            snprintf(want_reason, sizeof want_reason,
                                     "pg_provider '%s' is not the registration's '%s'",
                                     paid_with ? paid_with : "(null)", pg);
                        else
                            snprintf(want_reason, sizeof want_reason,
                                     "customer_uid_usage '%s' is not 'issue'",
                                     usages[u] ? usages[u] : "(null)");
                        struct expect want = {ISSUANCE_REJECT, took_money(&p), want_reason};
                        snprintf(what, sizeof what,
                                 "row %zu (%s, amount %lld) on %s: cu %s, paid with %s, usage %s",
                                 row, p.status_text, (long long)p.amount, pg,
                                 customer_uids[cu] ? customer_uids[cu] : "(null)",
                                 paid_with ? paid_with : "(null)",
                                 usages[u] ? usages[u] : "(null)");
                        assert_check(&c, &want, what);
                        checked++;
                    }
    /* 30 rows × 5 PGs × 3 customer_uids × 7 pg_providers × 3 usages, minus the right ones */
    ck_assert_uint_eq(sizeof table / sizeof table[0], 30);
    ck_assert_uint_eq(checked, 30 * 5 * (3 * 7 * 3 - 1));
}
END_TEST

/* The table again with a configured pg_id (matching or not) and with half of the payment
 * cancelled: a wrong pg_id rejects before the status is looked at; a partly cancelled "paid"
 * rejects on every PG, and money moved only where the window charged (KakaoPay) and a net is
 * still taken; every other row decides as the table says. */
START_TEST(table_with_pg_ids_and_partial_cancels)
{
    static const char *const payment_ids[] = {"PGID", "OTHER", NULL};
    char what[200];
    size_t checked = 0;
    for (size_t row = 0; row < sizeof table / sizeof table[0]; row++)
        for (size_t g = 0; g < PG_COUNT; g++)
            for (size_t id = 0; id < 3; id++)
                for (int half = 0; half < 2; half++) {
                    const char *pg = all_pgs[g];
                    int kakaopay = strcmp(pg, "kakaopay") == 0;
                    struct iamport_payment p = table_payment(row, pg, CU, "issue");
                    if (half && p.amount == 0)
                        continue; /* nothing to cancel */
                    p.pg_id = (char *)payment_ids[id];
                    p.cancel_amount = half ? p.amount / 2 : 0;
                    struct issuance_check c = check_id(pg, table[row].window, "PGID", &p);
                    snprintf(what, sizeof what,
                             "row %zu (%s, amount %lld, cancelled %lld) on %s, "
                             "pg_id %s",
                             row, p.status_text, (long long)p.amount, (long long)p.cancel_amount,
                             pg, p.pg_id ? p.pg_id : "(null)");
                    int net_taken = kakaopay && p.status == IAMPORT_PAYMENT_PAID &&
                                    p.amount - p.cancel_amount > 0;
                    struct expect want;
                    if (id != 0)
                        want = (struct expect){ISSUANCE_REJECT, net_taken,
                                               "is not the configured 'PGID'"};
                    else if (half && p.status == IAMPORT_PAYMENT_PAID)
                        want = (struct expect){ISSUANCE_REJECT, net_taken, "partly cancelled"};
                    else
                        want = kakaopay ? table[row].kakaopay : table[row].display;
                    assert_check(&c, &want, what);
                    /* without a configured id, any pg_id decides as the matching one */
                    if (id != 0) {
                        struct issuance_check any = check(pg, table[row].window, &p);
                        p.pg_id = (char *)"PGID";
                        struct issuance_check same = check_id(pg, table[row].window, "PGID", &p);
                        ck_assert_msg(any.decision == same.decision &&
                                          any.money_moved == same.money_moved,
                                      "%s: without a configured id", what);
                    }
                    checked++;
                }
    /* 5 PGs × 3 pg_ids × (30 rows uncancelled + the 15 with an amount, cancelled in half) */
    ck_assert_uint_eq(checked, 5 * 3 * (30 + 15));
}
END_TEST

/* What a verification does with a stored registration: answer from it, or take the lease. */
START_TEST(next_step_answers_stored_states_and_works_only_on_open_ones)
{
    static const struct {
        const char *status;
        int same, again;
        const char *first;
        enum issuance_step want;
    } cases[] = {
        {"pending", 0, 0, NULL, ISSUANCE_STEP_SETTLE},
        {"pending", 1, 1, NULL, ISSUANCE_STEP_SETTLE},
        {"failed", 0, 0, NULL, ISSUANCE_STEP_SETTLE},
        {"failed", 1, 0, NULL, ISSUANCE_STEP_FAILED},
        {"tampered", 1, 0, NULL, ISSUANCE_STEP_REJECTED},
        {"tampered", 0, 1, "paid", ISSUANCE_STEP_REJECTED},
        {"active", 0, 0, NULL, ISSUANCE_STEP_CONFLICT},
        {"active", 0, 1, "requested", ISSUANCE_STEP_CONFLICT},
        {"active", 1, 0, NULL, ISSUANCE_STEP_ACTIVE},
        {"active", 1, 1, "paid", ISSUANCE_STEP_ACTIVE},
        {"active", 1, 1, "failed", ISSUANCE_STEP_ACTIVE},
        {"active", 1, 1, "cancelled", ISSUANCE_STEP_ACTIVE},
        {"active", 1, 1, NULL, ISSUANCE_STEP_FIRST_CHARGE},
        {"active", 1, 1, "requested", ISSUANCE_STEP_FIRST_CHARGE},
        {"active", 1, 1, "unknown", ISSUANCE_STEP_FIRST_CHARGE},
        {"active", 1, 1, "not_sent", ISSUANCE_STEP_FIRST_CHARGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct issuance_state st = {.status = cases[i].status,
                                    .same_payment = cases[i].same,
                                    .charges_with_again = cases[i].again,
                                    .first_status = cases[i].first};
        ck_assert_msg(issuance_next_step(&st) == cases[i].want, "case %zu (%s)", i,
                      cases[i].status);
    }
}
END_TEST

static Suite *suite_issuance_rules(void)
{
    Suite *s = suite_create("issuance_rules");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, paid_issuance_is_accepted_on_every_pg);
    tcase_add_test(tc, ready_is_success_only_for_kakaopay_issue_only);
    tcase_add_test(tc, failed_window_fails_with_the_pg_message);
    tcase_add_test(tc, identity_mismatches_are_rejected);
    tcase_add_test(tc, kakaopay_amount_must_match);
    tcase_add_test(tc, charge_by_another_pg_counts_as_money_moved);
    tcase_add_test(tc, cancelled_issuance_is_rejected_without_cancel);
    tcase_add_test(tc, reasons_cut_long_hostile_values_at_character_boundaries);
    tcase_add_test(tc, ready_acceptance_needs_the_key_at_iamport);
    tcase_add_test(tc, partly_cancelled_payment_is_rejected_by_its_net);
    tcase_add_test(tc, configured_pg_id_must_match);
    tcase_add_test(tc, next_step_answers_stored_states_and_works_only_on_open_ones);
    suite_add_tcase(s, tc);
    TCase *table_tc = tcase_create("table");
    tcase_add_test(table_tc, table_with_the_right_identity);
    tcase_add_test(table_tc, table_with_a_wrong_identity);
    tcase_add_test(table_tc, table_with_pg_ids_and_partial_cancels);
    suite_add_tcase(s, table_tc);
    return s;
}

TESTLIB_MAIN(suite_issuance_rules)
