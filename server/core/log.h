/* Structured logging: one JSON object per line on stderr, with secrets and card numbers scrubbed. */
#ifndef BILLKEY_LOG_H
#define BILLKEY_LOG_H

#include <cjson/cJSON.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Parses "debug", "info", "warn" or "error". Returns 0 and sets *out, or -1. */
int log_level_parse(const char *name, enum log_level *out);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

/* Redirects output (default stderr). Tests use this to capture lines. Not thread-safe
 * against concurrent logging: call at start-up only. */
void log_set_stream(void *file /* FILE * */);

/* Registers a start-up secret that must never appear in a log line (database password,
 * iamport key and secret, merchant API keys). The string is copied; every later line has each
 * occurrence replaced by "[redacted]". Kept for the life of the process (until log_shutdown),
 * however many tokens are registered after it. Values shorter than 4 characters are ignored.
 * Thread-safe. */
void log_register_secret(const char *value);
/* The same for a value that rotates (an iamport access token, refreshed every ~30 minutes):
 * only the newest 64 tokens are kept, so a long-running process does not grow. */
void log_register_token(const char *value);
/* Frees the registered secrets and tokens (at exit, for leak checkers). */
void log_shutdown(void);

/* Writes {"time","level","request_id"?,"msg", ...fields}. `fields` may be NULL; when given,
 * it is an object whose members are appended, and this call takes ownership of it.
 * request_id may be NULL. */
void log_json(enum log_level level, const char *request_id, const char *msg, cJSON *fields);

/* printf-style convenience over log_json with no extra fields. */
void log_msg(enum log_level level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Scrubs a line in place-equivalent: returns a new string (caller frees) where registered
 * secrets are "[redacted]" and runs of 13-19 digits (optionally split by single spaces or
 * dashes, i.e. card numbers) keep only their first 6 and last 4 digits. Exposed for tests. */
char *log_scrub(const char *line);

#endif
