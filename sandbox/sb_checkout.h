/* The checkout window (IMP.request_pay stand-in): parsing, per-PG rules, delivery. */
#ifndef BILLKEY_SB_CHECKOUT_H
#define BILLKEY_SB_CHECKOUT_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "server/http/http.h"
#include "sandbox/sb_state.h"

#define SB_CHECKOUT_USER_CANCEL_MSG "사용자가 결제를 취소하셨습니다"
#define SB_CHECKOUT_E_INVALID "SANDBOX_INVALID_REQUEST"
#define SB_CHECKOUT_E_USER_CANCEL "SANDBOX_USER_CANCEL"
#define SB_CHECKOUT_E_DECLINED "SANDBOX_CARD_DECLINED"
#define SB_CHECKOUT_E_ISSUE_FAILED "SANDBOX_ISSUE_FAILED"

/* How the result reaches the merchant: the JS callback (iframe + postMessage) or a 302 to
 * m_redirect_url. */
enum sb_checkout_mode { SB_CHECKOUT_CALLBACK = 0, SB_CHECKOUT_REDIRECT };

/* One checkout as the window sees it. Owns everything; sb_checkout_release frees it. */
struct sb_checkout {
    cJSON *params;     /* the IMP.request_pay params object (an empty object when unusable) */
    int mobile;        /* the page said it is mobile (?mobile=1, mobile user agent) */
    char *origin;      /* merchant page origin for postMessage, or NULL */
    char *imp_code;    /* IMP.init code, or NULL */
    char provider[17]; /* "kakaopay" from pg "kakaopay.TCSUBSCRIP"; "" when unknown */
    char pg_id[81];    /* "TCSUBSCRIP", or "" */
    int64_t amount;    /* valid after sb_checkout_validate */
    enum sb_checkout_mode mode;
};

/* Fills co from the window's inputs (all may be NULL). params_json must be a JSON object; when
 * it is not, returns -1 with a message in msg (SB_MSG_LEN) and co is still usable (empty params,
 * callback mode) for delivering that failure. Release co either way. */
int sb_checkout_parse(const char *params_json, const char *mobile, const char *origin,
                      const char *imp_code, struct sb_checkout *co, char *msg);
void sb_checkout_release(struct sb_checkout *co);

/* The pre-validation of pg-matrix.md: pg, pay_method, customer_uid, merchant_uid (unused;
 * prepared amount matches), amount, buyer_tel for NaverPay, m_redirect_url where a redirect is
 * needed. Returns 0 or -1 with the reason in msg. Caller holds the state lock. */
int sb_checkout_validate(struct sb_state *st, struct sb_checkout *co, char *msg);

/* The rsp object handed to the callback / encoded in the redirect. p may be NULL (nothing was
 * created); error_code and error_msg are used when !success. Returns a new object. */
cJSON *sb_checkout_rsp(const struct sb_checkout *co, const cJSON *payment, int success,
                       const char *error_code, const char *error_msg);

/* Sends rsp (taken) to the merchant: a 302 to m_redirect_url with imp_uid, merchant_uid,
 * imp_success (+ error_code, error_msg) appended in redirect mode, else the result page whose
 * script posts rsp to the parent window. */
void sb_checkout_deliver(const struct sb_checkout *co, cJSON *rsp, struct reply *rep);

/* HTML-escapes s (& < > " '). Returns a new string; caller frees. */
char *sb_html_escape(const char *s);
/* Sets the headers every sandbox HTML page carries (CSP, no-sniff). */
void sb_html_headers(struct reply *rep);

#endif
