/* The C test suite of libctapi, against a live emulator (tests/native/test_c_suite.py starts
 * the demo plant and exports SCADA_EMU_READY_FILE). Prints one line per check and closes with
 * "N passed, M failed". Built with -fsanitize=address,undefined. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctapi.h"

#include "suite.h"

int passed, failed;

HANDLE open_demo(void) { return ctOpen("", "engineer", "control", 0); }

static void test_open_read_write_cicode_close(void) {
    HANDLE h = open_demo();
    CHECK(h != NULL);
    if (!h) return;
    char buf[64];
    CHECK(ctTagRead(h, "PUMP1_SPEED", buf, sizeof buf) == TRUE);
    CHECK(strlen(buf) > 0);
    CHECK(ctTagWrite(h, "BLEND_RATIO_SP", "0.5") == TRUE);
    CHECK(ctTagRead(h, "BLEND_RATIO_SP", buf, sizeof buf) == TRUE);
    CHECK(strcmp(buf, "0.500") == 0);
    CHECK(ctTagRead(h, "PRODUCT_CODE", buf, sizeof buf) == TRUE);
    CHECK(strcmp(buf, "BLEND-A42") == 0);
    CHECK(ctCicode(h, "Version(3)", 0, 0, buf, sizeof buf, NULL) == TRUE);
    CHECK(strcmp(buf, "8.40") == 0);
    /* overlapped: pending at return, completed by the library's I/O thread */
    CTOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    memset(buf, 0, sizeof buf);
    CHECK(ctCicode(h, "Version(3)", 0, 0, buf, sizeof buf, &ov) == FALSE);
    CHECK(GetLastError() == 997);
    DWORD bytes = 99;
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, TRUE) == TRUE);
    CHECK(bytes == 4 && ov.dwStatus == 0 && ov.dwLength == 4 && ov.pData == (BYTE *)buf);
    CHECK(strcmp(buf, "8.40") == 0);
    CHECK(ctHasOverlappedIoCompleted(&ov));
    CHECK(ctClose(h) == TRUE);
}

static void test_read_ex_and_write_ex(void) {
    HANDLE h = open_demo();
    CHECK(h != NULL);
    if (!h) return;
    char buf[64];
    CT_TAGVALUE_ITEMS items;
    memset(&items, 0, sizeof items);
    CHECK(ctTagReadEx(h, "TANK1_LEVEL", buf, sizeof buf, &items) == TRUE);
    CHECK(strlen(buf) > 0);
    CHECK(items.dwLength == sizeof items);
    CHECK(items.bQualityGeneral == 3);
    CHECK(items.nValueTimestamp > 116444736000000000LL);
    CHECK(ctTagReadEx(h, "TANK1_LEVEL", buf, sizeof buf, NULL) == TRUE);
    char tiny[1];
    CHECK(ctTagReadEx(h, "PRODUCT_CODE", tiny, sizeof tiny, &items) == FALSE);
    CHECK(GetLastError() == 111);
    CTOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD bytes = 99;
    CHECK(ctTagWriteEx(h, "BLEND_RATIO_SP", "0.75", &ov) == FALSE && GetLastError() == 997);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, TRUE) == TRUE);
    CHECK(ov.dwStatus == 0 && bytes == 0);
    CHECK(ctTagRead(h, "BLEND_RATIO_SP", buf, sizeof buf) == TRUE && strcmp(buf, "0.750") == 0);
    CHECK(ctTagWriteEx(h, "TANK1_LEVEL", "1", &ov) == FALSE && GetLastError() == 997);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, TRUE) == FALSE);
    /* tag_read_only: a refused command is a Plant SCADA code (errors.py ours(3), issue 14) */
    CHECK(GetLastError() == CITECT(0x1003) && ov.dwStatus == CITECT(0x1003));
    CHECK(ctTagWriteEx(h, "BLEND_RATIO_SP", "0.5", NULL) == TRUE);
    CHECK(ctClose(h) == TRUE);
}

