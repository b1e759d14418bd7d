/* Request-field readers that turn bad input into iamport-style messages ("파라미터 누락: name"). */
#ifndef BILLKEY_SB_FIELDS_H
#define BILLKEY_SB_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define SB_MAX_AMOUNT INT64_C(1000000000000) /* 1조 won: far above any real charge */
#define SB_MSG_LEN 512

/* Every reader returns 0 when the field is fine (or optional and absent) and -1 with an iamport
 * message in msg (SB_MSG_LEN bytes) otherwise. `label` names the field in messages (e.g.
 * "schedules[0][amount]"); NULL means key. JSON null and "" count as absent. */

/* String of at most max_chars UTF-8 characters (0 = no limit). *out is borrowed from obj, or NULL
 * when optional and absent. */
int sb_field_str(const cJSON *obj, const char *key, const char *label, int required,
                 size_t max_chars, const char **out, char *msg);
/* Integer in [min, max] from a JSON number or a digit string. *present says whether it was
 * given (may be NULL); *out is untouched when absent. */
int sb_field_int(const cJSON *obj, const char *key, const char *label, int required, int64_t min,
                 int64_t max, int64_t *out, int *present, char *msg);
/* Boolean (true/false or "true"/"false"/"1"/"0"); absent leaves *out untouched. */
int sb_field_bool(const cJSON *obj, const char *key, const char *label, int *out, char *msg);
/* custom_data: a string is kept as is; an object/array/number/bool is stored as its JSON text.
 * Returns a new string (caller frees) or NULL when absent. */
char *sb_field_custom_data(const cJSON *obj, const char *key);

#endif
