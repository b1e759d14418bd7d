/* iamport client: Payment and Customer objects read from their JSON text in one pass, with the
 * rules, check order and messages of parse_payment and parse_customer. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "server/iamport/iamport_scan.h"
#include "server/iamport/iamport_errors.h"
#include "server/iamport/iamport_readers.h"
#include "server/iamport/iamport_scan_internal.h"
#include "server/core/xalloc.h"

#define NAME_MAX_LEN 32 /* longer than every field name */
#define NO_FIELD 0xFF

/* A list of field names and, built once, an index by name length. */
struct field_set {
    const char *const *names;
    size_t n;
    uint8_t head[NAME_MAX_LEN]; /* first field of each length, NO_FIELD when none */
    uint8_t next[64];           /* next field of the same length */
};

static void field_set_build(struct field_set *fs)
{
    memset(fs->head, NO_FIELD, sizeof fs->head);
    for (size_t i = fs->n; i-- > 0;) {
        size_t len = strlen(fs->names[i]);
        fs->next[i] = fs->head[len];
        fs->head[len] = (uint8_t)i;
    }
}

/* The field named key, or -1. */
static int field_find(const struct field_set *fs, const char *key, size_t len)
{
    if (len == 0 || len >= NAME_MAX_LEN)
        return -1;
    for (uint8_t i = fs->head[len]; i != NO_FIELD; i = fs->next[i])
        if (fs->names[i][0] == key[0] && memcmp(fs->names[i], key, len) == 0)
            return i;
    return -1;
}

/* Slots of one object's fields: the first member of each name (ABSENT when none). */
struct field_walk {
    const struct field_set *fs;
    struct iamport_scan_value *slots;
};

static void field_member(void *arg, const char *key, size_t len, const struct iamport_scan_value *v)
{
    struct field_walk *fw = arg;
    int i = field_find(fw->fs, key, len);
    if (i >= 0 && fw->slots[i].type == IAMPORT_SCAN_ABSENT)
        fw->slots[i] = *v;
}

/* Reads the object json[len] into slots (fs->n of them, zeroed here). Returns 0, or -1 when
 * json is not a JSON document or its root is not an object. */
static int read_fields(const char *json, size_t len, const struct field_set *fs,
                       struct iamport_scan_value *slots)
{
    struct field_walk fw = {fs, slots};
    const struct iamport_scan_walker w = {.member = field_member, .arg = &fw};
    struct iamport_scan_value root;
    memset(slots, 0, fs->n * sizeof *slots);
    return iamport_scan_walk(json, len, &root, &w) == 0 && root.type == IAMPORT_SCAN_OBJECT ? 0
                                                                                            : -1;
}

/* ---- typed getters: iamport_json.c's, over a slot ---- */

static bool present(const struct iamport_scan_value *v)
{
    return v->type != IAMPORT_SCAN_ABSENT && v->type != IAMPORT_SCAN_NULL;
}

static int get_string(const struct iamport_scan_value *v, const char *field, bool required,
                      char **out, struct iamport_error *err)
{
    *out = NULL;
    if (!present(v)) {
        if (!required)
            return 0;
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is missing", field);
        return -1;
    }
    if (v->type != IAMPORT_SCAN_STRING) {
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is not a string", field);
        return -1;
    }
    *out = iamport_scan_string(v);
    return 0;
}

static int get_int64(const struct iamport_scan_value *v, const char *field, bool required,
                     int64_t fallback, int64_t *out, struct iamport_error *err)
{
    *out = fallback;
    if (!present(v)) {
        if (!required)
            return 0;
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is missing", field);
        return -1;
    }
    if (iamport_scan_int64(v, out) != 0) {
        *out = fallback;
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is not an integral number", field);
        return -1;
    }
    return 0;
}

static int get_bool(const struct iamport_scan_value *v, const char *field, bool *out,
                    struct iamport_error *err)
{
    *out = false;
    if (!present(v))
        return 0;
    if (v->type != IAMPORT_SCAN_TRUE && v->type != IAMPORT_SCAN_FALSE) {
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is not a boolean", field);
        return -1;
    }
    *out = v->type == IAMPORT_SCAN_TRUE;
    return 0;
}

/* iamport_json_text: a string, or an object/array as cJSON prints it. Only that rare case (iamport
 * sends custom_data as a string) builds a tree, to print exactly what cJSON prints. */
