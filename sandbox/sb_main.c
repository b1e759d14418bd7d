/* iamport-sandbox entry point: options, loopback guard, port file, signals and clean shutdown. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/core/log.h"
#include "server/core/xalloc.h"
#include "sandbox/sb_http.h"
#include "sandbox/sb_state.h"
#include "sandbox/sb_webhook.h"

#define DEFAULT_KEY "imp_sandbox_key"
#define DEFAULT_SECRET "imp_sandbox_secret"
#define DEFAULT_TOKEN_TTL_S 1800
#define EXIT_USAGE 2

struct options {
    const char *listen;
    int port;
    const char *port_file;
    const char *imp_key;
    const char *imp_secret;
    const char *webhook_url;
    const char *webhook_format;
    int allow_non_loopback;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: iamport-sandbox [--listen 127.0.0.1] [--port 0] [--port-file PATH]\n"
                 "                       [--imp-key K] [--imp-secret S] [--webhook-url URL]\n"
                 "                       [--webhook-format json|form] [--allow-non-loopback]\n"
                 "A stand-in for api.iamport.kr on loopback; see sandbox/README.md.\n"
                 "Env: IAMPORT_SANDBOX_KEY, IAMPORT_SANDBOX_SECRET (overridden by the options).\n");
}

/* Parses argv into *o. Returns 0, 1 for --help, or -1 after printing what is wrong. */
static int parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strcmp(a, "--allow-non-loopback") == 0) {
            o->allow_non_loopback = 1;
            continue;
        }
        static const char *const with_value[] = {
            "--listen",     "--port",        "--port-file",      "--imp-key",
            "--imp-secret", "--webhook-url", "--webhook-format", NULL};
        size_t k = 0;
        while (with_value[k] && strcmp(with_value[k], a) != 0)
            k++;
        if (!with_value[k]) {
            fprintf(stderr, "iamport-sandbox: unknown option '%s'\n", a);
            return -1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "iamport-sandbox: option '%s' needs a value\n", a);
            return -1;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--listen") == 0) {
            o->listen = v;
        } else if (strcmp(a, "--port") == 0) {
            char *end = NULL;
            errno = 0;
            long port = strtol(v, &end, 10);
            if (errno || !*v || *end || port < 0 || port > 65535) {
                fprintf(stderr, "iamport-sandbox: invalid port '%s' (0-65535)\n", v);
                return -1;
            }
            o->port = (int)port;
        } else if (strcmp(a, "--port-file") == 0) {
            o->port_file = v;
        } else if (strcmp(a, "--imp-key") == 0) {
            o->imp_key = v;
        } else if (strcmp(a, "--imp-secret") == 0) {
            o->imp_secret = v;
        } else if (strcmp(a, "--webhook-url") == 0) {
            o->webhook_url = v;
        } else {
            if (strcmp(v, "json") != 0 && strcmp(v, "form") != 0) {
                fprintf(stderr, "iamport-sandbox: invalid webhook format '%s' (json or form)\n", v);
                return -1;
            }
            o->webhook_format = v;
        }
    }
    if (!*o->imp_key || !*o->imp_secret) {
        fprintf(stderr, "iamport-sandbox: imp key and secret must not be empty\n");
        return -1;
    }
    return 0;
}

/* 1 for 127.0.0.0/8 and ::1; "localhost" is rewritten to 127.0.0.1. */
static int is_loopback(const char **addr)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (strcmp(*addr, "localhost") == 0) {
        *addr = "127.0.0.1";
        return 1;
    }
    if (inet_pton(AF_INET, *addr, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, *addr, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6);
    return 0;
}

/* Writes "<port>\n" to path via a temporary file and rename(2). Returns 0 or -1. */
static int write_port_file(const char *path, int port)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int rc = -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "iamport-sandbox: cannot create '%s': %s\n", tmp, strerror(errno));
        goto out;
    }
    int wrote = fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || wrote < 0) {
        fprintf(stderr, "iamport-sandbox: cannot write '%s'\n", tmp);
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "iamport-sandbox: cannot rename '%s' to '%s': %s\n", tmp, path,
                strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    const char *env_key = getenv("IAMPORT_SANDBOX_KEY");
    const char *env_secret = getenv("IAMPORT_SANDBOX_SECRET");
    struct options o = {
        .listen = "127.0.0.1",
        .imp_key = env_key && *env_key ? env_key : DEFAULT_KEY,
        .imp_secret = env_secret && *env_secret ? env_secret : DEFAULT_SECRET,
    };
    struct sb_server *server = NULL;
    int exit_code = 1, port = 0, webhooks_started = 0;
    char err[256];
    sigset_t stop_signals;

    xalloc_init_cjson();

    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) {
        usage(parsed > 0 ? stdout : stderr);
        return parsed > 0 ? 0 : EXIT_USAGE;
    }
    if (!is_loopback(&o.listen) && !o.allow_non_loopback) {
        fprintf(stderr,
                "iamport-sandbox: refusing to listen on non-loopback address '%s' "
                "(pass --allow-non-loopback to override)\n",
                o.listen);
        return EXIT_USAGE;
    }

    /* Block the stop signals in every thread; main waits for them with sigwait. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_register_secret(o.imp_secret);

    struct sb_settings startup = {
        .imp_key = (char *)o.imp_key,
        .imp_secret = (char *)o.imp_secret,
        .webhook_url = (char *)o.webhook_url,
        .webhook_format = o.webhook_format && strcmp(o.webhook_format, "form") == 0
                              ? SB_WEBHOOK_FORM
                              : SB_WEBHOOK_JSON,
        .token_ttl_seconds = DEFAULT_TOKEN_TTL_S,
    };
    sb_state_init(&startup);
    if (sb_webhook_start() != 0)
        goto out;
    webhooks_started = 1;
    if (sb_server_start(o.listen, o.port, &server, &port, err, sizeof err) != 0) {
        fprintf(stderr, "iamport-sandbox: %s\n", err);
        goto out;
    }
    if (o.port_file && write_port_file(o.port_file, port) != 0)
        goto out;
    cJSON *fields = cJSON_CreateObject();
    cJSON_AddNumberToObject(fields, "port", port);
    cJSON_AddStringToObject(fields, "listen", o.listen);
    log_json(LOG_INFO, NULL, "listening", fields);

    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    log_msg(LOG_INFO, NULL, "stopping on signal %d", sig);
    exit_code = 0;
out:
    sb_server_stop(server);
    if (webhooks_started)
        sb_webhook_stop();
    sb_state_shutdown();
    curl_global_cleanup();
    log_shutdown();
    return exit_code;
}
