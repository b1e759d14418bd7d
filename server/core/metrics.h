/* Process-wide metrics: lock-free counters and fixed-bucket histograms, rendered as Prometheus text. */
#ifndef BILLKEY_METRICS_H
#define BILLKEY_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define METRICS_MAX_LABELS 3
#define METRICS_MAX_BUCKETS 16
#define METRICS_MAX_SERIES 256 /* per family; further label sets are counted in `dropped` */

enum metrics_type { METRICS_COUNTER, METRICS_HISTOGRAM };

/* One label set of a family. Allocated on its first use and never moved; the label values are
 * owned copies. Counters use `value`; histograms `buckets` (per bucket, not cumulative; the last
 * one is above every bound), `count` and `sum_bits` (the sum as the bits of a double). */
struct metrics_series {
    char *labels[METRICS_MAX_LABELS];
    atomic_uint_fast64_t value;
    atomic_uint_fast64_t buckets[METRICS_MAX_BUCKETS + 1];
    _Atomic uint64_t sum_bits;
};

/* A metric name with its help text, label names and (histograms) bucket bounds, all borrowed
 * static strings; the series table is filled as label sets appear. Define families with
 * static storage (zero-initialised) through METRICS_COUNTER / METRICS_HISTOGRAM; they live as
 * long as the process (metrics_family_reset frees their series, for tests and leak checks). */
struct metrics_family {
    const char *name;
    const char *help;
    enum metrics_type type;
    const char *label_names[METRICS_MAX_LABELS];
    size_t label_count;
    const double *bounds; /* ascending upper bounds, without +Inf */
    size_t bound_count;   /* <= METRICS_MAX_BUCKETS */
    _Atomic(struct metrics_series *) series[METRICS_MAX_SERIES];
    atomic_uint_fast64_t dropped; /* observations lost because the table was full */
};

#define METRICS_COUNTER(name_, help_, nlabels_, ...)                                               \
    {                                                                                              \
        .name = (name_), .help = (help_), .type = METRICS_COUNTER, .label_names = {__VA_ARGS__},   \
        .label_count = (nlabels_)                                                                  \
    }
#define METRICS_HISTOGRAM(name_, help_, bounds_, nlabels_, ...)                                    \
    {                                                                                              \
        .name = (name_), .help = (help_), .type = METRICS_HISTOGRAM, .label_names = {__VA_ARGS__}, \
        .label_count = (nlabels_), .bounds = (bounds_),                                            \
        .bound_count = sizeof(bounds_) / sizeof((bounds_)[0])                                      \
    }

/* Latency bounds in seconds shared by the request and iamport histograms (5 ms .. 30 s). */
extern const double metrics_latency_bounds[12];

/* Adds n to the counter of this label set (label_count values, borrowed; copied on first use).
 * Lock-free; safe from any thread. */
void metrics_add(struct metrics_family *f, const char *const *labels, uint64_t n);
/* Records one observation in the histogram of this label set. Lock-free. */
void metrics_observe(struct metrics_family *f, const char *const *labels, double value);

/* Writes the family in the Prometheus text format 0.0.4: "# HELP", "# TYPE", then one line per
 * series (histograms: cumulative _bucket lines up to le="+Inf", then _sum and _count), label
 * values escaped (\\, \", \n). A family with no series writes only its HELP and TYPE lines. */
void metrics_render(FILE *out, const struct metrics_family *f);
/* Writes one gauge without labels: HELP, TYPE and the value. */
void metrics_render_gauge(FILE *out, const char *name, const char *help, double value);
/* Writes one gauge with one label: HELP, TYPE, then `name{label="values[i]"} v[i]` for each of
 * the n values (label values escaped; everything borrowed). */
void metrics_render_gauges(FILE *out, const char *name, const char *help, const char *label,
                           const char *const *values, const double *v, size_t n);

/* Frees every series of the family and zeroes it (not safe while other threads use it). */
void metrics_family_reset(struct metrics_family *f);

#endif
