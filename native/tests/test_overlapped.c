/* ctClientCreate..ctClientDestroy, overlapped calls, ctGetOverlappedResult and ctCancelIO. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <string.h>

#include "suite.h"

void test_clients(void) {
    HANDLE h = ctClientCreate();
    CHECK(h != NULL);
    char buf[64];
    /* created, not open: no calls yet */
    CHECK(ctTagRead(h, "PRODUCT_CODE", buf, sizeof buf) == FALSE && GetLastError() == 6);
    CHECK(ctCloseEx(h, FALSE) == FALSE && GetLastError() == 6);
    CHECK(ctOpenEx("", "engineer", "control", 0, h) == TRUE);
    CHECK(ctOpenEx("", "engineer", "control", 0, h) == FALSE && GetLastError() == OURS(1));
    CHECK(ctTagRead(h, "PRODUCT_CODE", buf, sizeof buf) == TRUE && !strcmp(buf, "BLEND-A42"));
    /* closed, kept, opened again */
    CHECK(ctCloseEx(h, FALSE) == TRUE);
    CHECK(ctTagRead(h, "PRODUCT_CODE", buf, sizeof buf) == FALSE && GetLastError() == 6);
    CHECK(ctOpenEx("", "engineer", "wrong", 0, h) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctOpenEx(NULL, "engineer", "control", 0, h) == TRUE);
    CHECK(ctTagRead(h, "PRODUCT_CODE", buf, sizeof buf) == TRUE);
    CHECK(ctClientDestroy(h) == TRUE); /* closes it too */
    CHECK(ctTagRead(h, "PRODUCT_CODE", buf, sizeof buf) == FALSE && GetLastError() == 6);
    CHECK(ctClientDestroy(h) == FALSE && GetLastError() == 6);
    CHECK(ctOpenEx("", "engineer", "control", 0, h) == FALSE && GetLastError() == 6);
    /* ctCloseEx with bDestroy; ctClose of a ctOpenEx handle destroys it */
    h = ctClientCreate();
    CHECK(ctCloseEx(h, TRUE) == TRUE);
    CHECK(ctCloseEx(h, TRUE) == FALSE && GetLastError() == 6);
    h = ctClientCreate();
    CHECK(ctOpenEx("", "engineer", "control", 0, h) == TRUE);
    CHECK(ctClose(h) == TRUE);
    CHECK(ctClientDestroy(h) == FALSE && GetLastError() == 6);
    /* a ctOpen handle is not a created one; bogus handles */
    HANDLE o = open_demo();
    CHECK(ctOpenEx("", "engineer", "control", 0, o) == FALSE && GetLastError() == 6);
    CHECK(ctCloseEx(o, FALSE) == FALSE && GetLastError() == 6);
    CHECK(ctClientDestroy(NULL) == FALSE && GetLastError() == 6);
    CHECK(ctClose(o) == TRUE);
}

/* several threads, each with overlapped Cicode and plain reads, on one handle */
static HANDLE shared;
static int mismatches;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
    int n = (int)(intptr_t)arg, bad = 0;
    for (int i = 0; i < 25; i++) {
        char cmd[64], buf[64];
        CTOVERLAPPED ov;
        memset(&ov, 0, sizeof ov);
        snprintf(cmd, sizeof cmd, "%d + %d", n, i);
        DWORD bytes = 0;
        if (ctCicode(shared, cmd, 0, 0, buf, sizeof buf, &ov) || GetLastError() != 997) bad++;
        char value[64];
        if (!ctTagRead(shared, "PRODUCT_CODE", value, sizeof value) || strcmp(value, "BLEND-A42"))
            bad++;
        if (!ctGetOverlappedResult(shared, &ov, &bytes, TRUE)) bad++;
        char want[32];
        snprintf(want, sizeof want, "%d", n + i);
        if (strcmp(buf, want) || bytes != strlen(want)) bad++;
    }
    pthread_mutex_lock(&count_lock);
    mismatches += bad;
    pthread_mutex_unlock(&count_lock);
    return NULL;
}

void test_overlapped(void) {
    HANDLE h = open_demo();
    CHECK(h != NULL);
    if (!h) return;
    char buf[64];
    CTOVERLAPPED ov;
    DWORD bytes = 7;
    /* NULL and foreign arguments */
    CHECK(ctGetOverlappedResult(h, NULL, &bytes, FALSE) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctGetOverlappedResult(NULL, &ov, &bytes, FALSE) == FALSE && GetLastError() == 6);
    memset(&ov, 0, sizeof ov);
    ov.dwStatus = STATUS_PENDING; /* not one of the library's */
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, FALSE) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctCancelIO(h, NULL) == FALSE && GetLastError() == CITECT(274)); /* none pending */
    CHECK(ctCancelIO((HANDLE)(uintptr_t)0xbeef, NULL) == FALSE && GetLastError() == 6);
    /* a failing overlapped Cicode: its error at ctGetOverlappedResult */
    memset(&ov, 0, sizeof ov);
    CHECK(ctCicode(h, "NoSuchFunction(1)", 0, 0, buf, sizeof buf, &ov) == FALSE);
    CHECK(GetLastError() == 997);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, TRUE) == FALSE && GetLastError() == OURS(4));
    CHECK(ov.dwStatus == OURS(4) && ctHasOverlappedIoCompleted(&ov));
    /* collected: asking again reads what dwStatus says */
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, FALSE) == FALSE && GetLastError() == OURS(4));
    /* too small a result buffer: 111 at completion, the buffer untouched */
    char two[2] = "x";
    memset(&ov, 0, sizeof ov);
    CHECK(ctCicode(h, "Version(3)", 0, 0, two, sizeof two, &ov) == FALSE && GetLastError() == 997);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, TRUE) == FALSE && GetLastError() == 111);
    CHECK(two[0] == 'x');
    /* polling: ctHasOverlappedIoCompleted turns true by itself */
    memset(&ov, 0, sizeof ov);
    CHECK(ctCicode(h, "Version(3)", 0, 0, buf, sizeof buf, &ov) == FALSE && GetLastError() == 997);
    volatile CTOVERLAPPED *watched = &ov; /* written by the library's I/O thread */
    time_t deadline = time(NULL) + 10;
    while (watched->dwStatus == STATUS_PENDING && time(NULL) < deadline) sched_yield();
    CHECK(ctHasOverlappedIoCompleted(&ov) && ov.dwStatus == 0 && ov.dwLength == 4);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, FALSE) == TRUE && bytes == 4);
    /* bad arguments complete the CTOVERLAPPED at once with their error */
    memset(&ov, 0, sizeof ov);
    CHECK(ctCicode(h, NULL, 0, 0, buf, sizeof buf, &ov) == FALSE && GetLastError() == CITECT(274));
    CHECK(ov.dwStatus == CITECT(274));
    CHECK(ctTagWriteEx((HANDLE)(uintptr_t)0xbeef, "X", "1", &ov) == FALSE && ov.dwStatus == 6);
    /* threads share the handle, overlapped and not */
    shared = h;
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)(i * 100));
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    CHECK(mismatches == 0);
    CHECK(ctClose(h) == TRUE);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, FALSE) == FALSE && GetLastError() == 6);
}
