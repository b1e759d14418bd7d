/* Static path tests: a temp folder of files, hidden files, symlinks and a FIFO vs hostile paths. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/http/static_path.h"
#include "server/core/xalloc.h"
#include "tests/lib/testlib.h"

/* The fixture: <tmp>/outside.txt and the served folder <tmp>/www. */
static char tmp_dir[64];
static char *www_dir;

static void write_file(const char *rel, const char *content)
{
    char *path = xasprintf("%s/%s", www_dir, rel);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create '%s': %s", path, strerror(errno));
    fputs(content, f);
    fclose(f);
    free(path);
}

static void make_dir(const char *rel)
{
    char *path = xasprintf("%s/%s", www_dir, rel);
    ck_assert_msg(mkdir(path, 0755) == 0, "cannot mkdir '%s': %s", path, strerror(errno));
    free(path);
}

static void make_symlink(const char *target, const char *rel)
{
    char *path = xasprintf("%s/%s", www_dir, rel);
    ck_assert_msg(symlink(target, path) == 0, "cannot symlink '%s': %s", path, strerror(errno));
    free(path);
}

static void setup(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/billkey-static-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    char *outside = xasprintf("%s/outside.txt", tmp_dir);
    FILE *f = fopen(outside, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("outside secret", f);
    fclose(f);
    free(outside);
    www_dir = xasprintf("%s/www", tmp_dir);
    ck_assert_int_eq(mkdir(www_dir, 0755), 0);

    write_file("index.html", "<h1>hi</h1>");
    write_file("app.css", "body{}");
    write_file("empty.txt", "");
    write_file("noext", "plain bytes");
    write_file("UPPER.PNG", "png");
    write_file("with space.txt", "spaced");
    write_file(".env", "SECRET=1");
    make_dir("sub");
    write_file("sub/deep.js", "let x = 1;");
    make_dir(".git");
    write_file(".git/config", "[core]");
    make_symlink("../outside.txt", "link_out");
    make_symlink(tmp_dir, "link_out_dir");
    make_symlink("index.html", "link_in");
    make_symlink("sub", "link_dir");
    make_symlink("missing-target", "link_dangling");
    char *fifo = xasprintf("%s/fifo", www_dir);
    ck_assert_int_eq(mkfifo(fifo, 0644), 0);
    free(fifo);
}

/* Removes dir and everything under it without following symlinks. */
static void remove_tree(int parent_fd, const char *name)
{
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (fd >= 0) {
        DIR *d = fdopendir(fd);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (unlinkat(fd, e->d_name, 0) != 0)
                remove_tree(fd, e->d_name);
        }
        if (d)
            closedir(d);
        else
            close(fd);
    }
    unlinkat(parent_fd, name, AT_REMOVEDIR);
}

static void teardown(void)
{
    remove_tree(AT_FDCWD, tmp_dir);
    free(www_dir);
    www_dir = NULL;
}

static const struct {
    const char *rel;
    enum static_status status;
} hostile[] = {
    /* traversal, plain and encoded */
    {"../outside.txt", STATIC_BAD_PATH},
    {"..", STATIC_BAD_PATH},
    {"sub/../index.html", STATIC_BAD_PATH},
    {"sub/..", STATIC_BAD_PATH},
    {".", STATIC_BAD_PATH},
    {"./index.html", STATIC_BAD_PATH},
    {"sub/./deep.js", STATIC_BAD_PATH},
    {"%2e%2e/outside.txt", STATIC_BAD_PATH},
    {"%2E%2E/outside.txt", STATIC_BAD_PATH},
    {".%2e/outside.txt", STATIC_BAD_PATH},
    {"..%2foutside.txt", STATIC_BAD_PATH},
    {"..%2Foutside.txt", STATIC_BAD_PATH},
    {"sub%2fdeep.js", STATIC_BAD_PATH},
    {"..%5coutside.txt", STATIC_BAD_PATH},
    {"%252e%252e/outside.txt", STATIC_BAD_PATH},
    {"%25", STATIC_BAD_PATH},
    {"index%2ehtml", STATIC_BAD_PATH},
    {"sub/%2e%2e/index.html", STATIC_BAD_PATH},
    {"%c0%ae%c0%ae/outside.txt", STATIC_NOT_FOUND}, /* overlong UTF-8: just bytes, no such file */
    /* absolute paths and backslashes */
    {"/etc/passwd", STATIC_BAD_PATH},
    {"//etc/passwd", STATIC_BAD_PATH},
    {"..\\outside.txt", STATIC_BAD_PATH},
    {"sub\\deep.js", STATIC_BAD_PATH},
    /* NUL and control characters, raw and encoded */
    {"index.html%00.png", STATIC_BAD_PATH},
    {"index.html\n", STATIC_BAD_PATH},
    {"a\x01"
     "b",
     STATIC_BAD_PATH},
    {"a\x7f", STATIC_BAD_PATH},
    {"%0aindex.html", STATIC_BAD_PATH},
    {"%7f", STATIC_BAD_PATH},
    /* malformed escapes */
    {"%", STATIC_BAD_PATH},
    {"%2", STATIC_BAD_PATH},
    {"%zz", STATIC_BAD_PATH},
    {"index.html%", STATIC_BAD_PATH},
    {"%g0", STATIC_BAD_PATH},
    /* hidden files and folders */
    {".env", STATIC_FORBIDDEN},
    {".git/config", STATIC_FORBIDDEN},
    {".git/", STATIC_FORBIDDEN},
    {"sub/.missing", STATIC_FORBIDDEN},
    {"%2eenv", STATIC_BAD_PATH},
    /* symlinks: all refused, whether they point outside, inside or nowhere */
    {"link_out", STATIC_FORBIDDEN},
    {"link_out_dir/outside.txt", STATIC_FORBIDDEN},
    {"link_in", STATIC_FORBIDDEN},
    {"link_dir/deep.js", STATIC_FORBIDDEN},
    {"link_dir", STATIC_FORBIDDEN},
    {"link_dangling", STATIC_FORBIDDEN},
    /* not found: missing, the root itself, directories, non-regular files */
    {"missing.html", STATIC_NOT_FOUND},
    {"sub/missing/x.js", STATIC_NOT_FOUND},
    {"index.html/x", STATIC_NOT_FOUND},
    {"", STATIC_NOT_FOUND},
    {"sub", STATIC_NOT_FOUND},
    {"sub/", STATIC_NOT_FOUND},
    {"index.html/", STATIC_NOT_FOUND},
    {"fifo", STATIC_NOT_FOUND},
    {"INDEX.HTML", STATIC_NOT_FOUND},
};

