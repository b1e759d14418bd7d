/* libFuzzer harness: static file resolution under a small tree with a hidden file and a symlink. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/http/static_path.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void put(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

/* Removes the tree at exit, so runs leave nothing in /tmp. */
static void remove_tree(void)
{
    static const char *const parts[] = {"link", ".secret", "sub/page.html", "app.js", "sub"};
    char path[256];
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, parts[i]);
        remove(path);
    }
    rmdir(root);
}

/* root/{app.js, sub/page.html, .secret, link -> app.js}. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(root, sizeof root, "/tmp/billkey-fuzz-static.XXXXXX");
    if (!mkdtemp(root))
        abort();
    atexit(remove_tree);
    char sub[96];
    snprintf(sub, sizeof sub, "%s/sub", root);
    mkdir(sub, 0700);
    put("app.js", "app");
    put("sub/page.html", "page");
    put(".secret", "secret");
    char link[96];
    snprintf(link, sizeof link, "%s/link", root);
    if (symlink("app.js", link) != 0)
        abort();
    return 0;
}

/* Whatever the path, nothing outside root is opened, hidden files and symlinks never are, and
 * a refusal leaves fd -1, size 0 and no MIME type. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *rel = malloc(size + 1);
    memcpy(rel, data, size);
    rel[size] = '\0';
    int fd = -1;
    size_t fsize = 0;
    const char *mime = NULL;
    enum static_status st = static_resolve(root, rel, &fd, &fsize, &mime);
    if (st == STATIC_OK) {
        char got[16] = "";
        ssize_t n = read(fd, got, sizeof got - 1);
        if (n <= 0 || !mime || (strcmp(got, "app") != 0 && strcmp(got, "page") != 0))
            abort();
        close(fd);
    } else if (fd != -1 || fsize != 0 || mime) {
        abort();
    }
    if (!static_mime_type(rel) || !static_status_name(st))
        abort();
    free(rel);
    return 0;
}
