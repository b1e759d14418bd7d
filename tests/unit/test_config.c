/* Config tests: defaults, every type's bad values, all problems at once, secrets, README table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"
#include "tests/lib/testlib.h"

/* ---- a fake environment, reset before every test ---- */

#define FAKE_ENV_MAX 32

static struct {
    const char *name;
    const char *value;
} fake_env[FAKE_ENV_MAX];
static size_t fake_env_count;

static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < fake_env_count; i++) {
        if (strcmp(fake_env[i].name, name) == 0)
            return fake_env[i].value;
    }
    return NULL;
}

/* Sets (or replaces) a variable; the strings are borrowed and must outlive the load. */
static void env_set(const char *name, const char *value)
{
    for (size_t i = 0; i < fake_env_count; i++) {
        if (strcmp(fake_env[i].name, name) == 0) {
            fake_env[i].value = value;
            return;
        }
    }
    ck_assert_uint_lt(fake_env_count, FAKE_ENV_MAX);
    fake_env[fake_env_count].name = name;
    fake_env[fake_env_count].value = value;
    fake_env_count++;
}

static void env_set_required(void)
{
    env_set("DATABASE_URL", "postgresql://billkey@localhost/billkey");
    env_set("IAMPORT_API_KEY", "imp_key_1234");
    env_set("IAMPORT_API_SECRET", "imp_secret_abcdefgh");
}

static void setup(void)
{
    fake_env_count = 0;
}

/* Loads with the required variables plus name=value and expects exactly `want_errors`. */
static void expect_errors(const char *name, const char *value, const char *want_errors)
{
    struct config cfg;
    char *errors = NULL;
    fake_env_count = 0;
    env_set_required();
    env_set(name, value);
    int n = config_load(&cfg, fake_getenv, &errors);
    ck_assert_msg(errors != NULL, "%s='%s' was accepted", name, value);
    ck_assert_msg(strcmp(errors, want_errors) == 0, "%s='%s': got '%s', want '%s'", name, value,
                  errors, want_errors);
    int lines = 0;
    for (const char *c = errors; *c; c++)
        lines += *c == '\n';
    ck_assert_int_eq(n, lines);
    ck_assert_ptr_null(cfg.listen_addr); /* released on error */
    ck_assert_ptr_null(cfg.database_url);
    free(errors);
}

/* Loads with the required variables plus name=value, expects success; caller releases. */
static void expect_ok(const char *name, const char *value, struct config *cfg)
{
    char *errors = NULL;
    fake_env_count = 0;
    env_set_required();
    env_set(name, value);
    int n = config_load(cfg, fake_getenv, &errors);
    ck_assert_msg(n == 0, "%s='%s' was refused: %s", name, value, errors ? errors : "");
    ck_assert_ptr_null(errors);
}

START_TEST(defaults_apply)
{
    struct config cfg;
    char *errors = (char *)"not touched";
    env_set_required();
    ck_assert_int_eq(config_load(&cfg, fake_getenv, &errors), 0);
    ck_assert_ptr_null(errors);
    ck_assert_int_eq(cfg.port, 8080);
    ck_assert_str_eq(cfg.listen_addr, "0.0.0.0");
    ck_assert_str_eq(cfg.database_url, "postgresql://billkey@localhost/billkey");
    ck_assert_str_eq(cfg.iamport_base_url, "https://api.iamport.kr");
    ck_assert_str_eq(cfg.iamport_api_key, "imp_key_1234");
    ck_assert_str_eq(cfg.iamport_api_secret, "imp_secret_abcdefgh");
    ck_assert_ptr_null(cfg.api_keys);
    ck_assert_uint_eq(cfg.api_key_count, 0);
    ck_assert_str_eq(cfg.public_base_url, "http://localhost:8080");
    ck_assert_int_eq(cfg.log_level, LOG_INFO);
    ck_assert_uint_eq(cfg.max_body_bytes, 65536);
    ck_assert_int_eq(cfg.http_timeout_seconds, 30);
    ck_assert_int_eq(cfg.shutdown_timeout_seconds, 10);
    ck_assert_int_eq(cfg.http_max_connections, 256);
    ck_assert_str_eq(cfg.imp_code, "");
    ck_assert_str_eq(cfg.iamport_sdk_url, "https://cdn.iamport.kr/v1/iamport.js");
    ck_assert_int_eq(cfg.sandbox_mode, 0);
    ck_assert_str_eq(cfg.pg_kakaopay_cid, "");
    ck_assert_str_eq(cfg.naverpay_product_code, "billkey");
    ck_assert_int_eq(cfg.db_pool_size, 8);
    ck_assert_int_eq(cfg.db_acquire_timeout_ms, 2000);
    ck_assert_str_eq(cfg.static_dir, "static");
    ck_assert_int_eq(cfg.iamport_connect_timeout_ms, 3000);
    ck_assert_int_eq(cfg.iamport_timeout_ms, 15000);
    ck_assert_int_eq(cfg.charge_amount_max, 100000000);
    ck_assert_str_eq(cfg.iamport_api_key, "imp_key_1234");
    config_release(&cfg);
    ck_assert_ptr_null(cfg.listen_addr);
    ck_assert_int_eq(cfg.port, 0);
    config_release(&cfg); /* twice is safe */
}
END_TEST