START_TEST(hostile_paths_refused)
{
    int fd = 12345;
    size_t size = 999;
    const char *mime = "unset";
    enum static_status got = static_resolve(www_dir, hostile[_i].rel, &fd, &size, &mime);
    ck_assert_msg(got == hostile[_i].status, "'%s': got %s, want %s", hostile[_i].rel,
                  static_status_name(got), static_status_name(hostile[_i].status));
    ck_assert_int_eq(fd, -1);
    ck_assert_uint_eq(size, 0);
    ck_assert_ptr_null(mime);
}
END_TEST

static const struct {
    const char *rel, *content, *mime;
} servable[] = {
    {"index.html", "<h1>hi</h1>", "text/html; charset=utf-8"},
    {"app.css", "body{}", "text/css; charset=utf-8"},
    {"sub/deep.js", "let x = 1;", "text/javascript; charset=utf-8"},
    {"sub//deep.js", "let x = 1;", "text/javascript; charset=utf-8"},
    {"sub///deep.js", "let x = 1;", "text/javascript; charset=utf-8"},
    {"empty.txt", "", "text/plain; charset=utf-8"},
    {"noext", "plain bytes", "application/octet-stream"},
    {"UPPER.PNG", "png", "image/png"},
    {"with space.txt", "spaced", "text/plain; charset=utf-8"},
    {"with%20space.txt", "spaced", "text/plain; charset=utf-8"},
    {"%69ndex.html", "<h1>hi</h1>", "text/html; charset=utf-8"},
};

START_TEST(files_served)
{
    int fd = -1;
    size_t size = 999;
    const char *mime = NULL;
    enum static_status got = static_resolve(www_dir, servable[_i].rel, &fd, &size, &mime);
    ck_assert_msg(got == STATIC_OK, "'%s': got %s", servable[_i].rel, static_status_name(got));
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(size, strlen(servable[_i].content));
    ck_assert_str_eq(mime, servable[_i].mime);
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    ck_assert_int_eq(n, (ssize_t)strlen(servable[_i].content));
    ck_assert_str_eq(buf, servable[_i].content);
    int flags = fcntl(fd, F_GETFL);
    ck_assert_int_eq(flags & O_ACCMODE, O_RDONLY);
    ck_assert_int_eq(flags & O_NONBLOCK, 0);
    ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    close(fd);
}
END_TEST

