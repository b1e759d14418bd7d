/* Reads iamport's answers straight from their JSON text, without a cJSON tree: the envelope, a
 * Payment, a Customer, accepting and refusing exactly what the cJSON path does. */
#ifndef BILLKEY_IAMPORT_SCAN_H
#define BILLKEY_IAMPORT_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "server/iamport/iamport.h"

/*
 * The text these functions read has no NUL bytes and is valid UTF-8: what parse_envelope in
 * iamport_envelope.c has after utf8_repair (iamport_scan_prepare does the same). It need not end
 * in a NUL: nothing past `len` is read. A document is accepted exactly when
 * cJSON_ParseWithOpts(text, NULL, 1) would accept it (cJSON 1.7: bytes 1..32 are whitespace, a
 * leading UTF-8 BOM is skipped, a number is a run of "0-9+-.eE" that strtod reads whole (any
 * length, as Debian's 1.7.15 reads them since CVE-2023-26819), raw control characters are allowed
 * in strings, at most CJSON_NESTING_LIMIT nested arrays and objects). Strings are decoded as cJSON decodes them, a "\u0000" or an invalid "\uXXXX" (which
 * cJSON reads as U+0000) included: they end the C string there.
 */

enum iamport_scan_type {
    IAMPORT_SCAN_ABSENT, /* no such member */
    IAMPORT_SCAN_NULL,
    IAMPORT_SCAN_FALSE,
    IAMPORT_SCAN_TRUE,
    IAMPORT_SCAN_NUMBER,
    IAMPORT_SCAN_STRING,
    IAMPORT_SCAN_ARRAY,
    IAMPORT_SCAN_OBJECT,
};

/* One JSON value: its type and its text (borrowed from the scanned document; a string's text
 * includes its quotes). */
struct iamport_scan_value {
    enum iamport_scan_type type;
    const char *text;
    size_t len;
};

/* What iamport_scan_envelope read. */
struct iamport_scan_envelope {
    int code;
    char *message;                      /* owned: the first "message" when a string, else NULL */
    struct iamport_scan_value response; /* the first "response" member; ABSENT when none */
    /* true when response is an array or object: then it was only skimmed (its end found, its
     * nesting limited) and is valid exactly when iamport_scan_document accepts its text; its
     * reader walks it anyway, so the envelope's text is walked once */
    bool response_skimmed;
};

/* The text a body is read from: NULL when it is empty or holds a NUL byte (no envelope, as
 * parse_envelope says), else body itself, or a repaired copy (*repaired, caller frees) when it is
 * not valid UTF-8. *text_len gets its length. */
const char *iamport_scan_prepare(const char *body, size_t body_len, char **repaired,
                                 size_t *text_len);

/* 0 when text is one JSON document cJSON accepts, with *root its value; -1 otherwise. */
int iamport_scan_document(const char *text, size_t len, struct iamport_scan_value *root);

/* 0 when text is an iamport envelope as parse_envelope reads it: a JSON document whose root is
 * an object with an integral "code" (the first member of that name) within int, provided a
 * skimmed response turns out valid (see response_skimmed); then *out is filled (release it with
 * iamport_scan_envelope_release). -1 otherwise, *out left empty. */
int iamport_scan_envelope(const char *text, size_t len, struct iamport_scan_envelope *out);
void iamport_scan_envelope_release(struct iamport_scan_envelope *env);

/* Reads a Payment from the JSON text json[len] with parse_payment's rules and messages
 * (iamport_payment.c): the same fields, the same first failure in err->detail. *out must be
 * zeroed with card_type -1; on failure it may hold part of what was read (release it). Sets
 * neither out->status nor out->raw_json. Text that is not a JSON document is "payment is not a
 * JSON object", as for a NULL tree. */
enum iamport_status iamport_scan_payment(const char *json, size_t len, struct iamport_payment *out,
                                         struct iamport_error *err);
/* The same for a Customer, with parse_customer's rules (iamport_customers.c). */
enum iamport_status iamport_scan_customer(const char *json, size_t len,
                                          struct iamport_customer *out, struct iamport_error *err);

#endif