static int get_text(const struct iamport_scan_value *v, const char *field, char **out,
                    struct iamport_error *err)
{
    *out = NULL;
    if (!present(v))
        return 0;
    if (v->type == IAMPORT_SCAN_STRING) {
        *out = iamport_scan_string(v);
        return 0;
    }
    if (v->type == IAMPORT_SCAN_OBJECT || v->type == IAMPORT_SCAN_ARRAY) {
        char *copy = xstrndup(v->text, v->len);
        cJSON *tree = cJSON_ParseWithOpts(copy, NULL, 1);
        char *text = cJSON_PrintUnformatted(tree);
        cJSON_Delete(tree);
        free(copy);
        if (!text) {
            iamport_fail(err, IAMPORT_E_PARSE, "field '%s' cannot be printed", field);
            return -1;
        }
        *out = xstrdup(text);
        cJSON_free(text);
        return 0;
    }
    iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is not text", field);
    return -1;
}

/* ---- Payment ---- */

#define FIELD_NAME(f) #f,
#define PLUS_ONE(f) +1
#define FIELD_OFFSET(f) offsetof(struct iamport_payment, f),
enum {
    PAYMENT_N_STRINGS = 0 PAYMENT_STRINGS(PLUS_ONE),
    PAYMENT_N_TIMES = 0 PAYMENT_TIMES(PLUS_ONE),
};
/* clang-format off */
#define PAYMENT_NAMED(X)                                                                           \
    X(imp_uid) X(merchant_uid) X(status) X(amount) X(cancel_amount) X(card_quota) X(card_type)     \
    X(sandbox) X(escrow) X(custom_data) X(cancel_history)
/* clang-format on */
#define NAMED_INDEX(f) P_##f,
enum {
    P_FIRST_NAMED = PAYMENT_N_STRINGS + PAYMENT_N_TIMES - 1,
    PAYMENT_NAMED(NAMED_INDEX) P_COUNT
};
#undef NAMED_INDEX

static const char *const payment_names[] = {PAYMENT_STRINGS(FIELD_NAME) PAYMENT_TIMES(FIELD_NAME)
                                                PAYMENT_NAMED(FIELD_NAME)};
static const size_t payment_offsets[] = {PAYMENT_STRINGS(FIELD_OFFSET) PAYMENT_TIMES(FIELD_OFFSET)};
#undef FIELD_OFFSET

#define CUSTOMER_NAMED(X) X(customer_uid) X(card_type) X(inserted) X(updated) X(sandbox)
#define FIELD_OFFSET(f) offsetof(struct iamport_customer, f),
enum { CUSTOMER_N_STRINGS = 0 CUSTOMER_STRINGS(PLUS_ONE) };
#define NAMED_INDEX(f) C_##f,
enum { C_FIRST_NAMED = CUSTOMER_N_STRINGS - 1, CUSTOMER_NAMED(NAMED_INDEX) C_COUNT };
#undef NAMED_INDEX
static const char *const customer_names[] = {CUSTOMER_STRINGS(FIELD_NAME)
                                                 CUSTOMER_NAMED(FIELD_NAME)};
static const size_t customer_offsets[] = {CUSTOMER_STRINGS(FIELD_OFFSET)};
#undef FIELD_OFFSET

enum { E_pg_tid, E_amount, E_cancelled_at, E_reason, E_cancellation_id, E_receipt_url, E_COUNT };
static const char *const entry_names[] = {"pg_tid", "amount",          "cancelled_at",
                                          "reason", "cancellation_id", "receipt_url"};

static struct field_set payment_fields = {payment_names, P_COUNT, {0}, {0}};
static struct field_set customer_fields = {customer_names, C_COUNT, {0}, {0}};
static struct field_set entry_fields = {entry_names, E_COUNT, {0}, {0}};
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

static void fields_build(void)
{
    field_set_build(&payment_fields);
    field_set_build(&customer_fields);
    field_set_build(&entry_fields);
}

/* The elements of a cancel_history array, collected by a walk. */
struct element_list {
    struct iamport_scan_value *items;
    size_t n, cap;
};

static void element_add(void *arg, const struct iamport_scan_value *v)
{
    struct element_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = *v;
}

static int read_entry(const struct iamport_scan_value *v, struct iamport_cancel_entry *e,
                      struct iamport_error *err)
{
    struct iamport_scan_value s[E_COUNT];
    if (v->type != IAMPORT_SCAN_OBJECT || read_fields(v->text, v->len, &entry_fields, s) != 0) {
        iamport_fail(err, IAMPORT_E_PARSE, "a 'cancel_history' entry is not an object");
        return -1;
    }
    if (get_string(&s[E_pg_tid], "pg_tid", false, &e->pg_tid, err) ||
        get_int64(&s[E_amount], "amount", true, 0, &e->amount, err) ||
        get_int64(&s[E_cancelled_at], "cancelled_at", false, 0, &e->cancelled_at, err) ||
        get_string(&s[E_reason], "reason", false, &e->reason, err) ||
        get_string(&s[E_cancellation_id], "cancellation_id", false, &e->cancellation_id, err) ||
        get_string(&s[E_receipt_url], "receipt_url", false, &e->receipt_url, err))
        return -1;
    return 0;
}