START_TEST(every_variable_is_read)
{
    struct config cfg;
    char *errors = NULL;
    env_set_required();
    env_set("PORT", "0");
    env_set("LISTEN_ADDR", "::1");
    env_set("IAMPORT_BASE_URL", "http://127.0.0.1:4567/");
    env_set("BILLKEY_API_KEYS", "shop:abcdefghijklmnop");
    env_set("PUBLIC_BASE_URL", "https://pay.example.kr/billkey/");
    env_set("LOG_LEVEL", "debug");
    env_set("MAX_BODY_BYTES", "1m");
    env_set("HTTP_TIMEOUT_SECONDS", "3600");
    env_set("SHUTDOWN_TIMEOUT_SECONDS", "0");
    env_set("HTTP_MAX_CONNECTIONS", "1");
    env_set("DB_POOL_SIZE", "256");
    env_set("DB_ACQUIRE_TIMEOUT_MS", "60000");
    env_set("STATIC_DIR", "/srv/billkey/static");
    env_set("IAMPORT_CONNECT_TIMEOUT_MS", "100");
    env_set("IAMPORT_TIMEOUT_MS", "120000");
    env_set("CHARGE_AMOUNT_MAX", "2000000000");
    env_set("NAVERPAY_USE_CFM", "1");
    ck_assert_int_eq(config_load(&cfg, fake_getenv, &errors), 0);
    ck_assert_ptr_null(errors);
    ck_assert_int_eq(cfg.port, 0);
    ck_assert_str_eq(cfg.listen_addr, "::1");
    ck_assert_str_eq(cfg.iamport_base_url, "http://127.0.0.1:4567");
    ck_assert_uint_eq(cfg.api_key_count, 1);
    ck_assert_str_eq(cfg.api_keys[0].name, "shop");
    ck_assert_str_eq(cfg.api_keys[0].key, "abcdefghijklmnop");
    ck_assert_str_eq(cfg.public_base_url, "https://pay.example.kr/billkey");
    ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
    ck_assert_uint_eq(cfg.max_body_bytes, 1048576);
    ck_assert_int_eq(cfg.http_timeout_seconds, 3600);
    ck_assert_int_eq(cfg.shutdown_timeout_seconds, 0);
    ck_assert_int_eq(cfg.http_max_connections, 1);
    ck_assert_int_eq(cfg.db_pool_size, 256);
    ck_assert_int_eq(cfg.db_acquire_timeout_ms, 60000);
    ck_assert_str_eq(cfg.static_dir, "/srv/billkey/static");
    ck_assert_int_eq(cfg.iamport_connect_timeout_ms, 100);
    ck_assert_int_eq(cfg.iamport_timeout_ms, 120000);
    ck_assert_int_eq(cfg.charge_amount_max, 2000000000);
    ck_assert_int_eq(cfg.naverpay_use_cfm, 1);
    config_release(&cfg);
}
END_TEST

START_TEST(required_variables_missing)
{
    struct config cfg;
    char *errors = NULL;
    ck_assert_int_eq(config_load(&cfg, fake_getenv, &errors), 3);
    ck_assert_str_eq(errors, "DATABASE_URL: required but not set\n"
                             "IAMPORT_API_KEY: required but not set\n"
                             "IAMPORT_API_SECRET: required but not set\n");
    free(errors);
    /* errors may be NULL when only the count matters */
    ck_assert_int_eq(config_load(&cfg, fake_getenv, NULL), 3);
    ck_assert_ptr_null(cfg.static_dir);
}
END_TEST

START_TEST(empty_values_count_as_unset)
{
    struct config cfg;
    char *errors = NULL;
    expect_ok("PORT", "", &cfg);
    ck_assert_int_eq(cfg.port, 8080);
    config_release(&cfg);
    expect_ok("STATIC_DIR", "", &cfg);
    ck_assert_str_eq(cfg.static_dir, "static");
    config_release(&cfg);
    env_set("IAMPORT_API_KEY", "");
    ck_assert_int_eq(config_load(&cfg, fake_getenv, &errors), 1);
    ck_assert_str_eq(errors, "IAMPORT_API_KEY: required but not set\n");
    free(errors);
}
END_TEST

static const struct bad_case {
    const char *name, *value, *errors;
} bad_ints[] = {
    {"PORT", "80x", "PORT: '80x' is not an integer\n"},
    {"PORT", "x80", "PORT: 'x80' is not an integer\n"},
    {"PORT", " 80", "PORT: ' 80' is not an integer\n"},
    {"PORT", "80 ", "PORT: '80 ' is not an integer\n"},
    {"PORT", "+80", "PORT: '+80' is not an integer\n"},
    {"PORT", "-", "PORT: '-' is not an integer\n"},
    {"PORT", "0x50", "PORT: '0x50' is not an integer\n"},
    {"PORT", "1e3", "PORT: '1e3' is not an integer\n"},
    {"PORT", "80.0", "PORT: '80.0' is not an integer\n"},
    {"PORT", "8\n0", "PORT: '8\\x0a0' is not an integer\n"},
    {"PORT", "70000", "PORT: 70000 is out of range 0..65535\n"},
    {"PORT", "65536", "PORT: 65536 is out of range 0..65535\n"},
    {"PORT", "-1", "PORT: -1 is out of range 0..65535\n"},
    {"PORT", "4294967376", "PORT: 4294967376 is out of range 0..65535\n"}, /* 2^32+80 */
    {"PORT", "99999999999999999999", "PORT: '99999999999999999999' is out of range 0..65535\n"},
    {"PORT", "-99999999999999999999", "PORT: '-99999999999999999999' is out of range 0..65535\n"},
    {"HTTP_MAX_CONNECTIONS", "0", "HTTP_MAX_CONNECTIONS: 0 is out of range 1..10000\n"},
    {"HTTP_MAX_CONNECTIONS", "10001", "HTTP_MAX_CONNECTIONS: 10001 is out of range 1..10000\n"},
    {"HTTP_TIMEOUT_SECONDS", "0", "HTTP_TIMEOUT_SECONDS: 0 is out of range 1..3600\n"},
    {"SHUTDOWN_TIMEOUT_SECONDS", "601", "SHUTDOWN_TIMEOUT_SECONDS: 601 is out of range 0..600\n"},
    {"DB_POOL_SIZE", "0", "DB_POOL_SIZE: 0 is out of range 1..256\n"},
    {"DB_ACQUIRE_TIMEOUT_MS", "60001", "DB_ACQUIRE_TIMEOUT_MS: 60001 is out of range 1..60000\n"},
    {"IAMPORT_CONNECT_TIMEOUT_MS", "99",
     "IAMPORT_CONNECT_TIMEOUT_MS: 99 is out of range 100..60000\n"},
    {"IAMPORT_TIMEOUT_MS", "120001", "IAMPORT_TIMEOUT_MS: 120001 is out of range 100..120000\n"},
    {"CHARGE_AMOUNT_MAX", "99", "CHARGE_AMOUNT_MAX: 99 is out of range 100..2000000000\n"},
};

START_TEST(bad_integers)
{
    const struct bad_case *c = &bad_ints[_i];
    expect_errors(c->name, c->value, c->errors);
}
END_TEST

START_TEST(integer_bounds_and_leading_zeros)
{
    struct config cfg;
    expect_ok("PORT", "65535", &cfg);
    ck_assert_int_eq(cfg.port, 65535);
    config_release(&cfg);
    expect_ok("PORT", "00080", &cfg);
    ck_assert_int_eq(cfg.port, 80);
    config_release(&cfg);
    expect_ok("PORT", "-0", &cfg);
    ck_assert_int_eq(cfg.port, 0);
    config_release(&cfg);
}
END_TEST

