/* Static file resolution: rejects hostile paths, then walks the folder with openat(O_NOFOLLOW). */
#include "server/http/static_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/core/percent.h"
#include "server/core/xalloc.h"

#define STATIC_PATH_MAX 1024   /* bytes of rel, before and after decoding */
#define STATIC_SEGMENT_MAX 255 /* NAME_MAX on Linux */
#define STATIC_SEGMENTS_MAX (STATIC_PATH_MAX / 2 + 1)

static const struct {
    const char *extension;
    const char *mime;
} mime_types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"ico", "image/x-icon"},
    {"txt", "text/plain; charset=utf-8"},
    {"webp", "image/webp"},
    {"woff2", "font/woff2"},
};

const char *static_mime_type(const char *path)
{
    const char *base, *dot;

    if (!path)
        return "application/octet-stream";
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    if (!dot || dot == base)
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof mime_types / sizeof mime_types[0]; i++) {
        if (strcasecmp(dot + 1, mime_types[i].extension) == 0)
            return mime_types[i].mime;
    }
    return "application/octet-stream";
}

const char *static_status_name(enum static_status status)
{
    switch (status) {
    case STATIC_OK:
        return "ok";
    case STATIC_NOT_FOUND:
        return "not found";
    case STATIC_FORBIDDEN:
        return "forbidden";
    case STATIC_BAD_PATH:
        return "bad path";
    }
    return "unknown";
}

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Decodes the '%' escapes left in rel, once. Returns a new string (caller frees), or NULL when
 * an escape is malformed or decodes to a byte that only a path trick would encode: '/', '\\',
 * '.', '%' (double encoding), NUL or a control character. */
static char *decode_remaining_escapes(const char *rel)
{
    char *out = percent_decode(rel, strlen(rel), 0, NULL, NULL);
    if (!out)
        return NULL;
    /* every '%' of rel was a valid three-byte escape: walk both to see the bytes they gave */
    for (size_t i = 0, o = 0; rel[i]; o++) {
        if (rel[i] != '%') {
            i++;
            continue;
        }
        unsigned char c = (unsigned char)out[o];
        if (c == '/' || c == '\\' || c == '.' || c == '%' || is_control(c))
            goto fail;
        i += 3;
    }
    return out;

fail:
    free(out);
    return NULL;
}

/* Checks the decoded path's text; returns STATIC_OK or the status that refuses it. */
static enum static_status check_path_text(const char *path)
{
    if (strlen(path) > STATIC_PATH_MAX || path[0] == '/')
        return STATIC_BAD_PATH;
    for (const char *c = path; *c; c++) {
        if (*c == '\\' || is_control((unsigned char)*c))
            return STATIC_BAD_PATH;
    }
    /* Every segment: no "." / "..", not too long; then hidden ones are forbidden. */
    enum static_status status = STATIC_OK;
    for (const char *seg = path; *seg;) {
        size_t len = strcspn(seg, "/");
        if (len > STATIC_SEGMENT_MAX)
            return STATIC_BAD_PATH;
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return STATIC_BAD_PATH;
        if (len > 0 && seg[0] == '.')
            status = STATIC_FORBIDDEN;
        seg += len;
        if (*seg == '/')
            seg++;
    }
    return status;
}

/* Why openat() of `name` under dirfd failed, as a status. */
static enum static_status open_failure_status(int err, int dirfd, const char *name)
{
    struct stat st;

    if (err == ELOOP || err == ENOTDIR || err == EMLINK) {
        /* O_NOFOLLOW refuses a symlink with ELOOP (or ENOTDIR together with O_DIRECTORY). */
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            return STATIC_FORBIDDEN;
        return STATIC_NOT_FOUND;
    }
    if (err == EACCES || err == EPERM)
        return STATIC_FORBIDDEN;
    if (err == ENAMETOOLONG)
        return STATIC_BAD_PATH;
    return STATIC_NOT_FOUND;
}

enum static_status static_resolve(const char *root, const char *rel, int *fd_out, size_t *size_out,
                                  const char **mime_out)
{
    enum static_status status;
    char *path = NULL;
    char *segments[STATIC_SEGMENTS_MAX];
    size_t segment_count = 0;
    int dirfd = -1, fd = -1;
    struct stat st;

    *fd_out = -1;
    *size_out = 0;
    *mime_out = NULL;
    if (!rel || strlen(rel) > STATIC_PATH_MAX) {
        status = STATIC_BAD_PATH;
        goto out;
    }
    path = strchr(rel, '%') ? decode_remaining_escapes(rel) : xstrdup(rel);
    if (!path) {
        status = STATIC_BAD_PATH;
        goto out;
    }
    status = check_path_text(path);
    if (status != STATIC_OK)
        goto out;
    size_t len = strlen(path);
    if (len == 0 || path[len - 1] == '/') {
        status = STATIC_NOT_FOUND; /* the root or a directory: no listings */
        goto out;
    }

    char *save = NULL;
    for (char *seg = strtok_r(path, "/", &save); seg; seg = strtok_r(NULL, "/", &save))
        segments[segment_count++] = seg; /* empty segments collapse here */

    if (!root || (dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        status = STATIC_NOT_FOUND;
        goto out;
    }
    for (size_t i = 0; i + 1 < segment_count; i++) {
        int next = openat(dirfd, segments[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            status = open_failure_status(errno, dirfd, segments[i]);
            goto out;
        }
        close(dirfd);
        dirfd = next;
    }
    const char *last = segments[segment_count - 1];
    fd = openat(dirfd, last, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        status = open_failure_status(errno, dirfd, last);
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        status = STATIC_NOT_FOUND; /* directory, FIFO, socket, device */
        goto out;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);

    *fd_out = fd;
    fd = -1;
    *size_out = (size_t)st.st_size;
    *mime_out = static_mime_type(last);
    status = STATIC_OK;

out:
    if (fd >= 0)
        close(fd);
    if (dirfd >= 0)
        close(dirfd);
    free(path);
    return status;
}
