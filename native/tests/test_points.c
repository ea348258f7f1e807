/* Points against the demo plant: raw data of each type, scaling both ways, properties,
 * copies, and every bad argument (docs/native.md "Points"). */
#include <stdint.h>
#include <string.h>

#include "suite.h"

static void test_an_int_point(HANDLE h) {
    /* PUMP1_SPEED: INT, raw 0..32000 is 0..1500 rpm; the demo starts at 1200 rpm */
    CTOVERLAPPED ov;
    memset(&ov, 0xFF, sizeof ov);
    HANDLE speed = ctTagToPoint(h, "PUMP1_SPEED", 0, &ov);
    CHECK(speed != NULL && ov.dwStatus == 0);
    CHECK(ctPointDataSize(speed) == 2 && ctPointBitShift(speed) == 0);
    int16_t raw = 0;
    CHECK(ctPointRead(h, speed, &raw, sizeof raw, NULL) == TRUE && raw == 25600);
    char text[32];
    CHECK(ctPointToStr(speed, (BYTE *)&raw, sizeof raw, (BYTE *)text, sizeof text, 0) == TRUE);
    CHECK(!strcmp(text, "1200"));
    CHECK(ctPointToStr(speed, (BYTE *)&raw, sizeof raw, (BYTE *)text, sizeof text,
                       CT_FMT_NO_SCALE) == TRUE && !strcmp(text, "25600"));
    int16_t half = 0;
    CHECK(ctStrToPoint(speed, "750", 0, (BYTE *)&half, sizeof half, 0) == TRUE && half == 16000);
    CHECK(ctPointWrite(h, speed, &half, sizeof half, NULL) == TRUE);
    char value[32];
    CHECK(ctTagRead(h, "PUMP1_SPEED", value, sizeof value) == TRUE && !strcmp(value, "750"));
    /* "1200 rpm" and its unscaled form; three characters taken of "1200xyz" */
    CHECK(ctStrToPoint(speed, "1200xyz", 4, (BYTE *)&raw, sizeof raw, 0) == TRUE && raw == 25600);
    CHECK(ctPointWrite(h, speed, &raw, sizeof raw, NULL) == TRUE);
    /* out of an int16, not a number, buffers too small */
    CHECK(ctStrToPoint(speed, "99999", 0, (BYTE *)&raw, sizeof raw, CT_FMT_NO_SCALE) == FALSE &&
          GetLastError() == CITECT(257));
    CHECK(ctStrToPoint(speed, "fast", 0, (BYTE *)&raw, sizeof raw, 0) == FALSE &&
          GetLastError() == CITECT(274));
    char one;
    CHECK(ctPointRead(h, speed, &one, 1, NULL) == FALSE && GetLastError() == 111);
    CHECK(ctPointToStr(speed, (BYTE *)&raw, sizeof raw, (BYTE *)text, 2, 0) == FALSE &&
          GetLastError() == 111);
    CHECK(ctPointToStr(speed, (BYTE *)&raw, 1, (BYTE *)text, sizeof text, 0) == FALSE &&
          GetLastError() == CITECT(274));
    /* properties of its Tag record */
    char units[16];
    DWORD len = 99;
    CHECK(ctPointGetProperty(speed, "ENG_UNITS", units, sizeof units, &len, DBTYPE_STR) == TRUE);
    CHECK(!strcmp(units, "rpm") && len == 3);
    CHECK(ctPointGetProperty(speed, "type", units, sizeof units, &len, DBTYPE_STR) == TRUE);
    CHECK(!strcmp(units, "INT"));
    double full = 0;
    CHECK(ctPointGetProperty(speed, "ENG_FULL", &full, sizeof full, &len, DBTYPE_R8) == TRUE);
    CHECK(full == 1500.0 && len == 8);
    CHECK(ctPointGetProperty(speed, "COLOUR", units, sizeof units, &len, DBTYPE_STR) == FALSE &&
          GetLastError() == CITECT(274) && len == 0);
    /* a copy lives on its own */
    HANDLE copy = ctPointCopy(speed);
    CHECK(copy != NULL && copy != speed);
    CHECK(ctPointClose(h, speed) == TRUE);
    CHECK(ctPointRead(h, speed, &raw, sizeof raw, NULL) == FALSE && GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctPointRead(h, copy, &raw, sizeof raw, NULL) == TRUE && raw == 25600);
    CHECK(ctPointClose(h, copy) == TRUE);
    CHECK(ctPointClose(h, copy) == FALSE && GetLastError() == UNKNOWN_HANDLE);
}

