/* Static file resolution: maps a /static/ URL path to an open file under STATIC_DIR, safely. */
#ifndef BILLKEY_STATIC_PATH_H
#define BILLKEY_STATIC_PATH_H

#include <stddef.h>

enum static_status {
    STATIC_OK,        /* *fd_out is an open regular file */
    STATIC_NOT_FOUND, /* no such file, a directory, or not a regular file (FIFO, device...) */
    STATIC_FORBIDDEN, /* exists but may not be served: hidden segment, symlink, no permission */
    STATIC_BAD_PATH,  /* the path itself is hostile or malformed */
};

/* Resolves `rel` (the URL path after "/static/", already decoded once by libmicrohttpd; a
 * remaining '%' escape is decoded once more) under the folder `root`.
 *
 * STATIC_BAD_PATH: leading '/', a "." or ".." segment, backslash, control characters or DEL,
 *   a malformed '%' escape, an escape that decodes to '/', '\\', '.', '%', NUL or a control
 *   character (%2e%2e, %2f, %5c, %00, double encoding %252e), a segment over 255 bytes, or a
 *   path over 1024 bytes.
 * STATIC_FORBIDDEN: a segment starting with '.' (hidden files), any symlink on the way
 *   (all symlinks are refused, even ones pointing inside root; every segment is opened with
 *   openat(O_NOFOLLOW), so nothing outside root is reachable), or permission denied.
 * STATIC_NOT_FOUND: missing file, missing or unreadable root, "" (the root itself), a
 *   trailing '/', a directory, or anything but a regular file. Empty segments ("a//b") are
 *   collapsed.
 *
 * On STATIC_OK, *fd_out is an open read-only fd the caller closes, *size_out its size and
 * *mime_out a static string from static_mime_type(). On any other status *fd_out is -1,
 * *size_out 0 and *mime_out NULL. */
enum static_status static_resolve(const char *root, const char *rel, int *fd_out, size_t *size_out,
                                  const char **mime_out);

/* MIME type by the extension of the last segment of `path`, case-insensitive: html/htm,
 * js/mjs, css, json, svg, png, jpg/jpeg, ico, txt, webp, woff2, map. Text types carry
 * "; charset=utf-8". Anything else (including no extension) is "application/octet-stream".
 * Returns a static string. */
const char *static_mime_type(const char *path);

/* Human-readable name of a status ("ok", "not found", ...), a static string. */
const char *static_status_name(enum static_status status);

#endif
