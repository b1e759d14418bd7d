/* What an iamport-compatible merchant call answers (HTTP status, iamport code, message, response) and who asks. */
#include "server/billing/merchant_answer.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/core/utf8.h"

static void set_message(struct merchant_answer *a, const char *fmt, va_list ap)
{
    vsnprintf(a->message, sizeof a->message, fmt, ap);
    utf8_trim_partial(a->message);
}

void merchant_answer_ok(struct merchant_answer *a, cJSON *response)
{
    cJSON_Delete(a->response);
    a->http_status = 200;
    a->code = 0;
    a->message[0] = '\0';
    a->response = response ? response : cJSON_CreateObject();
}

void merchant_answer_refuse(struct merchant_answer *a, int http_status, int code, const char *fmt,
                            ...)
{
    va_list ap;
    cJSON_Delete(a->response);
    a->response = NULL;
    a->http_status = http_status;
    a->code = code;
    va_start(ap, fmt);
    set_message(a, fmt, ap);
    va_end(ap);
}

void merchant_answer_retry(struct merchant_answer *a, const char *message)
{
    merchant_answer_refuse(a, 200, -1, "%s", message);
    a->retry = 1;
}

void merchant_answer_field(struct merchant_answer *a, const struct json_error *e)
{
    const char *f = e->field[0] ? e->field : "value";
    int integer = e->expect == JSON_EXPECT_INTEGER;
    if (e->status == JSON_MISSING)
        merchant_answer_refuse(a, 200, 1, "파라미터 누락: %s", f);
    else if (integer)
        merchant_answer_refuse(a, 200, 1,
                               "%s 는 %" PRId64 " 이상 %" PRId64 " 이하의 정수여야 합니다.", f,
                               e->min, e->max);
    else if (e->status == JSON_TOO_LONG)
        merchant_answer_refuse(a, 200, 1, "%s 는 최대 %zu바이트까지 입력할 수 있습니다.", f,
                               e->max_len);
    else
        merchant_answer_refuse(a, 200, 1,
                               "파라미터 형식 오류: %s 는 제어문자가 없는 문자열이어야 합니다.", f);
}

int merchant_answer_customer_uid(const cJSON *body, int required, const char **customer_uid,
                                 struct merchant_answer *a)
{
    switch (json_get_str(body, "customer_uid", required, 0, customer_uid, NULL)) {
    case JSON_OK:
        return 0;
    case JSON_MISSING:
        merchant_answer_refuse(a, 200, 1, "파라미터 누락: customer_uid");
        return -1;
    default:
        merchant_answer_refuse(a, 200, 1, "customer_uid: 제어 문자가 없는 문자열이어야 합니다.");
        return -1;
    }
}

void merchant_answer_too_long(struct merchant_answer *a, const char *field, size_t max_chars,
                              size_t chars)
{
    merchant_answer_refuse(a, 200, 1, "%s 는 최대 %zu자까지 입력할 수 있습니다. (입력: %zu자)",
                           field, max_chars, chars);
}

void merchant_answer_upstream(struct merchant_answer *a, enum iamport_status st,
                              const struct iamport_error *err, const char *what)
{
    switch (st) {
    case IAMPORT_E_API:
    case IAMPORT_E_NOT_FOUND:
        if (err->http_status > 0 && err->code != 0) {
            merchant_answer_refuse(a, err->http_status, err->code, "%s", err->message);
            return;
        }
        break;
    case IAMPORT_E_INVALID_ARGUMENT:
        merchant_answer_refuse(a, 200, 1, "파라미터 형식 오류: %s", err->detail);
        return;
    case IAMPORT_E_BUSY:
        merchant_answer_busy(a);
        return;
    default:
        break;
    }
    merchant_answer_refuse(a, 502, -1, "iamport에서 %s 응답을 받지 못했습니다 (%s: %s)", what,
                           iamport_status_name(st), err->detail[0] ? err->detail : err->message);
}

void merchant_answer_audit_upstream(cJSON *detail, enum iamport_status st,
                                    const struct iamport_error *err)
{
    cJSON *up = cJSON_AddObjectToObject(detail, "upstream");
    cJSON_AddStringToObject(up, "status", iamport_status_name(st));
    cJSON_AddNumberToObject(up, "http_status", err->http_status);
    cJSON_AddNumberToObject(up, "code", err->code);
    json_add_str_or_null(up, "message", err->message[0] ? err->message : NULL);
}

int merchant_answer_no_iamport(const struct billing_env *env, struct merchant_answer *a)
{
    if (env->iamport)
        return 0;
    merchant_answer_refuse(a, 503, -1, "iamport 연동이 설정되지 않았습니다 (no iamport client)");
    return 1;
}

void merchant_answer_busy(struct merchant_answer *a)
{
    merchant_answer_refuse(a, 503, -1,
                           "iamport 호출이 많아 지금은 처리할 수 없습니다. 잠시 후 다시 시도해 "
                           "주세요 (iamport busy: nothing was sent)");
    a->retry = 1;
}

void merchant_answer_db_unavailable(struct merchant_answer *a, const char *what)
{
    merchant_answer_refuse(a, 503, -1, "데이터베이스를 사용할 수 없습니다 (%s)", what);
}

const char *merchant_answer_actor(char buf[MERCHANT_ACTOR_MAX], const char *key_name)
{
    snprintf(buf, MERCHANT_ACTOR_MAX, "api:%s", key_name ? key_name : "?");
    return buf;
}

cJSON *merchant_answer_take_response(struct merchant_answer *a)
{
    cJSON *r = a->response;
    a->response = NULL;
    return r;
}

void merchant_answer_release(struct merchant_answer *a)
{
    cJSON_Delete(a->response);
    memset(a, 0, sizeof *a);
}