START_TEST(long_bad_value_is_cut_in_errors)
{
    char value[201];
    memset(value, '9', 200);
    value[200] = '\0';
    char want[200];
    snprintf(want, sizeof want, "PORT: '%.64s'... is out of range 0..65535\n", value);
    expect_errors("PORT", value, want);
}
END_TEST

static const struct bad_case bad_sizes[] = {
    {"MAX_BODY_BYTES", "64q",
     "MAX_BODY_BYTES: '64q' is not a size (bytes with an optional k or m suffix)\n"},
    {"MAX_BODY_BYTES", "64kb",
     "MAX_BODY_BYTES: '64kb' is not a size (bytes with an optional k or m suffix)\n"},
    {"MAX_BODY_BYTES", "64 k",
     "MAX_BODY_BYTES: '64 k' is not a size (bytes with an optional k or m suffix)\n"},
    {"MAX_BODY_BYTES", "k",
     "MAX_BODY_BYTES: 'k' is not a size (bytes with an optional k or m suffix)\n"},
    {"MAX_BODY_BYTES", "1.5k",
     "MAX_BODY_BYTES: '1.5k' is not a size (bytes with an optional k or m suffix)\n"},
    {"MAX_BODY_BYTES", "-1k",
     "MAX_BODY_BYTES: '-1k' is not a size (bytes with an optional k or m suffix)\n"},
    {"MAX_BODY_BYTES", "1g",
     "MAX_BODY_BYTES: '1g' is not a size (bytes with an optional k or m suffix)\n"},
    {"MAX_BODY_BYTES", "1023", "MAX_BODY_BYTES: '1023' is out of range 1k..16m\n"},
    {"MAX_BODY_BYTES", "0k", "MAX_BODY_BYTES: '0k' is out of range 1k..16m\n"},
    {"MAX_BODY_BYTES", "17m", "MAX_BODY_BYTES: '17m' is out of range 1k..16m\n"},
    {"MAX_BODY_BYTES", "16385k", "MAX_BODY_BYTES: '16385k' is out of range 1k..16m\n"},
    {"MAX_BODY_BYTES", "99999999999999999999k",
     "MAX_BODY_BYTES: '99999999999999999999k' is out of range 1k..16m\n"},
    {"MAX_BODY_BYTES", "9007199254740993m", /* n * 1m overflows int64 */
     "MAX_BODY_BYTES: '9007199254740993m' is out of range 1k..16m\n"},
};

START_TEST(bad_sizes_refused)
{
    const struct bad_case *c = &bad_sizes[_i];
    expect_errors(c->name, c->value, c->errors);
}
END_TEST

START_TEST(sizes_with_suffixes)
{
    static const struct {
        const char *value;
        size_t bytes;
    } cases[] = {
        {"1k", 1024},      {"1024", 1024},    {"64K", 65536},       {"2000", 2000},
        {"16m", 16777216}, {"16M", 16777216}, {"16384k", 16777216}, {"0001k", 1024},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config cfg;
        expect_ok("MAX_BODY_BYTES", cases[i].value, &cfg);
        ck_assert_msg(cfg.max_body_bytes == cases[i].bytes, "'%s' gave %zu, want %zu",
                      cases[i].value, cfg.max_body_bytes, cases[i].bytes);
        config_release(&cfg);
    }
}
END_TEST

static const struct bad_case bad_strings[] = {
    {"IAMPORT_BASE_URL", "ftp://api.iamport.kr",
     "IAMPORT_BASE_URL: 'ftp://api.iamport.kr' is not an http:// or https:// URL\n"},
    {"IAMPORT_BASE_URL", "api.iamport.kr",
     "IAMPORT_BASE_URL: 'api.iamport.kr' is not an http:// or https:// URL\n"},
    {"IAMPORT_BASE_URL", "javascript:alert(1)",
     "IAMPORT_BASE_URL: 'javascript:alert(1)' is not an http:// or https:// URL\n"},
    {"IAMPORT_BASE_URL", "http:/x",
     "IAMPORT_BASE_URL: 'http:/x' is not an http:// or https:// URL\n"},
    {"IAMPORT_BASE_URL", "http://", "IAMPORT_BASE_URL: 'http://' has no host\n"},
    {"IAMPORT_BASE_URL", "https:///v1", "IAMPORT_BASE_URL: 'https:///v1' has no host\n"},
    {"IAMPORT_BASE_URL", "http://a b",
     "IAMPORT_BASE_URL: 'http://a b' contains a space or control character\n"},
    {"PUBLIC_BASE_URL", "http://x\r\nSet-Cookie:a",
     "PUBLIC_BASE_URL: 'http://x\\x0d\\x0aSet-Cookie:a' contains a space or control character\n"},
    {"PUBLIC_BASE_URL", "http://x/?a=1",
     "PUBLIC_BASE_URL: 'http://x/?a=1' must not have a query or fragment\n"},
    {"PUBLIC_BASE_URL", "http://x#top",
     "PUBLIC_BASE_URL: 'http://x#top' must not have a query or fragment\n"},
    {"LISTEN_ADDR", "localhost", "LISTEN_ADDR: 'localhost' is not an IPv4 or IPv6 address\n"},
    {"WEBHOOK_ALLOWED_CIDRS", "52.78.100.19/33",
     "WEBHOOK_ALLOWED_CIDRS: '52.78.100.19/33' is not an IPv4 or IPv6 address or CIDR\n"},
    {"WEBHOOK_ALLOWED_CIDRS", "10.0.0.0/8,iamport.kr",
     "WEBHOOK_ALLOWED_CIDRS: 'iamport.kr' is not an IPv4 or IPv6 address or CIDR\n"},
    {"WEBHOOK_ALLOWED_CIDRS", "::1/129",
     "WEBHOOK_ALLOWED_CIDRS: '::1/129' is not an IPv4 or IPv6 address or CIDR\n"},
    {"LISTEN_ADDR", "256.0.0.1", "LISTEN_ADDR: '256.0.0.1' is not an IPv4 or IPv6 address\n"},
    {"LISTEN_ADDR", "1.2.3", "LISTEN_ADDR: '1.2.3' is not an IPv4 or IPv6 address\n"},
    {"LISTEN_ADDR", "127.0.0.1 ", "LISTEN_ADDR: '127.0.0.1 ' is not an IPv4 or IPv6 address\n"},
    {"LISTEN_ADDR", "::1::", "LISTEN_ADDR: '::1::' is not an IPv4 or IPv6 address\n"},
    {"LISTEN_ADDR", "[::1]", "LISTEN_ADDR: '[::1]' is not an IPv4 or IPv6 address\n"},
    {"LISTEN_ADDR", "fe80::1%eth0", "LISTEN_ADDR: 'fe80::1%eth0' is not an IPv4 or IPv6 address\n"},
    {"LOG_LEVEL", "verbose", "LOG_LEVEL: 'verbose' is not one of debug, info, warn, error\n"},
    {"LOG_LEVEL", "INFO", "LOG_LEVEL: 'INFO' is not one of debug, info, warn, error\n"},
    {"LOG_LEVEL", "info ", "LOG_LEVEL: 'info ' is not one of debug, info, warn, error\n"},
    {"LOG_LEVEL", "warning", "LOG_LEVEL: 'warning' is not one of debug, info, warn, error\n"},
    {"STATIC_DIR", "static\tdir", "STATIC_DIR: 'static\\x09dir' contains a control character\n"},
    {"STATIC_DIR", "st\x7f", "STATIC_DIR: 'st\\x7f' contains a control character\n"},
};