static void test_tls(void) {
    /* CT_OPEN_CRYPT: the encrypted listener of the ready file, verified against its CA */
    HANDLE h = ctOpen("", "engineer", "control", CT_OPEN_CRYPT);
    CHECK(h != NULL);
    if (!h) return;
    char buf[64];
    CHECK(ctTagRead(h, "PRODUCT_CODE", buf, sizeof buf) == TRUE);
    CHECK(strcmp(buf, "BLEND-A42") == 0);
    CHECK(ctCicode(h, "Version(3)", 0, 0, buf, sizeof buf, NULL) == TRUE);
    CHECK(ctClose(h) == TRUE);
    /* a CA that did not sign the server's certificate: refused, no plain fallback */
    const char *bad = getenv("CTAPI_TEST_WRONG_CA_READY_FILE");
    if (bad) {
        char *saved = strdup(getenv("SCADA_EMU_READY_FILE"));
        setenv("SCADA_EMU_READY_FILE", bad, 1);
        CHECK(ctOpen("", "engineer", "control", CT_OPEN_CRYPT) == NULL);
        CHECK(GetLastError() == 1236);
        setenv("SCADA_EMU_READY_FILE", saved, 1);
        free(saved);
    }
}

static void test_errors_from_the_server(void) {
    HANDLE h = open_demo();
    CHECK(h != NULL);
    if (!h) return;
    char buf[64];
    CHECK(ctTagRead(h, "NO_SUCH_TAG", buf, sizeof buf) == FALSE);
    CHECK(GetLastError() == CITECT(424));
    CHECK(IsCitectError(GetLastError()));
    CHECK(ctTagWrite(h, "TANK1_LEVEL", "50") == FALSE);
    CHECK(GetLastError() == CITECT(0x1003)); /* tag_read_only (errors.py, issue 14) */
    CHECK(ctCicode(h, "NoSuchFunction(1)", 0, 0, buf, sizeof buf, NULL) == FALSE);
    CHECK(GetLastError() == CITECT(0x1004)); /* unknown_function (errors.py, issue 14) */
    /* the connection is still good after Plant SCADA errors */
    CHECK(ctTagRead(h, "PUMP1_SPEED", buf, sizeof buf) == TRUE);
    CHECK(ctClose(h) == TRUE);
}

static void test_bad_arguments_and_small_buffers(void) {
    HANDLE h = open_demo();
    CHECK(h != NULL);
    if (!h) return;
    char small[9];
    strcpy(small, "1200");
    /* "BLEND-A42" and its NUL need 10 bytes: FALSE, 111, the buffer untouched */
    CHECK(ctTagRead(h, "PRODUCT_CODE", small, sizeof small) == FALSE);
    CHECK(GetLastError() == 111);
    CHECK(strcmp(small, "1200") == 0);
    char two[2];
    CHECK(ctCicode(h, "Version(3)", 0, 0, two, sizeof two, NULL) == FALSE);
    CHECK(GetLastError() == 111);
    CHECK(ctTagRead(h, NULL, small, sizeof small) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctTagRead(h, "PUMP1_SPEED", NULL, 16) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctTagRead(h, "PUMP1_SPEED", small, 0) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctTagWrite(h, "BLEND_RATIO_SP", NULL) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctTagWrite(h, NULL, "1") == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctCicode(h, NULL, 0, 0, small, sizeof small, NULL) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctClose(h) == TRUE);
}

static void test_closed_and_bogus_handles(void) {
    HANDLE h = open_demo();
    CHECK(h != NULL);
    char buf[16];
    CHECK(ctClose(h) == TRUE);
    CHECK(ctTagRead(h, "PUMP1_SPEED", buf, sizeof buf) == FALSE);
    CHECK(GetLastError() == 6);
    CHECK(ctClose(h) == FALSE);
    CHECK(GetLastError() == 6);
    CHECK(ctTagWrite(NULL, "X", "1") == FALSE);
    CHECK(GetLastError() == 6);
    CHECK(ctCicode((HANDLE)(uintptr_t)0xdead, "Version(3)", 0, 0, buf, sizeof buf, NULL) == FALSE);
    CHECK(GetLastError() == 6);
}

