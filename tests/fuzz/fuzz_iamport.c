/* libFuzzer harness: what a hostile iamport could answer (envelope, Payment, Customer, Schedule). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "server/iamport/iamport.h"
#include "server/iamport/iamport_envelope.h"
#include "server/iamport/iamport_readers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long http_statuses[] = {200, 401, 404, 500, 400, 302, 0, 503};
static const enum iamport_call_kind kinds[] = {IAMPORT_CALL_LOOKUP, IAMPORT_CALL_MONEY,
                                               IAMPORT_CALL_MUTATION};

/* The response member through every reader; each result is released whatever the status. */
static void read_all(cJSON *response)
{
    struct iamport_error err;
    struct iamport_payment payment;
    memset(&err, 0, sizeof err);
    iamport_payment_from_json(response, &payment, &err);
    iamport_payment_release(&payment);
    struct iamport_customer customer;
    iamport_customer_from_json(response, &customer, &err);
    iamport_customer_release(&customer);
    struct iamport_schedule schedule;
    iamport_schedule_from_json(response, &schedule, &err);
    iamport_schedule_release(&schedule);
    struct iamport_schedule_list list;
    iamport_schedule_list_from_json(response, &list, &err);
    iamport_schedule_list_release(&list);
    if (strnlen(err.message, sizeof err.message) == sizeof err.message ||
        strnlen(err.detail, sizeof err.detail) == sizeof err.detail)
        abort();
}

/* First byte: HTTP status, call kind and token-call flag; the rest is the body iamport sent. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct iamport_call call = {
        .method = IAMPORT_GET,
        .path = "/payments/imp_1",
        .kind = kinds[(data[0] >> 3) % 3],
        .code1_not_found = (data[0] & 0x20) != 0,
    };
    bool token_call = (data[0] & 0x40) != 0;
    cJSON *response = NULL;
    struct iamport_error err;
    memset(&err, 0, sizeof err);
    enum iamport_status st = iamport_map_answer(&call, token_call, http_statuses[data[0] & 7],
                                                (const char *)data + 1, size - 1, &response, &err);
    if (st == IAMPORT_OK) {
        if (!response)
            abort();
        read_all(response);
        cJSON_Delete(response);
    } else if (response) {
        abort();
    }
    /* The body as a bare object too, as stored raw copies are read back. */
    cJSON *bare = cJSON_ParseWithLength((const char *)data + 1, size - 1);
    if (bare)
        read_all(bare);
    cJSON_Delete(bare);
    return 0;
}