START_TEST(bad_urls_addresses_levels_strings)
{
    const struct bad_case *c = &bad_strings[_i];
    expect_errors(c->name, c->value, c->errors);
}
END_TEST

START_TEST(urls_lose_trailing_slashes)
{
    static const struct {
        const char *value, *stored;
    } cases[] = {
        {"http://127.0.0.1:9999/", "http://127.0.0.1:9999"},
        {"https://api.iamport.kr///", "https://api.iamport.kr"},
        {"http://sandbox/base/", "http://sandbox/base"},
        {"HTTPS://API.IAMPORT.KR", "HTTPS://API.IAMPORT.KR"},
        {"http://[::1]:8080", "http://[::1]:8080"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config cfg;
        expect_ok("IAMPORT_BASE_URL", cases[i].value, &cfg);
        ck_assert_str_eq(cfg.iamport_base_url, cases[i].stored);
        config_release(&cfg);
    }
}
END_TEST

START_TEST(addresses_and_levels_accepted)
{
    static const char *const addresses[] = {"127.0.0.1", "::", "::1", "2001:db8::1",
                                            "::ffff:10.0.0.1"};
    for (size_t i = 0; i < sizeof addresses / sizeof addresses[0]; i++) {
        struct config cfg;
        expect_ok("LISTEN_ADDR", addresses[i], &cfg);
        ck_assert_str_eq(cfg.listen_addr, addresses[i]);
        config_release(&cfg);
    }
    static const char *const cidrs[] = {"52.78.100.19/32,52.78.48.223/32", "10.0.0.0/8 ::1",
                                        "2001:db8::/32", "127.0.0.1"};
    for (size_t i = 0; i < sizeof cidrs / sizeof cidrs[0]; i++) {
        struct config cfg;
        expect_ok("WEBHOOK_ALLOWED_CIDRS", cidrs[i], &cfg);
        ck_assert_str_eq(cfg.webhook_allowed_cidrs, cidrs[i]);
        config_release(&cfg);
    }
    static const struct {
        const char *name;
        enum log_level level;
    } levels[] = {
        {"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        struct config cfg;
        expect_ok("LOG_LEVEL", levels[i].name, &cfg);
        ck_assert_int_eq(cfg.log_level, levels[i].level);
        config_release(&cfg);
    }
}
END_TEST

START_TEST(all_problems_reported_at_once)
{
    struct config cfg;
    char *errors = NULL;
    env_set("IAMPORT_API_SECRET", "imp_secret_abcdefgh");
    env_set("PORT", "http");
    env_set("LISTEN_ADDR", "any");
    env_set("IAMPORT_BASE_URL", "api.iamport.kr");
    env_set("LOG_LEVEL", "loud");
    env_set("MAX_BODY_BYTES", "1t");
    env_set("HTTP_MAX_CONNECTIONS", "0");
    env_set("BILLKEY_API_KEYS", "shop,x:short");
    int n = config_load(&cfg, fake_getenv, &errors);
    ck_assert_int_eq(n, 10);
    ck_assert_str_eq(errors,
                     "PORT: 'http' is not an integer\n"
                     "LISTEN_ADDR: 'any' is not an IPv4 or IPv6 address\n"
                     "DATABASE_URL: required but not set\n"
                     "IAMPORT_BASE_URL: 'api.iamport.kr' is not an http:// or https:// URL\n"
                     "IAMPORT_API_KEY: required but not set\n"
                     "BILLKEY_API_KEYS: entry 1 has no ':' separating name and key\n"
                     "BILLKEY_API_KEYS: entry 2 has a key shorter than 16 characters\n"
                     "LOG_LEVEL: 'loud' is not one of debug, info, warn, error\n"
                     "MAX_BODY_BYTES: '1t' is not a size (bytes with an optional k or m suffix)\n"
                     "HTTP_MAX_CONNECTIONS: 0 is out of range 1..10000\n");
    ck_assert_ptr_null(cfg.listen_addr);
    ck_assert_ptr_null(cfg.iamport_api_secret);
    ck_assert_ptr_null(cfg.api_keys);
    free(errors);
}
END_TEST

#define SECRET_MARK "Zq9SecretMark"

/* Loads the required variables with SANDBOX_MODE=1 and IAMPORT_BASE_URL=url; returns the
 * number of problems (0: *cfg filled, caller releases) and *errors (caller frees). */
static int load_sandbox_mode(const char *url, struct config *cfg, char **errors)
{
    fake_env_count = 0;
    env_set_required();
    env_set("SANDBOX_MODE", "1");
    env_set("IAMPORT_BASE_URL", url);
    *errors = NULL;
    return config_load(cfg, fake_getenv, errors);
}

/* Issue #12: SANDBOX_MODE=1 opens key-less checkout creation, so it is refused with any
 * iamport but the sandbox on a loopback address. */
START_TEST(sandbox_mode_needs_a_loopback_iamport)
{
    static const char *const refused[] = {
        "https://api.iamport.kr",          "http://10.0.0.5:8080",
        "http://127.0.0.1.evil.example",   "http://localhost.evil.example",
        "http://127.0.0.1@api.iamport.kr", "http://[::ffff:127.0.0.1]:9",
        "http://[2001:db8::1]:9",          "http://128.0.0.1",
    };
    struct config cfg;
    char *errors;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        ck_assert_int_eq(load_sandbox_mode(refused[i], &cfg, &errors), 1);
        ck_assert_msg(strncmp(errors, "SANDBOX_MODE: 1 needs IAMPORT_BASE_URL on a loopback", 52) ==
                          0,
                      "%s: %s", refused[i], errors);
        free(errors);
    }
    /* the default URL too */
    expect_errors("SANDBOX_MODE", "1",
                  "SANDBOX_MODE: 1 needs IAMPORT_BASE_URL on a loopback address (the iamport "
                  "sandbox), not 'https://api.iamport.kr': the demo route would create checkouts "
                  "without a merchant key on a real iamport account\n");

    static const char *const accepted[] = {
        "http://127.0.0.1:4010", "http://127.8.9.10", "http://localhost:9/",
        "http://LOCALHOST",      "http://[::1]:4010", "http://user@127.0.0.1:1/base",
    };
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        ck_assert_msg(load_sandbox_mode(accepted[i], &cfg, &errors) == 0, "%s: %s", accepted[i],
                      errors ? errors : "");
        ck_assert_int_eq(cfg.sandbox_mode, 1);
        config_release(&cfg);
    }
    /* SANDBOX_MODE=0 takes any iamport */
    expect_ok("SANDBOX_MODE", "0", &cfg);
    config_release(&cfg);
}
END_TEST