static void test_points_of_every_type(HANDLE h) {
    /* TANK1_LEVEL: REAL, raw 4000..20000 is 0..100 %, 62 % at start: raw 13920 */
    HANDLE level = ctTagToPoint(h, "TANK1_LEVEL", 0, NULL);
    float f = 0;
    CHECK(level && ctPointDataSize(level) == 4);
    CHECK(ctPointRead(h, level, &f, sizeof f, NULL) == TRUE && f == 13920.0f);
    char text[32];
    CHECK(ctPointToStr(level, (BYTE *)&f, sizeof f, (BYTE *)text, sizeof text, 0) == TRUE);
    CHECK(!strcmp(text, "62"));
    CHECK(ctPointClose(h, level) == TRUE);
    /* PUMP1_RUN: DIGITAL, a WORD */
    HANDLE run = ctTagToPoint(h, "PUMP1_RUN", 0, NULL);
    uint16_t w = 7;
    CHECK(run && ctPointDataSize(run) == 2 && ctPointBitShift(run) == 0);
    CHECK(ctPointRead(h, run, &w, sizeof w, NULL) == TRUE && w == 1);
    CHECK(ctStrToPoint(run, "0", 0, (BYTE *)&w, sizeof w, 0) == TRUE && w == 0);
    CHECK(ctPointToStr(run, (BYTE *)&w, sizeof w, (BYTE *)text, sizeof text, 0) == TRUE);
    CHECK(!strcmp(text, "0"));
    CHECK(ctPointClose(h, run) == TRUE);
    /* PRODUCT_CODE: STRING, 256 bytes, written back as it was */
    HANDLE code = ctTagToPoint(h, "PRODUCT_CODE", 0, NULL);
    char s[256];
    CHECK(code && ctPointDataSize(code) == 256);
    CHECK(ctPointRead(h, code, s, sizeof s, NULL) == TRUE && !strcmp(s, "BLEND-A42"));
    CHECK(ctStrToPoint(code, "POINTED", 0, (BYTE *)s, sizeof s, 0) == TRUE);
    CHECK(ctPointWrite(h, code, s, sizeof s, NULL) == TRUE);
    char value[32];
    CHECK(ctTagRead(h, "PRODUCT_CODE", value, sizeof value) == TRUE && !strcmp(value, "POINTED"));
    CHECK(ctTagWrite(h, "PRODUCT_CODE", "BLEND-A42") == TRUE);
    CHECK(ctPointClose(h, code) == TRUE);
}

static void test_bad_points(HANDLE h) {
    CTOVERLAPPED ov;
    memset(&ov, 0xFF, sizeof ov);
    CHECK(ctTagToPoint(h, "NO_SUCH_TAG", 0, &ov) == NULL && GetLastError() == CITECT(424));
    CHECK(ov.dwStatus == CITECT(424));
    CHECK(ctTagToPoint(h, NULL, 0, NULL) == NULL && GetLastError() == CITECT(274));
    CHECK(ctTagToPoint(h, "PUMP1_SPEED", 0x80, NULL) == NULL && GetLastError() == CITECT(274));
    CHECK(ctTagToPoint(NULL, "PUMP1_SPEED", 0, NULL) == NULL && GetLastError() == 6);
    HANDLE speed = ctTagToPoint(h, "PUMP1_SPEED", 0, NULL);
    int16_t raw;
    CHECK(ctPointRead(h, speed, NULL, 2, NULL) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctPointWrite(h, speed, NULL, 2, NULL) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctPointRead(NULL, speed, &raw, 2, NULL) == FALSE && GetLastError() == 6);
    CHECK(ctPointRead(h, h, &raw, 2, NULL) == FALSE && GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctPointDataSize((HANDLE)0xDEAD) == 0 && GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctPointCopy(NULL) == NULL && GetLastError() == UNKNOWN_HANDLE);
    CHECK(ctPointGetProperty(speed, NULL, &raw, 2, NULL, DBTYPE_STR) == FALSE &&
          GetLastError() == CITECT(274));
    CHECK(ctStrToPoint(speed, NULL, 0, (BYTE *)&raw, 2, 0) == FALSE && GetLastError() == CITECT(274));
    CHECK(ctPointToStr(speed, (BYTE *)&raw, 2, NULL, 8, 0) == FALSE && GetLastError() == CITECT(274));
    /* a point is its handle's: another handle neither reads nor closes it */
    HANDLE other = open_demo();
    CHECK(other && ctPointRead(other, speed, &raw, 2, NULL) == FALSE && GetLastError() == 6);
    CHECK(ctPointClose(other, speed) == FALSE && GetLastError() == 6);
    CHECK(ctClose(other) == TRUE);
    CHECK(ctPointClose(h, speed) == TRUE);
}

void test_points(void) {
    HANDLE h = open_demo();
    CHECK(h != NULL);
    if (!h) return;
    test_an_int_point(h);
    test_points_of_every_type(h);
    test_bad_points(h);
    CHECK(ctClose(h) == TRUE);
}