START_TEST(bad_roots_and_lengths)
{
    int fd;
    size_t size;
    const char *mime;
    char *missing_root = xasprintf("%s/nope", tmp_dir);
    ck_assert_int_eq(static_resolve(missing_root, "index.html", &fd, &size, &mime),
                     STATIC_NOT_FOUND);
    free(missing_root);
    char *file_root = xasprintf("%s/outside.txt", tmp_dir);
    ck_assert_int_eq(static_resolve(file_root, "index.html", &fd, &size, &mime), STATIC_NOT_FOUND);
    free(file_root);
    ck_assert_int_eq(static_resolve(NULL, "index.html", &fd, &size, &mime), STATIC_NOT_FOUND);
    ck_assert_int_eq(static_resolve(www_dir, NULL, &fd, &size, &mime), STATIC_BAD_PATH);
    ck_assert_int_eq(fd, -1);

    /* a 256-byte segment, a 1025-byte path: bad; a 255-byte segment is merely missing */
    char segment[300];
    memset(segment, 'a', 256);
    segment[256] = '\0';
    ck_assert_int_eq(static_resolve(www_dir, segment, &fd, &size, &mime), STATIC_BAD_PATH);
    segment[255] = '\0';
    ck_assert_int_eq(static_resolve(www_dir, segment, &fd, &size, &mime), STATIC_NOT_FOUND);
    char path[1100];
    for (size_t i = 0; i < 1025; i++)
        path[i] = i % 2 ? '/' : 'a';
    path[1025] = '\0';
    ck_assert_int_eq(static_resolve(www_dir, path, &fd, &size, &mime), STATIC_BAD_PATH);
    path[1023] = 'a';
    path[1024] = '\0'; /* exactly 1024 bytes: allowed, and "a" does not exist */
    ck_assert_int_eq(static_resolve(www_dir, path, &fd, &size, &mime), STATIC_NOT_FOUND);
    ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(root_reached_through_symlink_is_allowed)
{
    /* STATIC_DIR itself may be a symlink (deployments); only links below it are refused. */
    int fd = -1;
    size_t size;
    const char *mime;
    char *link = xasprintf("%s/www-link", tmp_dir);
    ck_assert_int_eq(symlink(www_dir, link), 0);
    ck_assert_int_eq(static_resolve(link, "index.html", &fd, &size, &mime), STATIC_OK);
    ck_assert_int_ge(fd, 0);
    close(fd);
    free(link);
}
END_TEST

START_TEST(unreadable_file_forbidden)
{
    if (geteuid() == 0)
        return; /* root reads everything: permission checks cannot be observed */
    int fd;
    size_t size;
    const char *mime;
    char *path = xasprintf("%s/index.html", www_dir);
    ck_assert_int_eq(chmod(path, 0), 0);
    ck_assert_int_eq(static_resolve(www_dir, "index.html", &fd, &size, &mime), STATIC_FORBIDDEN);
    free(path);
}
END_TEST

START_TEST(mime_types)
{
    static const struct {
        const char *path, *mime;
    } cases[] = {
        {"a.html", "text/html; charset=utf-8"},
        {"A.HTML", "text/html; charset=utf-8"},
        {"a.htm", "text/html; charset=utf-8"},
        {"app.js", "text/javascript; charset=utf-8"},
        {"mod.mjs", "text/javascript; charset=utf-8"},
        {"css/app.css", "text/css; charset=utf-8"},
        {"d.json", "application/json"},
        {"app.js.map", "application/json"},
        {"i.svg", "image/svg+xml"},
        {"p.png", "image/png"},
        {"j.jpg", "image/jpeg"},
        {"j.JPEG", "image/jpeg"},
        {"favicon.ico", "image/x-icon"},
        {"robots.txt", "text/plain; charset=utf-8"},
        {"w.webp", "image/webp"},
        {"f.woff2", "font/woff2"},
        {"f.woff", "application/octet-stream"},
        {"noext", "application/octet-stream"},
        {"dir.css/noext", "application/octet-stream"},
        {".htaccess", "application/octet-stream"},
        {"sub/.css", "application/octet-stream"},
        {"trailing.", "application/octet-stream"},
        {"archive.tar.gz", "application/octet-stream"},
        {"x.html.exe", "application/octet-stream"},
        {"", "application/octet-stream"},
        {NULL, "application/octet-stream"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = static_mime_type(cases[i].path);
        ck_assert_msg(strcmp(got, cases[i].mime) == 0, "'%s': got '%s', want '%s'",
                      cases[i].path ? cases[i].path : "(null)", got, cases[i].mime);
    }
}
END_TEST

START_TEST(status_names)
{
    ck_assert_str_eq(static_status_name(STATIC_OK), "ok");
    ck_assert_str_eq(static_status_name(STATIC_NOT_FOUND), "not found");
    ck_assert_str_eq(static_status_name(STATIC_FORBIDDEN), "forbidden");
    ck_assert_str_eq(static_status_name(STATIC_BAD_PATH), "bad path");
    ck_assert_str_eq(static_status_name((enum static_status)42), "unknown");
}
END_TEST

static Suite *suite_static_path(void)
{
    Suite *s = suite_create("static_path");
    TCase *tc = tcase_create("static_path");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, hostile_paths_refused, 0, (int)(sizeof hostile / sizeof hostile[0]));
    tcase_add_loop_test(tc, files_served, 0, (int)(sizeof servable / sizeof servable[0]));
    tcase_add_test(tc, bad_roots_and_lengths);
    tcase_add_test(tc, root_reached_through_symlink_is_allowed);
    tcase_add_test(tc, unreadable_file_forbidden);
    tcase_add_test(tc, mime_types);
    tcase_add_test(tc, status_names);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_static_path)