START_TEST(secrets_never_echoed)
{
    static const struct bad_case cases[] = {
        {"DATABASE_URL", "postgres://u:" SECRET_MARK "\n@h/db",
         "DATABASE_URL: the value contains a control character\n"},
        {"IAMPORT_API_KEY", SECRET_MARK "\x01",
         "IAMPORT_API_KEY: the value contains a control "
         "character\n"},
        {"IAMPORT_API_SECRET", "\t" SECRET_MARK,
         "IAMPORT_API_SECRET: the value contains a control character\n"},
        {"BILLKEY_API_KEYS", SECRET_MARK "abcdefghijkl",
         "BILLKEY_API_KEYS: entry 1 has no ':' separating name and key\n"},
        {"BILLKEY_API_KEYS", SECRET_MARK "!:abcdefghijklmnop",
         "BILLKEY_API_KEYS: entry 1 has an invalid name (want 1-32 of A-Z a-z 0-9 _ . -)\n"},
        {"BILLKEY_API_KEYS", "shop:" SECRET_MARK " xyzxyz",
         "BILLKEY_API_KEYS: entry 1 has a key with a space, ':', ',' or non-printable "
         "character\n"},
        {"BILLKEY_API_KEYS", "shop:" SECRET_MARK "1234,shop:" SECRET_MARK "1234",
         "BILLKEY_API_KEYS: entry 2 repeats the name of entry 1\n"
         "BILLKEY_API_KEYS: entry 2 repeats the key of entry 1\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config cfg;
        char *errors = NULL;
        fake_env_count = 0;
        env_set_required();
        env_set(cases[i].name, cases[i].value);
        int n = config_load(&cfg, fake_getenv, &errors);
        ck_assert_msg(n != 0, "case %zu (%s) was accepted", i, cases[i].name);
        ck_assert_ptr_nonnull(errors);
        ck_assert_msg(strstr(errors, SECRET_MARK) == NULL, "case %zu echoed the secret: %s", i,
                      errors);
        ck_assert_str_eq(errors, cases[i].errors);
        free(errors);
    }
}
END_TEST

START_TEST(api_keys_parsed)
{
    struct config cfg;
    expect_ok("BILLKEY_API_KEYS", "shop:abcdefghijklmnop,admin.ops-2:ABCDEFGHIJKLMNOP0123!~", &cfg);
    ck_assert_uint_eq(cfg.api_key_count, 2);
    ck_assert_str_eq(cfg.api_keys[0].name, "shop");
    ck_assert_str_eq(cfg.api_keys[0].key, "abcdefghijklmnop");
    ck_assert_str_eq(cfg.api_keys[1].name, "admin.ops-2");
    ck_assert_str_eq(cfg.api_keys[1].key, "ABCDEFGHIJKLMNOP0123!~");
    config_release(&cfg);

    /* blanks around entries, names and keys are trimmed */
    expect_ok("BILLKEY_API_KEYS", " shop : abcdefghijklmnop ,\tadmin:ABCDEFGHIJKLMNOP0123\t", &cfg);
    ck_assert_uint_eq(cfg.api_key_count, 2);
    ck_assert_str_eq(cfg.api_keys[0].name, "shop");
    ck_assert_str_eq(cfg.api_keys[0].key, "abcdefghijklmnop");
    ck_assert_str_eq(cfg.api_keys[1].name, "admin");
    ck_assert_str_eq(cfg.api_keys[1].key, "ABCDEFGHIJKLMNOP0123");
    config_release(&cfg);

    /* longest name (32), longest key (256) */
    char value[400];
    memset(value, 'n', 32);
    value[32] = ':';
    memset(value + 33, 'k', 256);
    value[33 + 256] = '\0';
    expect_ok("BILLKEY_API_KEYS", value, &cfg);
    ck_assert_uint_eq(cfg.api_key_count, 1);
    ck_assert_uint_eq(strlen(cfg.api_keys[0].name), 32);
    ck_assert_uint_eq(strlen(cfg.api_keys[0].key), 256);
    config_release(&cfg);
}
END_TEST

static const struct bad_case bad_api_keys[] = {
    {"BILLKEY_API_KEYS", "shop", "BILLKEY_API_KEYS: entry 1 has no ':' separating name and key\n"},
    {"BILLKEY_API_KEYS", " ", "BILLKEY_API_KEYS: entry 1 is empty\n"},
    {"BILLKEY_API_KEYS", ",",
     "BILLKEY_API_KEYS: entry 1 is empty\nBILLKEY_API_KEYS: entry 2 is "
     "empty\n"},
    {"BILLKEY_API_KEYS", "shop:abcdefghijklmnop,", "BILLKEY_API_KEYS: entry 2 is empty\n"},
    {"BILLKEY_API_KEYS", ":abcdefghijklmnop",
     "BILLKEY_API_KEYS: entry 1 has an invalid name (want 1-32 of A-Z a-z 0-9 _ . -)\n"},
    {"BILLKEY_API_KEYS", "bad name:abcdefghijklmnop",
     "BILLKEY_API_KEYS: entry 1 has an invalid name (want 1-32 of A-Z a-z 0-9 _ . -)\n"},
    {"BILLKEY_API_KEYS", "n23456789012345678901234567890123:abcdefghijklmnop",
     "BILLKEY_API_KEYS: entry 1 has an invalid name (want 1-32 of A-Z a-z 0-9 _ . -)\n"},
    {"BILLKEY_API_KEYS", "\xec\x83\xb5:abcdefghijklmnop",
     "BILLKEY_API_KEYS: entry 1 has an invalid name (want 1-32 of A-Z a-z 0-9 _ . -)\n"},
    {"BILLKEY_API_KEYS", "shop:abcdefghijklmno",
     "BILLKEY_API_KEYS: entry 1 has a key shorter than 16 characters\n"},
    {"BILLKEY_API_KEYS",
     "shop:", "BILLKEY_API_KEYS: entry 1 has a key shorter than 16 characters\n"},
    {"BILLKEY_API_KEYS", ":",
     "BILLKEY_API_KEYS: entry 1 has an invalid name (want 1-32 of A-Z a-z 0-9 _ . -)\n"
     "BILLKEY_API_KEYS: entry 1 has a key shorter than 16 characters\n"},
    {"BILLKEY_API_KEYS", "shop:abcdefgh ijklmnop",
     "BILLKEY_API_KEYS: entry 1 has a key with a space, ':', ',' or non-printable character\n"},
    {"BILLKEY_API_KEYS", "shop:abcdefgh:ijklmnop",
     "BILLKEY_API_KEYS: entry 1 has a key with a space, ':', ',' or non-printable character\n"},
    {"BILLKEY_API_KEYS", "shop:abcdefghijklmnop\n",
     "BILLKEY_API_KEYS: entry 1 has a key with a space, ':', ',' or non-printable character\n"},
    {"BILLKEY_API_KEYS", "shop:abcdefghijklmno\xc3\xa9",
     "BILLKEY_API_KEYS: entry 1 has a key with a space, ':', ',' or non-printable character\n"},
    {"BILLKEY_API_KEYS", "a:abcdefghijklmnop,b:bbcdefghijklmnop,a:cbcdefghijklmnop",
     "BILLKEY_API_KEYS: entry 3 repeats the name of entry 1\n"},
    {"BILLKEY_API_KEYS", "a:abcdefghijklmnop,b:abcdefghijklmnop",
     "BILLKEY_API_KEYS: entry 2 repeats the key of entry 1\n"},
};

START_TEST(api_keys_refused)
{
    const struct bad_case *c = &bad_api_keys[_i];
    expect_errors(c->name, c->value, c->errors);
}
END_TEST

START_TEST(api_keys_too_long_or_too_many)
{
    char key[300];
    memset(key, 'k', 257);
    key[257] = '\0';
    char *value = xasprintf("shop:%s", key);
    expect_errors("BILLKEY_API_KEYS", value,
                  "BILLKEY_API_KEYS: entry 1 has a key longer than 256 characters\n");
    free(value);

    /* 65 entries: refused as a whole before any is looked at */
    size_t cap = 65 * 40, len = 0;
    char *many = xcalloc(cap, 1);
    for (int i = 0; i < 65; i++)
        len += (size_t)snprintf(many + len, cap - len, "%sk%d:key-%d-abcdefghijklmnop",
                                i ? "," : "", i, i);
    expect_errors("BILLKEY_API_KEYS", many, "BILLKEY_API_KEYS: more than 64 entries\n");
    /* 64 entries are fine */
    *strrchr(many, ',') = '\0';
    struct config cfg;
    expect_ok("BILLKEY_API_KEYS", many, &cfg);
    ck_assert_uint_eq(cfg.api_key_count, 64);
    ck_assert_str_eq(cfg.api_keys[63].name, "k63");
    config_release(&cfg);
    free(many);
}
END_TEST

START_TEST(api_key_lookup)
{
    struct config cfg;
    expect_ok("BILLKEY_API_KEYS", "shop:abcdefghijklmnop,admin:ABCDEFGHIJKLMNOP0123", &cfg);
    ck_assert_str_eq(merchant_key_name(cfg.api_keys, cfg.api_key_count, "abcdefghijklmnop"),
                     "shop");
    ck_assert_str_eq(merchant_key_name(cfg.api_keys, cfg.api_key_count, "ABCDEFGHIJKLMNOP0123"),
                     "admin");
    ck_assert_ptr_null(merchant_key_name(cfg.api_keys, cfg.api_key_count,
                                         "abcdefghijklmnoq")); /* last byte differs */
    ck_assert_ptr_null(
        merchant_key_name(cfg.api_keys, cfg.api_key_count, "abcdefghijklmno")); /* prefix */
    ck_assert_ptr_null(
        merchant_key_name(cfg.api_keys, cfg.api_key_count, "abcdefghijklmnopq")); /* longer */
    ck_assert_ptr_null(
        merchant_key_name(cfg.api_keys, cfg.api_key_count, "ABCDEFGHIJKLMNOP")); /* case matters */
    ck_assert_ptr_null(
        merchant_key_name(cfg.api_keys, cfg.api_key_count, "shop")); /* a name is no key */
    ck_assert_ptr_null(merchant_key_name(cfg.api_keys, cfg.api_key_count, ""));
    ck_assert_ptr_null(merchant_key_name(cfg.api_keys, cfg.api_key_count, NULL));
    config_release(&cfg);

    /* no keys configured: nothing matches */
    expect_ok("PORT", "8080", &cfg);
    ck_assert_ptr_null(merchant_key_name(cfg.api_keys, cfg.api_key_count, "abcdefghijklmnop"));
    ck_assert_ptr_null(merchant_key_name(cfg.api_keys, cfg.api_key_count, ""));
    config_release(&cfg);
}
END_TEST

/* Asserts log_scrub() hides `secret` inside a line. */
static void assert_scrubbed(const char *secret)
{
    char *line = xasprintf("driver said: %s.", secret);
    char *scrubbed = log_scrub(line);
    ck_assert_msg(strstr(scrubbed, secret) == NULL, "'%s' not scrubbed: %s", secret, scrubbed);
    ck_assert_ptr_nonnull(strstr(scrubbed, "[redacted]"));
    free(scrubbed);
    free(line);
}

START_TEST(secrets_registered_for_scrubbing)
{
    struct config cfg;
    env_set_required();
    env_set("DATABASE_URL", "postgresql://billkey:Pa%24%24word-9@db:5432/billkey?sslmode=off");
    env_set("BILLKEY_API_KEYS", "shop:abcdefghijklmnop,admin:ABCDEFGHIJKLMNOP0123");
    ck_assert_int_eq(config_load(&cfg, fake_getenv, NULL), 0);
    config_register_secrets(&cfg);
    assert_scrubbed("postgresql://billkey:Pa%24%24word-9@db:5432/billkey?sslmode=off");
    assert_scrubbed("Pa%24%24word-9");
    assert_scrubbed("Pa$$word-9");
    assert_scrubbed("imp_key_1234");
    assert_scrubbed("imp_secret_abcdefgh");
    assert_scrubbed("abcdefghijklmnop");
    assert_scrubbed("ABCDEFGHIJKLMNOP0123");
    char *plain = log_scrub("listening on 0.0.0.0 static billkey");
    ck_assert_str_eq(plain, "listening on 0.0.0.0 static billkey");
    free(plain);
    config_release(&cfg);
    log_shutdown();

    env_set("DATABASE_URL", "host=db user=billkey password='kw pass 77' dbname=billkey");
    ck_assert_int_eq(config_load(&cfg, fake_getenv, NULL), 0);
    config_register_secrets(&cfg);
    assert_scrubbed("kw pass 77");
    config_release(&cfg);
    log_shutdown();

    env_set("DATABASE_URL", "host=db password = plainpw99 dbname=billkey");
    ck_assert_int_eq(config_load(&cfg, fake_getenv, NULL), 0);
    config_register_secrets(&cfg);
    assert_scrubbed("plainpw99");
    config_release(&cfg);
    log_shutdown();

    env_set("DATABASE_URL", "postgres://db/billkey?user=b&password=querypw42&sslmode=off");
    ck_assert_int_eq(config_load(&cfg, fake_getenv, NULL), 0);
    config_register_secrets(&cfg);
    assert_scrubbed("querypw42");
    config_release(&cfg);
    log_shutdown();
}
END_TEST

START_TEST(effective_config_logged_without_secrets)
{
    struct config cfg;
    char *buf = NULL;
    size_t len = 0;
    env_set_required();
    env_set("IAMPORT_API_SECRET", SECRET_MARK "-secret");
    env_set("MAX_BODY_BYTES", "2k");
    ck_assert_int_eq(config_load(&cfg, fake_getenv, NULL), 0);
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    log_set_stream(f);
    config_log_effective(&cfg);
    log_set_stream(NULL);
    fclose(f);
    ck_assert_ptr_null(strstr(buf, SECRET_MARK));
    ck_assert_ptr_null(strstr(buf, "imp_key_1234"));
    ck_assert_ptr_null(strstr(buf, "postgresql://"));
    cJSON *line = cJSON_Parse(buf);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(cJSON_GetObjectItem(line, "msg")->valuestring, "effective configuration");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "level")->valuestring, "info");
    ck_assert_int_eq(cJSON_GetObjectItem(line, "PORT")->valueint, 8080);
    ck_assert_int_eq(cJSON_GetObjectItem(line, "MAX_BODY_BYTES")->valueint, 2048);
    ck_assert_str_eq(cJSON_GetObjectItem(line, "LISTEN_ADDR")->valuestring, "0.0.0.0");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "LOG_LEVEL")->valuestring, "info");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "DATABASE_URL")->valuestring, "[set]");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "IAMPORT_API_SECRET")->valuestring, "[set]");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "BILLKEY_API_KEYS")->valuestring, "[unset]");
    for (size_t i = 0; i < config_var_count(); i++) {
        struct config_var_info info;
        config_var_info(i, &info);
        ck_assert_msg(cJSON_GetObjectItem(line, info.name) != NULL, "%s not logged", info.name);
    }
    cJSON_Delete(line);
    free(buf);
    config_release(&cfg);
}
END_TEST

