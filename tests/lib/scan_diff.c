/* Differential check of iamport's answer readers: the cJSON tree path against the scanner. */
#include "tests/lib/scan_diff.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "server/iamport/iamport.h"
#include "server/iamport/iamport_envelope.h"
#include "server/iamport/iamport_readers.h"
#include "server/iamport/iamport_scan.h"
#include "server/core/xalloc.h"

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

#define STR(f)                                                                                     \
    if (!same_str(a->f, b->f))                                                                     \
        return xasprintf("field " #f ": '%s' vs '%s'", a->f ? a->f : "(null)",                     \
                         b->f ? b->f : "(null)");
#define INT(f)                                                                                     \
    if (a->f != b->f)                                                                              \
        return xasprintf("field " #f ": %" PRId64 " vs %" PRId64, (int64_t)a->f, (int64_t)b->f);

static char *diff_entry(const struct iamport_cancel_entry *a, const struct iamport_cancel_entry *b)
{
    STR(pg_tid)
    INT(amount)
    INT(cancelled_at)
    STR(reason)
    STR(cancellation_id)
    STR(receipt_url)
    return NULL;
}

static char *diff_payment(const struct iamport_payment *a, const struct iamport_payment *b)
{
    PAYMENT_STRINGS(STR)
    PAYMENT_TIMES(INT)
    STR(imp_uid)
    STR(merchant_uid)
    STR(status_text)
    INT(status)
    INT(amount)
    INT(cancel_amount)
    INT(card_quota)
    INT(card_type)
    INT(sandbox)
    INT(escrow)
    STR(custom_data)
    INT(cancel_history_count)
    for (size_t i = 0; i < a->cancel_history_count; i++) {
        char *d = diff_entry(&a->cancel_history[i], &b->cancel_history[i]);
        if (d)
            return d;
    }
    return NULL;
}

static char *diff_customer(const struct iamport_customer *a, const struct iamport_customer *b)
{
    CUSTOMER_STRINGS(STR)
    STR(customer_uid)
    INT(card_type)
    INT(inserted)
    INT(updated)
    INT(sandbox)
    return NULL;
}
#undef STR
#undef INT

static char *diff_error(const struct iamport_error *a, const struct iamport_error *b)
{
    if (a->http_status != b->http_status || a->code != b->code || a->timed_out != b->timed_out)
        return xasprintf("error http %d/%d code %d/%d", a->http_status, b->http_status, a->code,
                         b->code);
    if (strcmp(a->message, b->message) != 0)
        return xasprintf("error message '%s' vs '%s'", a->message, b->message);
    if (strcmp(a->detail, b->detail) != 0)
        return xasprintf("error detail '%s' vs '%s'", a->detail, b->detail);
    return NULL;
}

/* cJSON's unformatted print of tree (NULL stays NULL). */
static char *print_tree(const cJSON *tree)
{
    char *text = tree ? cJSON_PrintUnformatted(tree) : NULL;
    char *copy = text ? xstrdup(text) : NULL;
    cJSON_free(text);
    return copy;
}

static char *diff_raw(const cJSON *tree_raw, cJSON *scan_raw)
{
    char *a = print_tree(tree_raw), *b = print_tree(scan_raw), *d = NULL;
    cJSON_Delete(scan_raw);
    if (!same_str(a, b))
        d = xasprintf("raw '%s' vs '%s'", a ? a : "(null)", b ? b : "(null)");
    free(a);
    free(b);
    return d;
}

char *scan_diff_answer(long http_status, const char *body, size_t len, bool customer, bool money)
{
    struct iamport_call call = {
        .method = IAMPORT_GET,
        .path = customer ? "/subscribe/customers/c1" : "/payments/imp_1",
        .kind = money ? IAMPORT_CALL_MONEY : IAMPORT_CALL_LOOKUP,
        .code1_not_found = customer,
    };
    struct iamport_error ea, eb;
    struct iamport_payment pa, pb;
    struct iamport_customer ca, cb;
    cJSON *response = NULL;
    char *d = NULL;
    memset(&ea, 0, sizeof ea);
    memset(&eb, 0, sizeof eb);
    memset(&pb, 0, sizeof pb);
    memset(&cb, 0, sizeof cb);
    memset(&pa, 0, sizeof pa);
    memset(&ca, 0, sizeof ca);

    enum iamport_status sa =
        iamport_map_answer(&call, false, http_status, body, len, &response, &ea);
    if (sa == IAMPORT_OK)
        sa = customer ? iamport_customer_from_json(response, &ca, &ea)
                      : iamport_payment_from_json(response, &pa, &ea);

    struct iamport_text_read into = {
        .read = customer ? iamport_read_customer_text : iamport_read_payment_text,
        .out = customer ? (void *)&cb : (void *)&pb,
    };
    call.text = &into;
    enum iamport_status sb = iamport_map_answer_text(&call, http_status, body, len, &eb);

    if (sa != sb)
        d = xasprintf("status %s vs %s", iamport_status_name(sa), iamport_status_name(sb));
    if (!d)
        d = diff_error(&ea, &eb);
    if (!d && sa == IAMPORT_OK)
        d = customer ? diff_customer(&ca, &cb) : diff_payment(&pa, &pb);
    if (!d && sa == IAMPORT_OK)
        d = diff_raw(response, customer ? iamport_customer_raw(&cb) : iamport_payment_raw(&pb));
    if (!d && sa == IAMPORT_OK && !customer &&
        into.declined != (pa.status == IAMPORT_PAYMENT_FAILED))
        d = xasprintf("declined %d vs status %s", into.declined, pa.status_text);
    if (!d && sa != IAMPORT_OK && (customer ? cb.raw_json != NULL : pb.raw_json != NULL))
        d = xasprintf("a failed read left raw_json set");
    cJSON_Delete(response);
    iamport_payment_release(&pa);
    iamport_payment_release(&pb);
    iamport_customer_release(&ca);
    iamport_customer_release(&cb);
    return d;
}

char *scan_diff_document(const char *text, size_t len, bool customer)
{
    char *repaired = NULL;
    size_t n = 0;
    const char *prepared = iamport_scan_prepare(text, len, &repaired, &n);
    if (!prepared)
        return NULL; /* empty or NUL bytes: not read as JSON by either path */
    char *copy = xstrndup(prepared, n);
    cJSON *tree = cJSON_ParseWithOpts(copy, NULL, 1);
    struct iamport_scan_value root;
    int scanned = iamport_scan_document(prepared, n, &root);
    char *d = NULL;
    if ((tree != NULL) != (scanned == 0))
        d = xasprintf("cJSON %s, the scanner %s", tree ? "accepts" : "refuses",
                      scanned == 0 ? "accepts" : "refuses");
    if (!d && tree && root.text + root.len > prepared + n)
        d = xasprintf("root span past the end");

    struct iamport_error ea, eb;
    struct iamport_payment pa, pb;
    struct iamport_customer ca, cb;
    memset(&ea, 0, sizeof ea);
    memset(&eb, 0, sizeof eb);
    memset(&pb, 0, sizeof pb);
    memset(&cb, 0, sizeof cb);
    memset(&pa, 0, sizeof pa);
    memset(&ca, 0, sizeof ca);
    pb.card_type = cb.card_type = -1;
    enum iamport_status sa = customer ? iamport_customer_from_json(tree, &ca, &ea)
                                      : iamport_payment_from_json(tree, &pa, &ea);
    enum iamport_status sb = customer ? iamport_scan_customer(prepared, n, &cb, &eb)
                                      : iamport_scan_payment(prepared, n, &pb, &eb);
    if (!customer && sb == IAMPORT_OK)
        pb.status = iamport_payment_status_parse(pb.status_text);
    if (!d && sa != sb)
        d = xasprintf("reader status %s vs %s", iamport_status_name(sa), iamport_status_name(sb));
    if (!d)
        d = diff_error(&ea, &eb);
    if (!d && sa == IAMPORT_OK)
        d = customer ? diff_customer(&ca, &cb) : diff_payment(&pa, &pb);
    iamport_payment_release(&pa);
    iamport_payment_release(&pb);
    iamport_customer_release(&ca);
    iamport_customer_release(&cb);
    cJSON_Delete(tree);
    free(copy);
    free(repaired);
    return d;
}
