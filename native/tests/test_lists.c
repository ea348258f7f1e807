/* Tag lists against the demo plant. */
#include <string.h>

#include "suite.h"

/* A list bigger than one reply: ctListRead gathers every list.values page, ctListData answers
 * each tag from them, and a later read brings the new values. */
static void test_a_big_list(HANDLE h) {
    enum { COUNT = 3000 }; /* about three pages of 48 KiB */
    static HANDLE tags[COUNT];
    char buf[64], want[64];
    HANDLE list = ctListNew(h, 0);
    CHECK(list != NULL);
    int added = 0;
    for (int i = 0; i < COUNT; i++) added += (tags[i] = ctListAdd(list, "PRODUCT_CODE")) != NULL;
    CHECK(added == COUNT);
    CHECK(ctTagWrite(h, "PRODUCT_CODE", "PAGED-1") == TRUE);
    CHECK(ctListRead(list, NULL) == TRUE);
    CHECK(ctTagWrite(h, "PRODUCT_CODE", "PAGED-2") == TRUE); /* not seen until the next read */
    int same = 0;
    for (int i = 0; i < COUNT; i++)
        same += ctListData(tags[i], buf, sizeof buf, 0) && !strcmp(buf, "PAGED-1");
    CHECK(same == COUNT);
    CHECK(ctListRead(list, NULL) == TRUE);
    CHECK(ctTagRead(h, "PRODUCT_CODE", want, sizeof want) == TRUE);
    same = 0;
    for (int i = 0; i < COUNT; i++)
        same += ctListData(tags[i], buf, sizeof buf, 0) && !strcmp(buf, want);
    CHECK(same == COUNT && !strcmp(want, "PAGED-2"));
    CHECK(ctListDelete(tags[0]) == TRUE);
    CHECK(ctListData(tags[0], buf, sizeof buf, 0) == FALSE && GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctTagWrite(h, "PRODUCT_CODE", "BLEND-A42") == TRUE);
    CHECK(ctListFree(list) == TRUE);
}