START_TEST(help_lists_every_variable)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    config_print_help(f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "  PORT (default: 8080)\n"));
    ck_assert_ptr_nonnull(strstr(buf, "  DATABASE_URL (no default, required, secret)\n"));
    ck_assert_ptr_nonnull(strstr(buf, "  BILLKEY_API_KEYS (default: empty, secret)\n"));
    ck_assert_ptr_nonnull(strstr(buf, "  MAX_BODY_BYTES (default: 64k)\n"));
    for (size_t i = 0; i < config_var_count(); i++) {
        struct config_var_info info;
        config_var_info(i, &info);
        char *row = xasprintf("  %s (", info.name);
        ck_assert_msg(strstr(buf, row) != NULL, "%s missing from help", info.name);
        ck_assert_msg(strstr(buf, info.description) != NULL, "%s description missing", info.name);
        free(row);
    }
    free(buf);
}
END_TEST

START_TEST(variable_table_is_exposed)
{
    struct config_var_info info;
    ck_assert_uint_eq(config_var_count(), 46);
    config_var_info(0, &info);
    ck_assert_str_eq(info.name, "PORT");
    ck_assert_str_eq(info.default_value, "8080");
    ck_assert_int_eq(info.required, 0);
    ck_assert_int_eq(info.secret, 0);
    config_var_info(2, &info);
    ck_assert_str_eq(info.name, "DATABASE_URL");
    ck_assert_ptr_null(info.default_value);
    ck_assert_int_eq(info.required, 1);
    ck_assert_int_eq(info.secret, 1);
    config_var_info(config_var_count(), &info);
    ck_assert_ptr_null(info.name);
    ck_assert_ptr_null(info.description);
}
END_TEST

