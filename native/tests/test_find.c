/* Searches, ctGetProperty and ctTagGetProperty against the demo plant. */
#include <string.h>

#include "suite.h"

void test_find(void) {
    HANDLE h = open_demo();
    CHECK(h != NULL);
    if (!h) return;
    HANDLE obj = NULL, first = NULL;
    char buf[128];
    DWORD len = 99;
    HANDLE s = ctFindFirst(h, "Tag", "TAG=PUMP1*", &obj, 0);
    CHECK(s != NULL && obj != NULL);
    first = obj;
    LONG count = ctFindNumRecords(s);
    CHECK(count == 5);
    CHECK(ctGetProperty(obj, "TAG", buf, sizeof buf, &len, DBTYPE_STR) == TRUE);
    CHECK(!strncmp(buf, "PUMP1_", 6) && len == strlen(buf));
    char firstname[64];
    strcpy(firstname, buf);
    CHECK(ctGetProperty(obj, "tag", buf, sizeof buf, &len, DBTYPE_STR) == TRUE); /* any case */
    /* short buffer: what fits, NUL-terminated, FALSE with 111; the length without the NUL */
    char four[4];
    CHECK(ctGetProperty(obj, "TAG", four, sizeof four, &len, DBTYPE_STR) == FALSE);
    CHECK(GetLastError() == 111 && !strcmp(four, "PUM") && len == 3);
    /* field metadata */
    CHECK(ctGetProperty(obj, "object.fields.count", buf, sizeof buf, &len, DBTYPE_STR) == TRUE);
    CHECK(!strcmp(buf, "9"));
    CHECK(ctGetProperty(obj, "object.fields(1).name", buf, sizeof buf, &len, DBTYPE_STR) == TRUE);
    CHECK(!strcmp(buf, "TAG"));
    CHECK(ctGetProperty(obj, "object.fields(2).name", buf, sizeof buf, &len, DBTYPE_STR) == TRUE);
    CHECK(!strcmp(buf, "TYPE"));
    CHECK(ctGetProperty(obj, "NO_SUCH_FIELD", buf, sizeof buf, &len, DBTYPE_STR) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    /* moves: each record handle keeps its record */
    HANDLE second = NULL;
    CHECK(ctFindNext(s, &second) == TRUE && second != NULL && second != first);
    CHECK(ctGetProperty(second, "TAG", buf, sizeof buf, &len, DBTYPE_STR) == TRUE);
    CHECK(strcmp(buf, firstname) != 0);
    CHECK(ctGetProperty(first, "TAG", buf, sizeof buf, &len, DBTYPE_STR) == TRUE);
    CHECK(!strcmp(buf, firstname));
    CHECK(ctFindPrev(s, &obj) == TRUE);
    CHECK(ctFindPrev(s, &obj) == FALSE && GetLastError() == NO_MORE_RECORDS);
    CHECK(ctFindScroll(s, CT_FIND_SCROLL_LAST, 0, &obj) == 5);
    CHECK(ctFindNext(s, &obj) == FALSE && GetLastError() == NO_MORE_RECORDS);
    CHECK(ctFindScroll(s, CT_FIND_SCROLL_ABSOLUTE, 2, &obj) == 2);
    CHECK(ctFindScroll(s, CT_FIND_SCROLL_ABSOLUTE, 99, &obj) == 0);
    CHECK(ctFindNext(s, NULL) == TRUE); /* no record handle wanted */
    CHECK(ctFindClose(s) == TRUE);
    CHECK(ctFindClose(s) == FALSE && GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctGetProperty(first, "TAG", buf, sizeof buf, &len, DBTYPE_STR) == FALSE);
    CHECK(GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctFindNumRecords(s) == -1 && GetLastError() == UNKNOWN_HANDLE);
    /* binary types from a numeric field */
    s = ctFindFirst(h, "Tag", "TAG=PUMP1_SPEED", &obj, 0);
    CHECK(s != NULL);
    double full = 0;
    int i4 = 0;
    CHECK(ctGetProperty(obj, "ENG_FULL", &full, sizeof full, &len, DBTYPE_R8) == TRUE);
    CHECK(full == 1500.0 && len == 8);
    CHECK(ctGetProperty(obj, "RAW_FULL", &i4, sizeof i4, &len, DBTYPE_I4) == TRUE && i4 == 32000);
    CHECK(ctGetProperty(obj, "RAW_FULL", &i4, 2, &len, DBTYPE_I4) == FALSE && GetLastError() == 111);
    CHECK(ctGetProperty(obj, "ENG_UNITS", &i4, sizeof i4, &len, DBTYPE_I4) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctGetProperty(obj, "TAG", buf, sizeof buf, &len, 9999) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctGetProperty(obj, NULL, buf, sizeof buf, &len, DBTYPE_STR) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctGetProperty(obj, "TAG", NULL, 10, &len, DBTYPE_STR) == FALSE && GetLastError() == CITECT(274));
    /* the search handle stands for its current record */
    CHECK(ctGetProperty(s, "TAG", buf, sizeof buf, NULL, DBTYPE_STR) == TRUE);
    CHECK(!strcmp(buf, "PUMP1_SPEED"));
    CHECK(ctFindClose(s) == TRUE);
    /* ctFindFirstEx: the cluster joins the filter */
    s = ctFindFirstEx(h, "Tag", "TAG=PUMP1*", "CLUSTER1", &obj, 0);
    CHECK(s != NULL && ctFindNumRecords(s) == 5);
    CHECK(ctFindClose(s) == TRUE);
    CHECK(ctFindFirstEx(h, "Tag", "TAG=PUMP1*", "NO_CLUSTER", &obj, 0) == NULL);
    CHECK(GetLastError() == NO_MORE_RECORDS);
    s = ctFindFirstEx(h, "Tag", NULL, NULL, &obj, 0);
    CHECK(s != NULL && ctFindNumRecords(s) > 5);
    CHECK(ctFindClose(s) == TRUE);
    /* nothing found, bad arguments */
    CHECK(ctFindFirst(h, "Tag", "TAG=NOTHING_LIKE_THIS", &obj, 0) == NULL && GetLastError() == NO_MORE_RECORDS);
    CHECK(ctFindFirst(h, NULL, "", &obj, 0) == NULL && GetLastError() == CITECT(274));
    CHECK(ctFindFirst(h, "NoSuchTable", "", &obj, 0) == NULL && GetLastError() == CITECT(274));
    CHECK(ctFindFirst(NULL, "Tag", "", &obj, 0) == NULL && GetLastError() == 6);
    CHECK(ctFindNext(h, &obj) == FALSE && GetLastError() == UNKNOWN_HANDLE); /* a connection handle */
    /* ctTagGetProperty */
    CHECK(ctTagGetProperty(h, "PUMP1_SPEED", "ENG_UNITS", buf, sizeof buf, DBTYPE_STR) == TRUE);
    CHECK(!strcmp(buf, "rpm"));
    CHECK(ctTagGetProperty(h, "CLUSTER1.PUMP1_SPEED", "eng_full", &full, sizeof full, DBTYPE_R8));
    CHECK(full == 1500.0);
    CHECK(ctTagGetProperty(h, "NO_SUCH_TAG", "ENG_UNITS", buf, sizeof buf, DBTYPE_STR) == FALSE);
    CHECK(GetLastError() == CITECT(424));
    CHECK(ctTagGetProperty(h, "PUMP1_SPEED", "NOPE", buf, sizeof buf, DBTYPE_STR) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctTagGetProperty(h, "PUMP1*", "TAG", buf, sizeof buf, DBTYPE_STR) == FALSE);
    CHECK(GetLastError() == CITECT(424));
    CHECK(ctTagGetProperty(h, NULL, "TAG", buf, sizeof buf, DBTYPE_STR) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctClose(h) == TRUE);
}
