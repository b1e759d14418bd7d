/* metrics tests: counters, histogram buckets, the Prometheus text format and its escaping. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/metrics.h"
#include "tests/lib/testlib.h"

static const double bounds[] = {0.1, 1};

/* The family rendered as text (caller frees). */
static char *render(const struct metrics_family *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(out);
    metrics_render(out, f);
    fclose(out);
    return text;
}

START_TEST(a_counter_renders_help_type_and_its_value)
{
    static struct metrics_family f =
        METRICS_COUNTER("t_requests_total", "Requests.", 2, "route", "status");
    metrics_add(&f, (const char *const[]){"/a/{id}", "200"}, 1);
    metrics_add(&f, (const char *const[]){"/a/{id}", "200"}, 2);
    char *text = render(&f);
    ck_assert_str_eq(text, "# HELP t_requests_total Requests.\n"
                           "# TYPE t_requests_total counter\n"
                           "t_requests_total{route=\"/a/{id}\",status=\"200\"} 3\n");
    free(text);
    metrics_family_reset(&f);
}
END_TEST

START_TEST(label_values_and_help_are_escaped)
{
    static struct metrics_family f =
        METRICS_COUNTER("t_escaped_total", "Help with \\ and\nnewline \"quoted\".", 1, "v");
    metrics_add(&f, (const char *const[]){"a\\b\"c\nd"}, 5);
    char *text = render(&f);
    ck_assert_str_eq(text, "# HELP t_escaped_total Help with \\\\ and\\nnewline \"quoted\".\n"
                           "# TYPE t_escaped_total counter\n"
                           "t_escaped_total{v=\"a\\\\b\\\"c\\nd\"} 5\n");
    free(text);
    metrics_family_reset(&f);
}
END_TEST

START_TEST(a_counter_without_labels_has_no_braces)
{
    static struct metrics_family f = METRICS_COUNTER("t_won_total", "Won.", 0);
    metrics_add(&f, NULL, 9900);
    metrics_add(&f, NULL, 100);
    char *text = render(&f);
    ck_assert_str_eq(text, "# HELP t_won_total Won.\n"
                           "# TYPE t_won_total counter\n"
                           "t_won_total 10000\n");
    free(text);
    metrics_family_reset(&f);
}
END_TEST

START_TEST(a_family_without_series_has_only_help_and_type)
{
    static struct metrics_family f = METRICS_HISTOGRAM("t_empty_seconds", "Empty.", bounds, 0);
    char *text = render(&f);
    ck_assert_str_eq(text, "# HELP t_empty_seconds Empty.\n# TYPE t_empty_seconds histogram\n");
    free(text);
}
END_TEST

START_TEST(histogram_buckets_are_cumulative_up_to_inf_with_sum_and_count)
{
    static struct metrics_family f =
        METRICS_HISTOGRAM("t_latency_seconds", "Latency.", bounds, 1, "route");
    const char *const route[] = {"/x"};
    metrics_observe(&f, route, 0.05);
    metrics_observe(&f, route, 0.1); /* on a bound: counted in that bucket (le is <=) */
    metrics_observe(&f, route, 0.5);
    metrics_observe(&f, route, 5);
    char *text = render(&f);
    ck_assert_str_eq(text, "# HELP t_latency_seconds Latency.\n"
                           "# TYPE t_latency_seconds histogram\n"
                           "t_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
                           "t_latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
                           "t_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
                           "t_latency_seconds_sum{route=\"/x\"} 5.65\n"
                           "t_latency_seconds_count{route=\"/x\"} 4\n");
    free(text);
    metrics_family_reset(&f);
}
END_TEST

