/* Build tool: embeds db/migrations/NNN_name.sql byte-exactly as db_migrations[] (db/migrate.h). */
/* usage: embed_migrations OUT.c FILE.sql...  Files are sorted by version here; a name that is
 * not NNN_name.sql, version 0, a repeated version, a NUL byte or no file at all fails the build.
 * OUT.c is written through OUT.c.tmp and renamed, so a failed run leaves no half file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct migration_file {
    const char *path; /* argv's string, not owned */
    const char *name; /* points into path: after "NNN_", up to ".sql" (length name_len) */
    size_t name_len;
    long version;
};

/* Parses the base name of f->path as NNN_name.sql (name of [A-Za-z0-9_]). 0 when valid. */
static int parse_name(struct migration_file *f)
{
    const char *base = strrchr(f->path, '/');
    const char *p, *dot;

    base = base ? base + 1 : f->path;
    f->version = 0;
    for (p = base; *p >= '0' && *p <= '9'; p++) {
        if (f->version > 100000000)
            return -1;
        f->version = f->version * 10 + (*p - '0');
    }
    if (p == base || *p != '_')
        return -1;
    f->name = ++p;
    dot = strrchr(p, '.');
    if (!dot || dot == p || strcmp(dot, ".sql") != 0)
        return -1;
    for (; p < dot; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return -1;
    f->name_len = (size_t)(dot - f->name);
    return 0;
}

static int by_version(const void *a, const void *b)
{
    const struct migration_file *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* Writes one file's bytes as C string pieces, one per line: printable ASCII as is, the rest
 * (and " \ ? ; so no trigraph or stray statement end can appear) as three-digit octal. */
static int embed(FILE *out, const struct migration_file *f)
{
    FILE *in = fopen(f->path, "rb");
    int c, rc = -1;

    if (!in) {
        fprintf(stderr, "embed_migrations: cannot open '%s': %s\n", f->path, strerror(errno));
        return -1;
    }
    fprintf(out, "    {%ld, \"%.*s\",\n     \"", f->version, (int)f->name_len, f->name);
    while ((c = getc(in)) != EOF) {
        if (c == 0) {
            fprintf(stderr, "embed_migrations: migration '%s' contains a NUL byte\n", f->path);
            goto out;
        } else if (c == '\n') {
            fputs("\\n\"\n     \"", out);
        } else if (c < 32 || c > 126 || c == '"' || c == '\\' || c == '?' || c == ';') {
            fprintf(out, "\\%03o", (unsigned)c);
        } else {
            putc(c, out);
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "embed_migrations: cannot read '%s'\n", f->path);
        goto out;
    }
    fputs("\"},\n", out);
    rc = 0;
out:
    fclose(in);
    return rc;
}

int main(int argc, char **argv)
{
    struct migration_file *files = NULL;
    size_t n = argc > 2 ? (size_t)argc - 2 : 0;
    char *tmp = NULL;
    FILE *out = NULL;
    int rc = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: embed_migrations OUT.c FILE.sql...\n");
        return 2;
    }
    if (n == 0) {
        fprintf(stderr, "embed_migrations: no migrations given\n");
        return 1;
    }
    files = calloc(n, sizeof *files);
    tmp = malloc(strlen(argv[1]) + sizeof ".tmp");
    if (!files || !tmp)
        goto out;
    sprintf(tmp, "%s.tmp", argv[1]);
    for (size_t i = 0; i < n; i++) {
        files[i].path = argv[i + 2];
        if (parse_name(&files[i]) != 0) {
            fprintf(stderr, "embed_migrations: migration '%s': the name is not NNN_name.sql\n",
                    files[i].path);
            goto out;
        }
    }
    qsort(files, n, sizeof *files, by_version);
    for (size_t i = 0; i < n; i++)
        if (files[i].version == 0 || (i > 0 && files[i].version == files[i - 1].version)) {
            fprintf(stderr, "embed_migrations: migration '%s': version %ld is 0 or used twice\n",
                    files[i].path, files[i].version);
            goto out;
        }

    out = fopen(tmp, "w");
    if (!out) {
        fprintf(stderr, "embed_migrations: cannot write '%s': %s\n", tmp, strerror(errno));
        goto out;
    }
    fputs("/* Generated from db/migrations/ by tools/embed_migrations.c: do not edit. */\n"
          "#include \"db/migrate.h\"\n\nconst struct db_migration db_migrations[] = {\n",
          out);
    for (size_t i = 0; i < n; i++)
        if (embed(out, &files[i]) != 0)
            goto out;
    fputs("};\n\nconst size_t db_migration_count = "
          "sizeof db_migrations / sizeof db_migrations[0];\n",
          out);
    if (fclose(out) != 0) {
        out = NULL;
        fprintf(stderr, "embed_migrations: cannot write '%s'\n", tmp);
        goto out;
    }
    out = NULL;
    if (rename(tmp, argv[1]) != 0) {
        fprintf(stderr, "embed_migrations: cannot rename '%s': %s\n", tmp, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (out)
        fclose(out);
    if (rc != 0 && tmp)
        remove(tmp);
    free(tmp);
    free(files);
    return rc;
}