static void test_open_failures(void) {
    CHECK(ctOpen("", "engineer", "wrong", 0) == NULL);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctOpen("", "engineer", "control", 0x40) == NULL);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctOpen("NO-SUCH-COMPUTER", "engineer", "control", 0) == NULL);
    CHECK(GetLastError() == 53);
    /* an emulator that is not there: nothing listens on 127.0.0.1:1 */
    const char *ready = getenv("SCADA_EMU_READY_FILE");
    char *saved = ready ? strdup(ready) : NULL;
    unsetenv("SCADA_EMU_READY_FILE");
    const char *gone = getenv("CTAPI_TEST_ABSENT_READY_FILE");
    if (gone) {
        setenv("SCADA_EMU_READY_FILE", gone, 1);
        CHECK(ctOpen("", "engineer", "control", 0) == NULL);
        CHECK(GetLastError() == 1225);
    }
    setenv("SCADA_EMU_READY_FILE", "/nonexistent/ready.json", 1);
    CHECK(ctOpen("", "engineer", "control", 0) == NULL);
    CHECK(GetLastError() == 87);
    if (saved) setenv("SCADA_EMU_READY_FILE", saved, 1);
    free(saved);
}

static void test_scaling(void) {
    CTSCALE s = {.RawZero = 0, .RawFull = 32000, .EngZero = 0, .EngFull = 100};
    double out = 0;
    CHECK(ctEngToRaw(&out, 50.0, &s, 0) == TRUE && out == 16000.0);
    CHECK(ctRawToEng(&out, 8000.0, &s, 0) == TRUE && out == 25.0);
    CHECK(ctEngToRaw(&out, 150.0, &s, CT_SCALE_RANGE_CHECK) == FALSE);
    CHECK(GetLastError() == CITECT(257));
    CHECK(out == 48000.0); /* the reference: pResult still holds the scaled value */
    CHECK(ctEngToRaw(&out, 150.0, &s, CT_SCALE_CLAMP_LIMIT) == TRUE && out == 32000.0);
    CHECK(ctRawToEng(&out, -10.0, &s, CT_SCALE_CLAMP_LIMIT) == TRUE && out == 0.0);
    CHECK(ctEngToRaw(&out, 1.0, &s, CT_SCALE_CLAMP_LIMIT | CT_SCALE_RANGE_CHECK) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctEngToRaw(NULL, 1.0, &s, 0) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctRawToEng(&out, 1.0, NULL, 0) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctSetManagedBinDirectory("/opt/citect/bin") == TRUE);
}


/* several threads on one handle */
static HANDLE shared;
static int thread_failures;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void *reader(void *arg) {
    (void)arg;
    char buf[64];
    for (int i = 0; i < 50; i++) {
        if (!ctTagRead(shared, "PRODUCT_CODE", buf, sizeof buf) || strcmp(buf, "BLEND-A42")) {
            pthread_mutex_lock(&count_lock);
            thread_failures++;
            pthread_mutex_unlock(&count_lock);
        }
    }
    return NULL;
}

static void test_threads_share_a_handle(void) {
    shared = open_demo();
    CHECK(shared != NULL);
    if (!shared) return;
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, reader, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    CHECK(thread_failures == 0);
    CHECK(ctClose(shared) == TRUE);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    test_open_read_write_cicode_close();
    test_read_ex_and_write_ex();
    test_tls();
    test_errors_from_the_server();
    test_bad_arguments_and_small_buffers();
    test_closed_and_bogus_handles();
    test_open_failures();
    test_scaling();
    test_clients();
    test_overlapped();
    test_lists();
    test_find();
    test_points();
    test_bad_servers();
    test_threads_share_a_handle();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