START_TEST(a_histogram_without_labels_puts_le_alone)
{
    static struct metrics_family f = METRICS_HISTOGRAM("t_plain_seconds", "Plain.", bounds, 0);
    metrics_observe(&f, NULL, 2);
    char *text = render(&f);
    ck_assert_ptr_nonnull(strstr(text, "t_plain_seconds_bucket{le=\"0.1\"} 0\n"
                                       "t_plain_seconds_bucket{le=\"1\"} 0\n"
                                       "t_plain_seconds_bucket{le=\"+Inf\"} 1\n"
                                       "t_plain_seconds_sum 2\n"
                                       "t_plain_seconds_count 1\n"));
    free(text);
    metrics_family_reset(&f);
}
END_TEST

START_TEST(a_gauge_renders_its_value)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    metrics_render_gauge(out, "t_lag_seconds", "Lag.", 1.5);
    fclose(out);
    ck_assert_str_eq(text,
                     "# HELP t_lag_seconds Lag.\n# TYPE t_lag_seconds gauge\nt_lag_seconds 1.5\n");
    free(text);
}
END_TEST

START_TEST(a_labelled_gauge_renders_one_line_per_value)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    static const char *const kinds[] = {"refund", "we\"ird"};
    static const double values[] = {1, 0};
    metrics_render_gauges(out, "t_backlog", "Backlog.", "kind", kinds, values, 2);
    fclose(out);
    ck_assert_str_eq(text, "# HELP t_backlog Backlog.\n# TYPE t_backlog gauge\n"
                           "t_backlog{kind=\"refund\"} 1\nt_backlog{kind=\"we\\\"ird\"} 0\n");
    free(text);
}
END_TEST

static struct metrics_family concurrent =
    METRICS_COUNTER("t_concurrent_total", "Concurrent.", 1, "k");

static void *add_many(void *arg)
{
    const char *key = arg;
    for (int i = 0; i < 20000; i++)
        metrics_add(&concurrent, (const char *const[]){i % 2 ? key : "shared"}, 1);
    return NULL;
}

START_TEST(concurrent_adds_lose_nothing)
{
    pthread_t t[4];
    const char *keys[4] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, add_many, (void *)keys[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    char *text = render(&concurrent);
    ck_assert_ptr_nonnull(strstr(text, "t_concurrent_total{k=\"shared\"} 40000\n"));
    for (int i = 0; i < 4; i++) {
        char line[64];
        snprintf(line, sizeof line, "t_concurrent_total{k=\"%s\"} 10000\n", keys[i]);
        ck_assert_ptr_nonnull(strstr(text, line));
    }
    free(text);
    metrics_family_reset(&concurrent);
}
END_TEST

START_TEST(a_full_table_drops_new_label_sets_and_counts_them)
{
    static struct metrics_family f = METRICS_COUNTER("t_full_total", "Full.", 1, "n");
    char label[16];
    for (int i = 0; i < METRICS_MAX_SERIES + 3; i++) {
        snprintf(label, sizeof label, "%d", i);
        metrics_add(&f, (const char *const[]){label}, 1);
    }
    ck_assert_uint_eq(atomic_load(&f.dropped), 3);
    metrics_add(&f, (const char *const[]){"0"}, 1); /* a known label set still counts */
    char *text = render(&f);
    ck_assert_ptr_nonnull(strstr(text, "t_full_total{n=\"0\"} 2\n"));
    free(text);
    metrics_family_reset(&f);
}
END_TEST

static Suite *suite_metrics_render(void)
{
    Suite *s = suite_create("metrics_render");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, a_counter_renders_help_type_and_its_value);
    tcase_add_test(tc, label_values_and_help_are_escaped);
    tcase_add_test(tc, a_counter_without_labels_has_no_braces);
    tcase_add_test(tc, a_family_without_series_has_only_help_and_type);
    tcase_add_test(tc, histogram_buckets_are_cumulative_up_to_inf_with_sum_and_count);
    tcase_add_test(tc, a_histogram_without_labels_puts_le_alone);
    tcase_add_test(tc, a_gauge_renders_its_value);
    tcase_add_test(tc, a_labelled_gauge_renders_one_line_per_value);
    tcase_add_test(tc, concurrent_adds_lose_nothing);
    tcase_add_test(tc, a_full_table_drops_new_label_sets_and_counts_them);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_metrics_render)
