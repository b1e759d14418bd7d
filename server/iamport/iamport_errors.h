/* Error filling, argument checks and path escaping shared by the iamport client's files. */
#ifndef BILLKEY_IAMPORT_ERRORS_H
#define BILLKEY_IAMPORT_ERRORS_H

#include "server/iamport/iamport.h"

/* printf into err->detail (err may be NULL). Returns `status` for `return fail(...)` use. */
enum iamport_status iamport_fail(struct iamport_error *err, enum iamport_status status,
                                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Returns status; on IAMPORT_OK zeroes *err first (err is only filled on failure). */
enum iamport_status iamport_done(enum iamport_status status, struct iamport_error *err);
/* Copies `text` into dst (size cap), cutting at a UTF-8 character boundary. */
void iamport_copy_utf8(char *dst, size_t cap, const char *text);
/* Checks a path id (non-empty, not "." or "..", at most IAMPORT_ID_MAX bytes). */
enum iamport_status iamport_check_id(const char *what, const char *id, struct iamport_error *err);
/* URL-escapes an id for a path segment or query value. Caller frees with free(). */
char *iamport_escape(const char *text);
/* Opening of every public call: returns err, or `local` when err is NULL, after zeroing it and
 * the out_size bytes of *out. */
struct iamport_error *iamport_begin(struct iamport_error *err, struct iamport_error *local,
                                    void *out, size_t out_size);
/* Checks `id` (iamport_check_id, naming it `what`) and sets *path to prefix + escaped id +
 * suffix (caller frees). Returns IAMPORT_OK, or IAMPORT_E_INVALID_ARGUMENT with err filled and
 * *path NULL. */
enum iamport_status iamport_id_path(const char *what, const char *id, const char *prefix,
                                    const char *suffix, char **path, struct iamport_error *err);

#endif
