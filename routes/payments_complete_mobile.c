/* GET /payments/complete/mobile: the m_redirect_url landing; verifies with iamport and renders the result page. */
/* Nothing of the query is shown on the page (error_msg / error_code would let anyone put a
 * message of their choosing on the merchant's domain): the texts are fixed, and the one
 * free text is the failure reason iamport reports for the payment. */
#include "routes/routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes/verify_gate.h"
#include "server/billing/issuance_verify.h"
#include "server/http/html.h"

#define LANDING_CSP                                                                                \
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "  \
    "frame-ancestors 'none'"
/* The only link on the page: a fixed local URL, never one taken from the query. */
#define BACK_URL "/static/checkout.html"
/* What the page says when it knows nothing it may show: no imp_uid, or one iamport does not know. */
#define GENERIC_DETAIL "등록된 내용이 없습니다. 처음으로 돌아가 다시 시도해 주세요."
#define FAIL_REASON_MAX 500 /* bytes of iamport's failure reason shown */

/* What the page shows. Strings are borrowed; NULL rows are left out. */
struct landing_view {
    int http_status;
    const char *status; /* data-status: "active", "failed" or "error" */
    const char *code;   /* data-code: the error code, "" when active */
    const char *title;
    const char *detail;              /* a fixed text */
    const struct verify_result *res; /* registration rows when res->has_registration */
    const char *fail_reason;         /* iamport's failure reason for the payment, or NULL */
};

/* Writes <tag id="id">escaped</tag> when value is not NULL. */
static void put_text(FILE *f, const char *tag, const char *id, const char *value, size_t max)
{
    if (!value)
        return;
    char *esc = html_escape(value, max);
    fprintf(f, "<%s id=\"%s\">%s</%s>", tag, id, esc, tag);
    free(esc);
}

static void put_row(FILE *f, const char *label, const char *id, const char *value)
{
    if (!value)
        return;
    fprintf(f, "<dt>%s</dt>", label);
    put_text(f, "dd", id, value, 0);
    fputc('\n', f);
}

static void put_registration(FILE *f, const struct verify_result *res)
{
    const struct registration *reg = &res->reg;
    char amount[32];
    fputs("<dl class=\"summary\">\n", f);
    put_row(f, "상품", "reg-name", reg->name);
    put_row(f, "고객 ID", "customer-id", reg->customer_id);
    put_row(f, "결제수단", "pg", reg->pg);
    put_row(f, "주문번호", "merchant-uid", reg->merchant_uid);
    put_row(f, "등록 상태", "registration-status", reg->status);
    put_row(f, "카드", "card-name", reg->card_name);
    put_row(f, "카드번호", "card-number", reg->card_number);
    if (res->first_payment.present) {
        snprintf(amount, sizeof amount, "%lld원", (long long)res->first_payment.amount);
        put_row(f, "첫 결제 금액", "first-payment-amount", amount);
        put_row(f, "첫 결제 상태", "first-payment-status", res->first_payment.status);
        put_row(f, "첫 결제 실패 사유", "first-payment-fail-reason",
                res->first_payment.fail_reason);
    }
    fputs("</dl>\n", f);
}

static void render(struct reply *rep, const struct landing_view *v)
{
    char *page = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    if (!f)
        abort();
    char *code = html_escape(v->code, 64);
    fprintf(f,
            "<!doctype html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>정기결제 등록 결과 · billkey</title>"
            "<link rel=\"stylesheet\" href=\"/static/app.css\"></head>\n<body>"
            "<main class=\"checkout\">\n<section id=\"result\" class=\"result\" "
            "data-status=\"%s\" data-code=\"%s\">\n",
            v->status, code);
    put_text(f, "h1", "result-title", v->title, 0);
    fputc('\n', f);
    put_text(f, "p", "result-message", v->detail, 0);
    fputc('\n', f);
    if (v->fail_reason) {
        fputs("<p class=\"fail-reason\">실패 사유: ", f);
        put_text(f, "span", "fail-reason", v->fail_reason, FAIL_REASON_MAX);
        fputs("</p>\n", f);
    }
    if (v->res && v->res->has_registration)
        put_registration(f, v->res);
    fputs("</section>\n<p><a id=\"back\" href=\"" BACK_URL "\">처음으로 돌아가기</a></p>\n"
          "</main></body></html>\n",
          f);
    fclose(f);
    reply_bytes(rep, v->http_status, "text/html; charset=utf-8", page, len);
    reply_set_header(rep, "Content-Security-Policy", LANDING_CSP);
    free(code);
    free(page);
}

