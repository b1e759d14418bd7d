/* Allocation wrappers that abort on out-of-memory, so callers never handle NULL from them. */
#ifndef BILLKEY_XALLOC_H
#define BILLKEY_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* All return memory the caller owns and frees with free(). They never return NULL:
 * on allocation failure they print one line to stderr and abort(). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. Aborts too when fmt cannot be formatted (vsnprintf
 * fails only on a bad format or a result over INT_MAX bytes: a programming error). xvasprintf
 * leaves ap to the caller (va_end) and does not consume it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Makes cJSON allocate through xmalloc (with a per-thread cache of freed small blocks in
 * front of it, drained at thread exit; the blocks are ordinary malloc blocks that free() and
 * cJSON_free both accept), so cJSON_Create*, cJSON_Add*, cJSON_Duplicate,
 * cJSON_Parse* and cJSON_Print* never fail for lack of memory: they abort like the x*
 * allocators. They still return NULL (or false) for NULL arguments, and Parse for bad input.
 * Call once at the start of main, before any thread or cJSON call (billkeyd, the sandbox and
 * every test runner do). */
void xalloc_init_cjson(void);

#endif