static int read_cancel_history(const struct iamport_scan_value *v, struct iamport_payment *out,
                               struct iamport_error *err)
{
    if (!present(v))
        return 0;
    if (v->type != IAMPORT_SCAN_ARRAY) {
        iamport_fail(err, IAMPORT_E_PARSE, "field 'cancel_history' is not an array");
        return -1;
    }
    struct element_list list = {0};
    const struct iamport_scan_walker w = {.element = element_add, .arg = &list};
    int rc = iamport_scan_walk(v->text, v->len, NULL, &w); /* validated already: cannot fail */
    if (rc == 0 && list.n > 0)
        out->cancel_history = xcalloc(list.n, sizeof *out->cancel_history);
    for (size_t i = 0; rc == 0 && i < list.n; i++)
        rc = read_entry(&list.items[i], &out->cancel_history[out->cancel_history_count++], err);
    free(list.items);
    return rc;
}

enum iamport_status iamport_scan_payment(const char *json, size_t len, struct iamport_payment *out,
                                         struct iamport_error *err)
{
    struct iamport_scan_value s[P_COUNT];
    pthread_once(&fields_once, fields_build);
    if (read_fields(json, len, &payment_fields, s) != 0)
        return iamport_fail(err, IAMPORT_E_PARSE, "payment is not a JSON object");
    for (size_t i = 0; i < PAYMENT_N_STRINGS; i++)
        if (get_string(&s[i], payment_names[i], false, (char **)((char *)out + payment_offsets[i]),
                       err))
            return IAMPORT_E_PARSE;
    for (size_t i = PAYMENT_N_STRINGS; i < PAYMENT_N_STRINGS + PAYMENT_N_TIMES; i++)
        if (get_int64(&s[i], payment_names[i], false, 0,
                      (int64_t *)((char *)out + payment_offsets[i]), err))
            return IAMPORT_E_PARSE;
    if (get_string(&s[P_imp_uid], "imp_uid", true, &out->imp_uid, err) ||
        get_string(&s[P_merchant_uid], "merchant_uid", true, &out->merchant_uid, err) ||
        get_string(&s[P_status], "status", true, &out->status_text, err) ||
        get_int64(&s[P_amount], "amount", true, 0, &out->amount, err) ||
        get_int64(&s[P_cancel_amount], "cancel_amount", false, 0, &out->cancel_amount, err) ||
        get_int64(&s[P_card_quota], "card_quota", false, 0, &out->card_quota, err) ||
        get_int64(&s[P_card_type], "card_type", false, -1, &out->card_type, err) ||
        get_bool(&s[P_sandbox], "sandbox", &out->sandbox, err) ||
        get_bool(&s[P_escrow], "escrow", &out->escrow, err) ||
        get_text(&s[P_custom_data], "custom_data", &out->custom_data, err) ||
        read_cancel_history(&s[P_cancel_history], out, err))
        return IAMPORT_E_PARSE;
    return IAMPORT_OK;
}

enum iamport_status iamport_scan_customer(const char *json, size_t len,
                                          struct iamport_customer *out, struct iamport_error *err)
{
    struct iamport_scan_value s[C_COUNT];
    pthread_once(&fields_once, fields_build);
    if (read_fields(json, len, &customer_fields, s) != 0)
        return iamport_fail(err, IAMPORT_E_PARSE, "customer is not a JSON object");
    for (size_t i = 0; i < CUSTOMER_N_STRINGS; i++)
        if (get_string(&s[i], customer_names[i], false,
                       (char **)((char *)out + customer_offsets[i]), err))
            return IAMPORT_E_PARSE;
    if (get_string(&s[C_customer_uid], "customer_uid", true, &out->customer_uid, err) ||
        get_int64(&s[C_card_type], "card_type", false, -1, &out->card_type, err) ||
        get_int64(&s[C_inserted], "inserted", false, 0, &out->inserted, err) ||
        get_int64(&s[C_updated], "updated", false, 0, &out->updated, err) ||
        get_bool(&s[C_sandbox], "sandbox", &out->sandbox, err))
        return IAMPORT_E_PARSE;
    return IAMPORT_OK;
}
