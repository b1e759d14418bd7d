/* The scanner's walk and value decoders, shared by iamport_scan.c (the walk, the envelope) and
 * iamport_scan_objects.c (Payment and Customer). */
#ifndef BILLKEY_IAMPORT_SCAN_INTERNAL_H
#define BILLKEY_IAMPORT_SCAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/iamport/iamport_scan.h"

/* What a walk reports about its root value: each member of a root object (key as cJSON's
 * item->string, cut at its first NUL; members whose key is too long to be a field name are not
 * reported), or each element of a root array. Values are borrowed from the text. */
struct iamport_scan_walker {
    void (*member)(void *arg, const char *key, size_t key_len, const struct iamport_scan_value *v);
    void (*element)(void *arg, const struct iamport_scan_value *v);
    /* may be NULL: true when the member's value, if an array or object, is only to be skimmed
     * (its end found by counting brackets; the caller walks its text later) */
    bool (*skim)(void *arg, const char *key, size_t key_len);
    void *arg;
};

/* iamport_scan_document, telling w (may be NULL) about the root's members or elements as they
 * are read. A walk that fails may have reported some of them. */
int iamport_scan_walk(const char *text, size_t len, struct iamport_scan_value *root,
                      const struct iamport_scan_walker *w);

/* A STRING value decoded as cJSON's valuestring (caller frees). */
char *iamport_scan_string(const struct iamport_scan_value *v);
/* A NUMBER value as cJSON's valuedouble. */
double iamport_scan_number(const struct iamport_scan_value *v);
/* A value as iamport_json_number_to_int64 reads it: 0 with *out set, or -1. */
int iamport_scan_int64(const struct iamport_scan_value *v, int64_t *out);

#endif