/* ---- README.md table vs the code table ---- */

/* Compares the README's config table with config_var_info(); returns the number of
 * differences and writes them (one per line) into `report`. */
static int readme_table_differences(const char *readme, char *report, size_t report_size)
{
    const char *begin = strstr(readme, "<!-- config:begin -->");
    const char *end = strstr(readme, "<!-- config:end -->");
    size_t count = config_var_count(), used = 0;
    int *seen = xcalloc(count, sizeof *seen);
    int differences = 0;

    report[0] = '\0';
#define REPORT(...)                                                                                \
    do {                                                                                           \
        differences++;                                                                             \
        if (used < report_size)                                                                    \
            used += (size_t)snprintf(report + used, report_size - used, __VA_ARGS__);              \
    } while (0)
    if (!begin || !end || end < begin) {
        REPORT("config markers missing\n");
        goto out;
    }
    const char *next;
    for (const char *line = begin; line < end; line = next) {
        const char *line_end = strchr(line, '\n');
        if (!line_end)
            line_end = line + strlen(line);
        next = *line_end ? line_end + 1 : line_end;
        if (strncmp(line, "| `", 3) != 0)
            continue;
        const char *name = line + 3;
        const char *name_end = memchr(name, '`', (size_t)(line_end - name));
        const char *cell = name_end ? memchr(name_end, '|', (size_t)(line_end - name_end)) : NULL;
        const char *cell_end = cell ? memchr(cell + 1, '|', (size_t)(line_end - cell - 1)) : NULL;
        if (!cell_end) {
            REPORT("malformed row '%.*s'\n", (int)(line_end - line), line);
            continue;
        }
        cell++;
        while (*cell == ' ')
            cell++;
        while (cell_end > cell && cell_end[-1] == ' ')
            cell_end--;
        char *var = xstrndup(name, (size_t)(name_end - name));
        char *def = xstrndup(cell, (size_t)(cell_end - cell));
        size_t i;
        struct config_var_info info;
        for (i = 0; i < count; i++) {
            config_var_info(i, &info);
            if (strcmp(info.name, var) == 0)
                break;
        }
        if (i == count) {
            REPORT("README lists '%s', the code does not\n", var);
        } else {
            seen[i]++;
            char *want = !info.default_value          ? xstrdup("(none)")
                         : info.default_value[0] == 0 ? xstrdup("(empty)")
                                                      : xasprintf("`%s`", info.default_value);
            if (strcmp(want, def) != 0)
                REPORT("'%s' default is %s in README, %s in code\n", var, def, want);
            free(want);
        }
        free(var);
        free(def);
    }
    for (size_t i = 0; i < count; i++) {
        struct config_var_info info;
        config_var_info(i, &info);
        if (seen[i] != 1)
            REPORT("'%s' appears %d times in README, want once\n", info.name, seen[i]);
    }
#undef REPORT
out:
    free(seen);
    return differences;
}

