/* The native side of bench/native.py: CtAPI calls through libctapi.so, timed, one JSON line out.
 *
 *   ctapi_driver read TAG SECONDS          sequential ctTagRead round trips on one connection
 *   ctapi_driver list PREFIX COUNT SECONDS a list of COUNT tags PREFIX0000...: ctListRead, then
 *                                          ctListData of every tag, repeated
 *
 * The emulator comes from SCADA_EMU_READY_FILE (its local computer, plain port). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctapi.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int fail(const char *what) {
    printf("{\"error\": \"%s failed with %lu\"}\n", what, (unsigned long)GetLastError());
    return 1;
}

static int bench_read(HANDLE h, const char *tag, double seconds) {
    char value[256];
    size_t cap = 1 << 20, n = 0;
    double *samples = malloc(cap * sizeof *samples);
    if (!samples) return fail("malloc");
    for (int i = 0; i < 200; i++) /* warm-up */
        if (!ctTagRead(h, tag, value, sizeof value)) return free(samples), fail("ctTagRead");
    double start = now(), end = start + seconds, t = start;
    while (t < end && n < cap) {
        if (!ctTagRead(h, tag, value, sizeof value)) return free(samples), fail("ctTagRead");
        double t2 = now();
        samples[n++] = (t2 - t) * 1e6;
        t = t2;
    }
    double elapsed = t - start;
    qsort(samples, n, sizeof *samples, by_value);
    printf("{\"reads\": %zu, \"seconds\": %.6f, \"mean_us\": %.3f, \"p50_us\": %.3f, "
           "\"p99_us\": %.3f, \"value\": \"%s\"}\n",
           n, elapsed, elapsed * 1e6 / (double)n, samples[n / 2], samples[n * 99 / 100], value);
    free(samples);
    return 0;
}

static int bench_list(HANDLE h, const char *prefix, int count, double seconds) {
    HANDLE list = ctListNew(h, 0);
    if (!list) return fail("ctListNew");
    HANDLE *tags = calloc((size_t)count, sizeof *tags);
    if (!tags) return fail("calloc");
    char name[128], value[256];
    for (int i = 0; i < count; i++) {
        snprintf(name, sizeof name, "%s%04d", prefix, i);
        tags[i] = ctListAdd(list, name);
        if (!tags[i]) return free(tags), fail("ctListAdd");
    }
    if (!ctListRead(list, NULL)) return free(tags), fail("ctListRead");
    long reads = 0, values = 0;
    double start = now(), end = start + seconds, t = start, in_read = 0;
    while (t < end) {
        if (!ctListRead(list, NULL)) return free(tags), fail("ctListRead");
        double read_done = now();
        in_read += read_done - t;
        for (int i = 0; i < count; i++) {
            if (!ctListData(tags[i], value, sizeof value, 0)) return free(tags), fail("ctListData");
            values++;
        }
        reads++;
        t = now();
    }
    double elapsed = t - start;
    printf("{\"list_reads\": %ld, \"tags\": %d, \"values\": %ld, \"seconds\": %.6f, "
           "\"read_seconds\": %.6f, \"values_per_s\": %.1f}\n",
           reads, count, values, elapsed, in_read, (double)values / elapsed);
    ctListFree(list);
    free(tags);
    return 0;
}

int main(int argc, char **argv) {
    int is_read = argc == 4 && !strcmp(argv[1], "read");
    int is_list = argc == 5 && !strcmp(argv[1], "list");
    if (!is_read && !is_list) {
        fprintf(stderr, "usage: %s read TAG SECONDS | list PREFIX COUNT SECONDS\n", argv[0]);
        return 2;
    }
    HANDLE h = ctOpen(NULL, "engineer", "control", 0);
    if (!h) return fail("ctOpen");
    int rc = is_read ? bench_read(h, argv[2], atof(argv[3]))
                     : bench_list(h, argv[2], atoi(argv[3]), atof(argv[4]));
    ctClose(h);
    return rc;
}
