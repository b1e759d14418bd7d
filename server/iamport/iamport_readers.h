/* Readers from iamport's JSON objects to the client's structs (iamport_payment.c,
 * iamport_schedule.c, iamport_customers.c). Each has the iamport_reader shape where noted. */
#ifndef BILLKEY_IAMPORT_READERS_H
#define BILLKEY_IAMPORT_READERS_H

#include <cjson/cJSON.h>

#include "server/iamport/iamport.h"
#include "server/iamport/iamport_envelope.h"

/* ---- field lists shared by the cJSON readers and iamport_scan_objects.c ---- */
/* String members of struct iamport_payment read straight from same-named JSON fields, and its
 * optional integral times, in the order the readers check them. */
/* clang-format off */
#define PAYMENT_STRINGS(X)                                                                         \
    X(currency) X(name) X(pay_method) X(channel) X(pg_provider) X(emb_pg_provider) X(pg_tid)       \
    X(pg_id) X(apply_num) X(card_code) X(card_name) X(card_number) X(buyer_name) X(buyer_email)    \
    X(buyer_tel) X(buyer_addr) X(buyer_postcode) X(customer_uid) X(customer_uid_usage)            \
    X(fail_reason) X(cancel_reason) X(receipt_url)

#define PAYMENT_TIMES(X) X(started_at) X(paid_at) X(failed_at) X(cancelled_at)
/* clang-format on */

/* The same for struct iamport_customer's strings. */
/* clang-format off */
#define CUSTOMER_STRINGS(X)                                                                        \
    X(customer_id) X(pg_provider) X(pg_id) X(card_name) X(card_code) X(card_number)                \
    X(card_issuer_code) X(card_issuer_name) X(card_publisher_code) X(card_publisher_name)          \
    X(customer_name) X(customer_tel) X(customer_email) X(customer_addr) X(customer_postcode)
/* clang-format on */

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
/* iamport_text_reader for struct iamport_customer (into->out): reads the Customer with
 * iamport_scan_customer and keeps its text as raw_json. */
enum iamport_status iamport_read_customer_text(const char *json, size_t len,
                                               struct iamport_text_read *into,
                                               struct iamport_error *err);

/* iamport_text_reader for struct iamport_payment (into->out): reads the Payment with
 * iamport_scan_payment, keeps its text as raw_json and sets into->declined for status failed. */
enum iamport_status iamport_read_payment_text(const char *json, size_t len,
                                              struct iamport_text_read *into,
                                              struct iamport_error *err);

#endif