START_TEST(readme_matches_code_table)
{
    char report[4096];
    char *path = testlib_source_path("README.md");
    char *readme = testlib_read_file(path, NULL);
    ck_assert_msg(readme != NULL, "cannot read '%s'", path);
    int n = readme_table_differences(readme, report, sizeof report);
    ck_assert_msg(n == 0, "README.md config table differs from server/config.c:\n%s", report);
    free(readme);
    free(path);
}
END_TEST

/* The checker itself must notice a changed default, a missing row and an unknown row. */
START_TEST(readme_checker_catches_drift)
{
    char report[4096];
    char *path = testlib_source_path("README.md");
    char *readme = testlib_read_file(path, NULL);
    ck_assert_ptr_nonnull(readme);

    char *changed = xstrdup(readme);
    char *port = strstr(changed, "| `PORT` | `8080` |");
    ck_assert_ptr_nonnull(port);
    memcpy(strstr(port, "8080"), "9090", 4);
    ck_assert_int_eq(readme_table_differences(changed, report, sizeof report), 1);
    ck_assert_str_eq(report, "'PORT' default is `9090` in README, `8080` in code\n");
    free(changed);

    char *missing = xstrdup(readme);
    char *row = strstr(missing, "| `STATIC_DIR` |");
    ck_assert_ptr_nonnull(row);
    row[2] = 'x'; /* no longer a "| `" row */
    ck_assert_int_eq(readme_table_differences(missing, report, sizeof report), 1);
    ck_assert_str_eq(report, "'STATIC_DIR' appears 0 times in README, want once\n");
    free(missing);

    char *extra = xstrdup(readme);
    char *name = strstr(extra, "| `HTTP_MAX_CONNECTIONS` |");
    ck_assert_ptr_nonnull(name);
    memcpy(name + 3, "HTTP_MAX_CONNECTIONX", 20);
    ck_assert_int_eq(readme_table_differences(extra, report, sizeof report), 2);
    ck_assert_str_eq(report, "README lists 'HTTP_MAX_CONNECTIONX', the code does not\n"
                             "'HTTP_MAX_CONNECTIONS' appears 0 times in README, want once\n");
    free(extra);

    const char *malformed = "<!-- config:begin -->\n| `PORT` 8080\n<!-- config:end -->\n";
    ck_assert_int_eq(readme_table_differences(malformed, report, sizeof report),
                     1 + (int)config_var_count());
    ck_assert_ptr_eq(strstr(report, "malformed row '| `PORT` 8080'\n"), report);

    ck_assert_int_eq(readme_table_differences("# billkey\n", report, sizeof report), 1);
    ck_assert_str_eq(report, "config markers missing\n");
    free(readme);
    free(path);
}
END_TEST

static Suite *suite_config(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, defaults_apply);
    tcase_add_test(tc, every_variable_is_read);
    tcase_add_test(tc, required_variables_missing);
    tcase_add_test(tc, empty_values_count_as_unset);
    tcase_add_loop_test(tc, bad_integers, 0, (int)(sizeof bad_ints / sizeof bad_ints[0]));
    tcase_add_test(tc, integer_bounds_and_leading_zeros);
    tcase_add_test(tc, long_bad_value_is_cut_in_errors);
    tcase_add_loop_test(tc, bad_sizes_refused, 0, (int)(sizeof bad_sizes / sizeof bad_sizes[0]));
    tcase_add_test(tc, sizes_with_suffixes);
    tcase_add_loop_test(tc, bad_urls_addresses_levels_strings, 0,
                        (int)(sizeof bad_strings / sizeof bad_strings[0]));
    tcase_add_test(tc, urls_lose_trailing_slashes);
    tcase_add_test(tc, addresses_and_levels_accepted);
    tcase_add_test(tc, all_problems_reported_at_once);
    tcase_add_test(tc, secrets_never_echoed);
    tcase_add_test(tc, sandbox_mode_needs_a_loopback_iamport);
    tcase_add_test(tc, api_keys_parsed);
    tcase_add_loop_test(tc, api_keys_refused, 0,
                        (int)(sizeof bad_api_keys / sizeof bad_api_keys[0]));
    tcase_add_test(tc, api_keys_too_long_or_too_many);
    tcase_add_test(tc, api_key_lookup);
    tcase_add_test(tc, secrets_registered_for_scrubbing);
    tcase_add_test(tc, effective_config_logged_without_secrets);
    tcase_add_test(tc, help_lists_every_variable);
    tcase_add_test(tc, variable_table_is_exposed);
    tcase_add_test(tc, readme_matches_code_table);
    tcase_add_test(tc, readme_checker_catches_drift);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_config)