/* The single value of a query argument; *dup = 1 when it appears more than once. */
static const char *query_once(const struct request *req, const char *name, int *dup)
{
    const char *found = NULL;
    for (size_t i = 0; i < req->query_count; i++) {
        if (strcmp(req->query[i].name, name) != 0)
            continue;
        if (found)
            *dup = 1;
        found = req->query[i].value;
    }
    return found && found[0] ? found : NULL;
}

/* The page's fixed title and explanation of an outcome (never the verification's message,
 * which may quote the query's imp_uid or merchant_uid). */
struct landing_texts {
    const char *title;
    const char *detail;
};

static struct landing_texts texts_for(enum verify_outcome o)
{
    switch (o) {
    case VERIFY_ACTIVE:
        return (struct landing_texts){"등록이 완료되었습니다", "정기결제 수단이 등록되었습니다."};
    case VERIFY_FAILED:
        return (struct landing_texts){
            "등록에 실패했습니다",
            "결제사가 등록을 완료하지 않았습니다. 처음으로 돌아가 다시 시도해 주세요."};
    case VERIFY_REJECTED:
        return (struct landing_texts){
            "등록이 거절되었습니다",
            "결제 정보가 주문과 맞지 않아 등록하지 않았습니다. 결제된 금액은 취소됩니다."};
    case VERIFY_IAMPORT_UNAVAILABLE:
    case VERIFY_IAMPORT_TIMEOUT:
    case VERIFY_DB_UNAVAILABLE:
        return (struct landing_texts){
            "등록 결과를 아직 확인하지 못했습니다. 잠시 후 이 페이지를 새로고침해 주세요",
            "잠시 후 다시 확인해 주세요."};
    default:
        return (struct landing_texts){"등록 결과를 확인하지 못했습니다", GENERIC_DETAIL};
    }
}

static const char *status_for(enum verify_outcome o)
{
    return o == VERIFY_ACTIVE                           ? "active"
           : o == VERIFY_FAILED || o == VERIFY_REJECTED ? "failed"
                                                        : "error";
}

/* A request the page cannot verify (bad query): 400 with the error code. */
static void render_error(struct reply *rep, int status, const char *code, const char *detail)
{
    struct landing_view v = {.http_status = status,
                             .status = "error",
                             .code = code,
                             .title = "등록 결과를 확인하지 못했습니다",
                             .detail = detail};
    render(rep, &v);
}

void route_payments_complete_mobile(struct request *req, struct reply *rep)
{
    int dup = 0;
    const char *imp_uid = query_once(req, "imp_uid", &dup);
    const char *merchant_uid = query_once(req, "merchant_uid", &dup);
    const char *window_code = query_once(req, "error_code", &dup);
    const char *window_msg = query_once(req, "error_msg", &dup);
    struct verify_result res;
    memset(&res, 0, sizeof res);

    /* imp_success / success are read by nobody: iamport documents them as unreliable. */
    if (dup) {
        render_error(rep, 400, "invalid_field", "a query argument was given more than once");
        goto out;
    }
    /* a closed or failed window: error_code / error_msg only say that it failed */
    if (!imp_uid && (window_code || window_msg)) {
        struct landing_view v = {.http_status = 200,
                                 .status = "failed",
                                 .code = "window_failed",
                                 .title = "결제창에서 등록이 완료되지 않았습니다",
                                 .detail = GENERIC_DETAIL};
        render(rep, &v);
        goto out;
    }
    if (!merchant_uid || !issuance_valid_id(merchant_uid, VERIFY_MERCHANT_UID_MAX)) {
        render_error(rep, 400, "invalid_field",
                     merchant_uid ? "merchant_uid: must be 1..40 printable ASCII characters"
                                  : "merchant_uid: required");
        goto out;
    }
    /* Some PGs' redirects bring only merchant_uid (imp_uid NULL): verification finds the payment. */
    int retry_after = 0;
    if (!route_verify_gated(req, imp_uid, merchant_uid, "landing", &res, &retry_after)) {
        render_error(rep, 429, "too_many_verifications",
                     "확인 요청이 너무 많습니다. 잠시 후 이 페이지를 새로고침해 주세요.");
        route_set_retry_after(rep, retry_after);
        goto out;
    }
    enum verify_outcome o = res.outcome;
    struct landing_view v = {
        .http_status = res.http_status,
        .status = status_for(o),
        .code = res.code,
        .title = texts_for(o).title,
        .detail = texts_for(o).detail,
        .res = &res,
        /* iamport's reason, as the verification recorded it from the payment it fetched */
        .fail_reason = o == VERIFY_FAILED && res.has_registration ? res.reg.fail_reason : NULL,
    };
    render(rep, &v);
    if (res.retry_after)
        reply_mark_retry_after(rep);
out:
    verify_result_release(&res);
}
