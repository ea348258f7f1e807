/* The C suite's shared checks (test_ctapi.c has main and the counters). */
#ifndef CTAPI_TEST_SUITE_H
#define CTAPI_TEST_SUITE_H

#include <stdio.h>

#include "ctapi.h"

extern int passed, failed;

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (cond) {                                                                         \
            passed++;                                                                       \
        } else {                                                                            \
            failed++;                                                                       \
            printf("FAIL %s:%d: %s (last error %lu)\n", __FILE__, __LINE__, #cond,        \
                   (unsigned long)GetLastError());                                          \
        }                                                                                   \
    } while (0)

#define CITECT(n) (ERROR_USER_DEFINED_BASE + (n))
/* errors.py ours(n): the emulator's own Plant SCADA codes */
#define OURS(n) CITECT(0x1000 + (n))
#define NO_MORE_RECORDS OURS(8)
#define UNKNOWN_HANDLE OURS(6) /* a list, tag, search or record handle never given */

HANDLE open_demo(void);

void test_clients(void);
void test_overlapped(void);
void test_lists(void);
void test_find(void);
void test_points(void);
void test_bad_servers(void);

#endif
