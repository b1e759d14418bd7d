/* Process-wide metrics: lock-free counters and fixed-bucket histograms, rendered as Prometheus text. */
#include "server/core/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"

const double metrics_latency_bounds[12] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                           0.5,   1,    2.5,   5,    10,  30};

static uint64_t hash_labels(const struct metrics_family *f, const char *const *labels)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a, a 0xff byte between values */
    for (size_t i = 0; i < f->label_count; i++) {
        for (const unsigned char *p = (const unsigned char *)labels[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

static int same_labels(const struct metrics_family *f, const struct metrics_series *s,
                       const char *const *labels)
{
    for (size_t i = 0; i < f->label_count; i++)
        if (strcmp(s->labels[i], labels[i]) != 0)
            return 0;
    return 1;
}

static void series_free(struct metrics_series *s)
{
    for (size_t i = 0; i < METRICS_MAX_LABELS; i++)
        free(s->labels[i]);
    free(s);
}

/* The series of this label set: found, or inserted with a compare-and-swap into the first empty
 * slot of its probe sequence. NULL when the table is full. */
static struct metrics_series *series_get(struct metrics_family *f, const char *const *labels)
{
    struct metrics_series *fresh = NULL;
    size_t start = (size_t)(hash_labels(f, labels) % METRICS_MAX_SERIES);
    for (size_t n = 0; n < METRICS_MAX_SERIES; n++) {
        _Atomic(struct metrics_series *) *slot = &f->series[(start + n) % METRICS_MAX_SERIES];
        struct metrics_series *s = atomic_load(slot);
        if (!s) {
            if (!fresh) {
                fresh = xcalloc(1, sizeof *fresh);
                for (size_t i = 0; i < f->label_count; i++)
                    fresh->labels[i] = xstrdup(labels[i]);
            }
            if (atomic_compare_exchange_strong(slot, &s, fresh))
                return fresh;
            /* another thread filled the slot: s is its series */
        }
        if (same_labels(f, s, labels)) {
            if (fresh)
                series_free(fresh);
            return s;
        }
    }
    if (fresh)
        series_free(fresh);
    atomic_fetch_add(&f->dropped, 1);
    return NULL;
}

void metrics_add(struct metrics_family *f, const char *const *labels, uint64_t n)
{
    struct metrics_series *s = series_get(f, labels);
    if (s)
        atomic_fetch_add(&s->value, n);
}

static double bits_to_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static uint64_t double_to_bits(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

void metrics_observe(struct metrics_family *f, const char *const *labels, double value)
{
    struct metrics_series *s = series_get(f, labels);
    if (!s)
        return;
    size_t b = 0;
    while (b < f->bound_count && value > f->bounds[b])
        b++;
    atomic_fetch_add(&s->buckets[b], 1);
    uint64_t old = atomic_load(&s->sum_bits);
    while (!atomic_compare_exchange_weak(&s->sum_bits, &old,
                                         double_to_bits(bits_to_double(old) + value)))
        ;
}

static void write_escaped(FILE *out, const char *s, int quotes)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else if (*s == '"' && quotes)
            fputs("\\\"", out);
        else
            fputc(*s, out);
    }
}

static void write_help_type(FILE *out, const char *name, const char *help, const char *type)
{
    fprintf(out, "# HELP %s ", name);
    write_escaped(out, help, 0);
    fprintf(out, "\n# TYPE %s %s\n", name, type);
}

/* {a="x",b="y"[,le="…"]}, or nothing when there are no labels and no le. */
static void write_labels(FILE *out, const struct metrics_family *f, const struct metrics_series *s,
                         const char *le)
{
    if (f->label_count == 0 && !le)
        return;
    fputc('{', out);
    for (size_t i = 0; i < f->label_count; i++) {
        fprintf(out, "%s%s=\"", i ? "," : "", f->label_names[i]);
        write_escaped(out, s->labels[i], 1);
        fputc('"', out);
    }
    if (le)
        fprintf(out, "%sle=\"%s\"", f->label_count ? "," : "", le);
    fputc('}', out);
}

static void render_histogram(FILE *out, const struct metrics_family *f,
                             const struct metrics_series *s)
{
    uint64_t cumulative = 0;
    char le[32];
    for (size_t b = 0; b <= f->bound_count; b++) {
        cumulative += atomic_load(&s->buckets[b]);
        if (b < f->bound_count)
            snprintf(le, sizeof le, "%.15g", f->bounds[b]);
        else
            snprintf(le, sizeof le, "+Inf");
        fprintf(out, "%s_bucket", f->name);
        write_labels(out, f, s, le);
        fprintf(out, " %llu\n", (unsigned long long)cumulative);
    }
    fprintf(out, "%s_sum", f->name);
    write_labels(out, f, s, NULL);
    fprintf(out, " %.15g\n", bits_to_double(atomic_load(&s->sum_bits)));
    fprintf(out, "%s_count", f->name);
    write_labels(out, f, s, NULL);
    fprintf(out, " %llu\n", (unsigned long long)cumulative); /* = the +Inf bucket */
}

void metrics_render(FILE *out, const struct metrics_family *f)
{
    write_help_type(out, f->name, f->help, f->type == METRICS_COUNTER ? "counter" : "histogram");
    for (size_t i = 0; i < METRICS_MAX_SERIES; i++) {
        const struct metrics_series *s = atomic_load(&f->series[i]);
        if (!s)
            continue;
        if (f->type == METRICS_HISTOGRAM) {
            render_histogram(out, f, s);
            continue;
        }
        fputs(f->name, out);
        write_labels(out, f, s, NULL);
        fprintf(out, " %llu\n", (unsigned long long)atomic_load(&s->value));
    }
}

void metrics_render_gauge(FILE *out, const char *name, const char *help, double value)
{
    write_help_type(out, name, help, "gauge");
    fprintf(out, "%s %.15g\n", name, value);
}

void metrics_render_gauges(FILE *out, const char *name, const char *help, const char *label,
                           const char *const *values, const double *v, size_t n)
{
    write_help_type(out, name, help, "gauge");
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s{%s=\"", name, label);
        write_escaped(out, values[i], 1);
        fprintf(out, "\"} %.15g\n", v[i]);
    }
}

void metrics_family_reset(struct metrics_family *f)
{
    for (size_t i = 0; i < METRICS_MAX_SERIES; i++) {
        struct metrics_series *s = atomic_exchange(&f->series[i], NULL);
        if (s)
            series_free(s);
    }
    atomic_store(&f->dropped, 0);
}
