/* libFuzzer harness: the configuration table, fed NAME=value lines as an environment. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VARS 64

static char *names[MAX_VARS], *values[MAX_VARS];
static size_t var_count;

static const char *fuzz_getenv(const char *name)
{
    for (size_t i = 0; i < var_count; i++)
        if (strcmp(names[i], name) == 0)
            return values[i];
    return NULL;
}

/* Input: lines "NAME=value" (the last one for a name wins). The load either succeeds or
 * lists its problems, one per '\n'-terminated line; either way nothing leaks. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    var_count = 0;
    for (char *line = text, *next; line && var_count < MAX_VARS; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        names[var_count] = line;
        values[var_count] = eq + 1;
        var_count++;
    }
    /* later lines win: search from the end */
    for (size_t i = 0; i < var_count / 2; i++) {
        char *n = names[i], *v = values[i];
        names[i] = names[var_count - 1 - i];
        values[i] = values[var_count - 1 - i];
        names[var_count - 1 - i] = n;
        values[var_count - 1 - i] = v;
    }
    struct config cfg;
    char *errors = NULL;
    int problems = config_load(&cfg, fuzz_getenv, &errors);
    if (problems == 0) {
        if (errors || !cfg.database_url || !cfg.iamport_base_url)
            abort();
        config_release(&cfg);
    } else {
        size_t lines = 0;
        for (const char *c = errors; c && *c; c++)
            lines += *c == '\n';
        if (!errors || lines != (size_t)problems || errors[strlen(errors) - 1] != '\n')
            abort();
        free(errors);
    }
    config_release(&cfg);
    free(text);
    return 0;
}
