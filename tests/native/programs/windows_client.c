/* A Windows CtAPI client, built with mingw-w64 against native/include/ctapi.h and linked with
 * CtApi.dll, run under wine by tests/native/test_windows.py against the demo plant on
 * loopback (SCADA_EMU_READY_FILE names its ready file; CTAPI_TEST_WRONG_CA_READY_FILE the same
 * with a CA that signed none of its certificates). Each argument is an export name it
 * resolves with GetProcAddress first, as ctapi-go does at start. Prints one line per failed
 * check and closes with "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "ctapi.h"

static int passed, failed;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (cond) {                                                                          \
            passed++;                                                                        \
        } else {                                                                             \
            failed++;                                                                        \
            printf("FAIL line %d: %s (GetLastError %lu)\n", __LINE__, #cond,                 \
                   (unsigned long)GetLastError());                                           \
        }                                                                                    \
    } while (0)

#define CITECT(n) (ERROR_USER_DEFINED_BASE + (n))

int main(int argc, char **argv) {
    HMODULE dll = GetModuleHandleA("CtApi.dll");
    CHECK(dll != NULL);
    for (int i = 1; dll && i < argc; i++) {
        FARPROC proc = GetProcAddress(dll, argv[i]);
        if (!proc) printf("missing export %s\n", argv[i]);
        CHECK(proc != NULL);
    }
    CHECK(ctSetManagedBinDirectory("C:\\Program Files (x86)\\AVEVA Plant SCADA\\Bin\\Bin (x64)"));

    HANDLE h = ctOpen(NULL, "engineer", "control", 0);
    CHECK(h != NULL);
    if (!h) goto done;
    char buf[64];
    CHECK(ctTagRead(h, "PRODUCT_CODE", buf, sizeof buf) == TRUE);
    CHECK(strcmp(buf, "BLEND-A42") == 0);
    CHECK(ctTagWrite(h, "BLEND_RATIO_SP", "0.75") == TRUE);
    CHECK(GetLastError() == 0);
    CHECK(ctTagRead(h, "BLEND_RATIO_SP", buf, sizeof buf) == TRUE);
    CHECK(strcmp(buf, "0.750") == 0);
    CHECK(ctCicode(h, "Version(3)", 0, 0, buf, sizeof buf, NULL) == TRUE);
    CHECK(strcmp(buf, "8.40") == 0);
    /* overlapped, as the reference has it: FALSE with ERROR_IO_PENDING, then the event */
    CTOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.dwLength = sizeof ov;
    ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
    memset(buf, 0, sizeof buf);
    CHECK(ctCicode(h, "Version(3)", 0, 0, buf, sizeof buf, &ov) == FALSE);
    CHECK(GetLastError() == ERROR_IO_PENDING);
    CHECK(WaitForSingleObject(ov.hEvent, 30000) == WAIT_OBJECT_0);
    DWORD got = 0;
    CHECK(ctGetOverlappedResult(h, &ov, &got, FALSE) == TRUE);
    CHECK(got == 4 && ov.dwStatus == 0 && strcmp(buf, "8.40") == 0);
    CloseHandle(ov.hEvent);
    CT_TAGVALUE_ITEMS items;
    memset(&items, 0, sizeof items);
    CHECK(ctTagReadEx(h, "TANK1_LEVEL", buf, sizeof buf, &items) == TRUE);
    CHECK(items.dwLength == sizeof items && items.nTimestamp > 0);

    /* refused calls: the code comes back through kernel32's GetLastError */
    SetLastError(0);
    CHECK(ctTagRead(h, "NO_SUCH_TAG", buf, sizeof buf) == FALSE);
    CHECK(GetLastError() == CITECT(424));
    char small[4] = "abc";
    CHECK(ctTagRead(h, "PRODUCT_CODE", small, sizeof small) == FALSE);
    CHECK(GetLastError() == ERROR_BUFFER_OVERFLOW);
    CHECK(strcmp(small, "abc") == 0);
    CHECK(ctTagRead(h, NULL, buf, sizeof buf) == FALSE);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctClose(h) == TRUE);
    CHECK(ctTagRead(h, "PRODUCT_CODE", buf, sizeof buf) == FALSE);
    CHECK(GetLastError() == ERROR_INVALID_HANDLE);
    CHECK(ctTagRead((HANDLE)(uintptr_t)0xdead, "PRODUCT_CODE", buf, sizeof buf) == FALSE);
    CHECK(GetLastError() == ERROR_INVALID_HANDLE);

    /* TLS through Schannel, the certificate checked against the ready file's CA */
    HANDLE tls = ctOpen(NULL, "engineer", "control", CT_OPEN_CRYPT);
    CHECK(tls != NULL);
    if (tls) {
        CHECK(ctTagRead(tls, "PRODUCT_CODE", buf, sizeof buf) == TRUE);
        CHECK(strcmp(buf, "BLEND-A42") == 0);
        CHECK(ctCicode(tls, "Version(3)", 0, 0, buf, sizeof buf, NULL) == TRUE);
        CHECK(strcmp(buf, "8.40") == 0);
        CHECK(ctClose(tls) == TRUE);
    }
    /* a CA that signed nothing of this plant: refused (1236), never a plain connection */
    const char *wrong = getenv("CTAPI_TEST_WRONG_CA_READY_FILE");
    const char *right = getenv("SCADA_EMU_READY_FILE");
    CHECK(wrong != NULL && right != NULL);
    if (wrong && right) {
        char saved[1024];
        snprintf(saved, sizeof saved, "%s", right);
        _putenv_s("SCADA_EMU_READY_FILE", wrong);
        CHECK(ctOpen(NULL, "engineer", "control", CT_OPEN_CRYPT) == NULL);
        CHECK(GetLastError() == 1236);
        _putenv_s("SCADA_EMU_READY_FILE", saved);
    }
    CHECK(ctOpen(NULL, "engineer", "wrong", 0) == NULL);
    CHECK(GetLastError() == CITECT(274));
    CHECK(ctOpen("NO-SUCH-PC", "engineer", "control", 0) == NULL);
    CHECK(GetLastError() == 53);
    CHECK(ctOpen(NULL, "engineer", "control", 0x80000000u) == NULL);
    CHECK(GetLastError() == CITECT(274));

    /* scaling needs no connection */
    CTSCALE scale = {0.0, 32000.0, 0.0, 100.0};
    double raw = 0;
    CHECK(ctEngToRaw(&raw, 25.0, &scale, 0) == TRUE && raw == 8000.0);
done:
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