void test_lists(void) {
    HANDLE h = open_demo();
    CHECK(h != NULL);
    if (!h) return;
    char buf[64];
    HANDLE list = ctListNew(h, CT_LIST_EVENT);
    CHECK(list != NULL);
    HANDLE speed = ctListAdd(list, "PUMP1_SPEED");
    HANDLE code = ctListAdd(list, "PRODUCT_CODE");
    HANDLE sp = ctListAddEx(list, "BLEND_RATIO_SP", FALSE, 100, -1.0);
    HANDLE raw = ctListAddEx(list, "PUMP1_SPEED", TRUE, 500, 10.0);
    CHECK(speed && code && sp && raw);
    /* before the first read: Plant SCADA's "no valid data yet" */
    CHECK(ctListData(speed, buf, sizeof buf, 0) == FALSE && GetLastError() == CITECT(25));
    CHECK(ctListRead(list, NULL) == TRUE);
    CHECK(ctListData(code, buf, sizeof buf, 0) == TRUE && !strcmp(buf, "BLEND-A42"));
    CHECK(ctListData(speed, buf, sizeof buf, 0) == TRUE && strlen(buf) > 0);
    char eng[64];
    strcpy(eng, buf);
    /* CT_FMT_NO_SCALE is ignored; the raw handle gives raw values */
    CHECK(ctListData(speed, buf, sizeof buf, CT_FMT_NO_SCALE) == TRUE && !strcmp(buf, eng));
    CHECK(ctListData(raw, buf, sizeof buf, 0) == TRUE && strcmp(buf, eng) != 0);
    char tiny[3] = "ab";
    CHECK(ctListData(code, tiny, sizeof tiny, 0) == FALSE && GetLastError() == 111);
    CHECK(!strcmp(tiny, "ab"));
    CHECK(ctListData(code, NULL, 10, 0) == FALSE && GetLastError() == CITECT(274));
    /* items */
    CHECK(ctListItem(code, CT_LIST_QUALITY_GENERAL, buf, sizeof buf, 0) == TRUE && !strcmp(buf, "3"));
    CHECK(ctListItem(code, CT_LIST_VALUE, buf, sizeof buf, 0) == TRUE && !strcmp(buf, "BLEND-A42"));
    CHECK(ctListItem(code, CT_LIST_TIMESTAMP, buf, sizeof buf, 0) == TRUE && strlen(buf) > 5);
    CHECK(ctListItem(code, 0, buf, sizeof buf, 0) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctListItem(code, 12, buf, sizeof buf, 0) == FALSE && GetLastError() == CITECT(274));
    /* events: first reads are events with CT_LIST_EVENT_NEW */
    int events = 0;
    HANDLE ev;
    while ((ev = ctListEvent(list, CT_LIST_EVENT_NEW)) != NULL && events < 10) events++;
    CHECK(events >= 1 && GetLastError() == 0);
    /* writes */
    CHECK(ctListWrite(sp, "0.25", NULL) == TRUE);
    CHECK(ctListWrite(code, NULL, NULL) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctListWrite(speed, "99999", NULL) == FALSE && GetLastError() == CITECT(257));
    CTOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    DWORD bytes;
    CHECK(ctListWrite(sp, "0.5", &ov) == FALSE && GetLastError() == 997);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, TRUE) == TRUE && ov.dwStatus == 0);
    CHECK(ctListRead(list, NULL) == TRUE);
    CHECK(ctListData(sp, buf, sizeof buf, 0) == TRUE && !strcmp(buf, "0.500"));
    /* an overlapped read waits for a change: a write on the same handle makes one */
    memset(&ov, 0, sizeof ov);
    CHECK(ctListRead(list, &ov) == FALSE && GetLastError() == 997);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, FALSE) == FALSE && GetLastError() == 996);
    CHECK(ov.dwStatus == STATUS_PENDING && !ctHasOverlappedIoCompleted(&ov));
    CHECK(ctTagWrite(h, "BLEND_RATIO_SP", "0.75") == TRUE);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, TRUE) == TRUE && ov.dwStatus == 0);
    CHECK(ctListData(sp, buf, sizeof buf, 0) == TRUE && !strcmp(buf, "0.750"));
    /* a tag that does not exist: a handle anyway, FALSE at the read with its error */
    HANDLE none = ctListAdd(list, "NO_SUCH_TAG");
    CHECK(none != NULL);
    CHECK(ctListRead(list, NULL) == FALSE && GetLastError() == CITECT(424));
    CHECK(ctListData(none, buf, sizeof buf, 0) == FALSE && GetLastError() == CITECT(424));
    CHECK(ctListData(code, buf, sizeof buf, 0) == TRUE); /* the others were read */
    CHECK(ctListDelete(none) == TRUE);
    CHECK(ctListDelete(none) == FALSE && GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctListRead(list, NULL) == TRUE);
    /* ctCancelIO takes a pending read back */
    memset(&ov, 0, sizeof ov);
    HANDLE quiet = ctListNew(h, 0);
    CHECK(ctListAdd(quiet, "PRODUCT_CODE") != NULL);
    CHECK(ctListRead(quiet, NULL) == TRUE);
    CHECK(ctListRead(quiet, &ov) == FALSE && GetLastError() == 997);
    CHECK(ctCancelIO(h, &ov) == TRUE);
    CHECK(ov.dwStatus == 995);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, TRUE) == FALSE && GetLastError() == 995);
    CHECK(ctCancelIO(h, &ov) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctListFree(quiet) == TRUE);
    /* bad arguments and foreign handles */
    CHECK(ctListNew(NULL, 0) == NULL && GetLastError() == 6);
    CHECK(ctListAdd(h, "PUMP1_SPEED") == NULL && GetLastError() == UNKNOWN_HANDLE); /* a connection handle */
    CHECK(ctListAdd(list, NULL) == NULL && GetLastError() == CITECT(274));
    CHECK(ctListAddEx(list, "PUMP1_SPEED", FALSE, 500, -5.0) == NULL && GetLastError() == CITECT(274));
    CHECK(ctListAddEx(list, "PUMP1_SPEED", FALSE, -1, 0) == NULL && GetLastError() == CITECT(274));
    CHECK(ctListRead(speed, NULL) == FALSE && GetLastError() == UNKNOWN_HANDLE); /* a tag handle */
    CHECK(ctListData(list, buf, sizeof buf, 0) == FALSE && GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctListEvent(speed, 0) == NULL && GetLastError() == UNKNOWN_HANDLE);
    HANDLE plain = ctListNew(h, 0);
    CHECK(ctListEvent(plain, 0) == NULL && GetLastError() == CITECT(274)); /* not CT_LIST_EVENT */
    CHECK(ctListFree(plain) == TRUE);
    test_a_big_list(h);
    /* after ctClose: list handles stay until freed, but serve no more */
    CHECK(ctClose(h) == TRUE);
    CHECK(ctListRead(list, NULL) == FALSE && GetLastError() == 6);
    CHECK(ctListFree(list) == TRUE);
    CHECK(ctListFree(list) == FALSE && GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctListData(speed, buf, sizeof buf, 0) == FALSE && GetLastError() == UNKNOWN_HANDLE);
}
