/* Readers from iamport's JSON objects to the client's structs (iamport_payment.c,
 * iamport_schedule.c, iamport_customers.c). Each has the iamport_reader shape where noted. */
#ifndef BILLKEY_IAMPORT_READERS_H
#define BILLKEY_IAMPORT_READERS_H

#include <cjson/cJSON.h>

#include "server/iamport/iamport.h"

/* ---- schedule parsing (iamport_schedule.c) ---- */
/* iamport_readers for struct iamport_schedule and struct iamport_schedule_list. */
enum iamport_status iamport_read_schedule(cJSON *response, void *out, struct iamport_error *err);
enum iamport_status iamport_read_schedule_list(cJSON *response, void *out,
                                               struct iamport_error *err);
enum iamport_status iamport_schedule_from_json(const cJSON *json, struct iamport_schedule *out,
                                               struct iamport_error *err);
/* Array of Schedule, or paged {total, previous, next, list}. */
enum iamport_status iamport_schedule_list_from_json(const cJSON *json,
                                                    struct iamport_schedule_list *out,
                                                    struct iamport_error *err);

/* ---- customer parsing (iamport_customers.c) ---- */
enum iamport_status iamport_customer_from_json(const cJSON *json, struct iamport_customer *out,
                                               struct iamport_error *err);
/* iamport_reader for struct iamport_customer: keeps the response as out->raw. */
enum iamport_status iamport_read_customer(cJSON *response, void *out, struct iamport_error *err);

/* iamport_reader for struct iamport_payment: parses the response into *out and keeps it as
 * out->raw. */
enum iamport_status iamport_read_payment(cJSON *response, void *out, struct iamport_error *err);

#endif
