/* Allocation wrappers that abort on out-of-memory, so callers never handle NULL from them. */
#ifndef BILLKEY_XALLOC_H
#define BILLKEY_XALLOC_H

#include <stddef.h>

/* All return memory the caller owns and frees with free(). They never return NULL:
 * on allocation failure they print one line to stderr and abort(). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
