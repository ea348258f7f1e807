/* CtApi.dll's exports (Windows): each function of include/ctapi.h, under its own name by
 * src/CtApi.def, is a thin wrapper over the library's function that hands the library's
 * thread-local last error to kernel32's SetLastError as the very last thing before returning
 * (src/win32.h says why). So GetLastError(), .NET's Marshal.GetLastWin32Error() with
 * SetLastError = true, and Go's syscall errors read the code the call failed with: 0 after a
 * call that succeeded. */
#define CTAPI_BUILDING 1
#include "ctapi.h"

#undef GetLastError
#undef SetLastError

#ifndef _WIN64
#error "CtApi.dll is built for Windows x64 (x86_64-w64-mingw32-gcc)"
#endif

/* CT_FN(return type, name, parameters, arguments) for every function of ctapi.h */
#define CT_FUNCTIONS                                                                           \
    CT_FN(HANDLE, ctOpen, (LPCSTR a, LPCSTR b, LPCSTR c, DWORD d), (a, b, c, d))               \
    CT_FN(BOOL, ctOpenEx, (LPCSTR a, LPCSTR b, LPCSTR c, DWORD d, HANDLE e), (a, b, c, d, e))  \
    CT_FN(HANDLE, ctClientCreate, (void), ())                                                  \
    CT_FN(BOOL, ctClientDestroy, (HANDLE a), (a))                                              \
    CT_FN(BOOL, ctClose, (HANDLE a), (a))                                                      \
    CT_FN(BOOL, ctCloseEx, (HANDLE a, BOOL b), (a, b))                                         \
    CT_FN(BOOL, ctCancelIO, (HANDLE a, CTOVERLAPPED * b), (a, b))                              \
    CT_FN(BOOL, ctGetOverlappedResult, (HANDLE a, CTOVERLAPPED * b, DWORD * c, BOOL d),        \
          (a, b, c, d))                                                                        \
    CT_FN(BOOL, ctSetManagedBinDirectory, (LPCSTR a), (a))                                     \
    CT_FN(DWORD, ctCicode,                                                                     \
          (HANDLE a, LPCSTR b, DWORD c, DWORD d, LPSTR e, DWORD f, CTOVERLAPPED * g),          \
          (a, b, c, d, e, f, g))                                                               \
    CT_FN(BOOL, ctTagRead, (HANDLE a, LPCSTR b, LPSTR c, DWORD d), (a, b, c, d))               \
    CT_FN(BOOL, ctTagReadEx, (HANDLE a, LPCSTR b, LPSTR c, DWORD d, CT_TAGVALUE_ITEMS * e),    \
          (a, b, c, d, e))                                                                     \
    CT_FN(BOOL, ctTagWrite, (HANDLE a, LPCSTR b, LPCSTR c), (a, b, c))                         \
    CT_FN(BOOL, ctTagWriteEx, (HANDLE a, LPCSTR b, LPCSTR c, CTOVERLAPPED * d), (a, b, c, d))  \
    CT_FN(BOOL, ctTagGetProperty, (HANDLE a, LPCSTR b, LPCSTR c, void *d, DWORD e, DWORD f),   \
          (a, b, c, d, e, f))                                                                  \
    CT_FN(BOOL, ctEngToRaw, (double *a, double b, CTSCALE *c, DWORD d), (a, b, c, d))          \
    CT_FN(BOOL, ctRawToEng, (double *a, double b, CTSCALE *c, DWORD d), (a, b, c, d))          \
    CT_FN(HANDLE, ctFindFirst, (HANDLE a, LPCTSTR b, LPCTSTR c, HANDLE * d, DWORD e),          \
          (a, b, c, d, e))                                                                     \
    CT_FN(HANDLE, ctFindFirstEx,                                                               \
          (HANDLE a, LPCTSTR b, LPCTSTR c, LPCTSTR d, HANDLE * e, DWORD f),                    \
          (a, b, c, d, e, f))                                                                  \
    CT_FN(BOOL, ctFindNext, (HANDLE a, HANDLE * b), (a, b))                                    \
    CT_FN(BOOL, ctFindPrev, (HANDLE a, HANDLE * b), (a, b))                                    \
    CT_FN(DWORD, ctFindScroll, (HANDLE a, DWORD b, LONG c, HANDLE * d), (a, b, c, d))          \
    CT_FN(BOOL, ctFindClose, (HANDLE a), (a))                                                  \
    CT_FN(LONG, ctFindNumRecords, (HANDLE a), (a))                                             \
    CT_FN(BOOL, ctGetProperty, (HANDLE a, LPCSTR b, void *c, DWORD d, DWORD *e, DWORD f),      \
          (a, b, c, d, e, f))                                                                  \
    CT_FN(HANDLE, ctListNew, (HANDLE a, DWORD b), (a, b))                                      \
    CT_FN(BOOL, ctListFree, (HANDLE a), (a))                                                   \
    CT_FN(HANDLE, ctListAdd, (HANDLE a, LPCSTR b), (a, b))                                     \
    CT_FN(HANDLE, ctListAddEx, (HANDLE a, LPCSTR b, BOOL c, int d, double e), (a, b, c, d, e)) \
    CT_FN(BOOL, ctListDelete, (HANDLE a), (a))                                                 \
    CT_FN(BOOL, ctListRead, (HANDLE a, CTOVERLAPPED * b), (a, b))                              \
    CT_FN(BOOL, ctListWrite, (HANDLE a, LPCSTR b, CTOVERLAPPED * c), (a, b, c))                \
    CT_FN(BOOL, ctListData, (HANDLE a, void *b, DWORD c, DWORD d), (a, b, c, d))               \
    CT_FN(HANDLE, ctListEvent, (HANDLE a, DWORD b), (a, b))                                    \
    CT_FN(BOOL, ctListItem, (HANDLE a, DWORD b, void *c, DWORD d, DWORD e), (a, b, c, d, e))   \
    CT_FN(HANDLE, ctTagToPoint, (HANDLE a, LPCSTR b, DWORD c, CTOVERLAPPED *d), (a, b, c, d))  \
    CT_FN(BOOL, ctPointRead, (HANDLE a, HANDLE b, void *c, DWORD d, CTOVERLAPPED *e),          \
          (a, b, c, d, e))                                                                     \
    CT_FN(BOOL, ctPointWrite, (HANDLE a, HANDLE b, void *c, DWORD d, CTOVERLAPPED *e),         \
          (a, b, c, d, e))                                                                     \
    CT_FN(BOOL, ctPointClose, (HANDLE a, HANDLE b), (a, b))                                    \
    CT_FN(HANDLE, ctPointCopy, (HANDLE a), (a))                                                \
    CT_FN(BOOL, ctPointGetProperty, (HANDLE a, LPCSTR b, void *c, DWORD d, DWORD *e, DWORD f), \
          (a, b, c, d, e, f))                                                                  \
    CT_FN(DWORD, ctPointDataSize, (HANDLE a), (a))                                             \
    CT_FN(DWORD, ctPointBitShift, (HANDLE a), (a))                                             \
    CT_FN(BOOL, ctPointToStr, (HANDLE a, BYTE * b, DWORD c, BYTE * d, DWORD e, DWORD f),       \
          (a, b, c, d, e, f))                                                                  \
    CT_FN(BOOL, ctStrToPoint, (HANDLE a, LPCSTR b, DWORD c, BYTE * d, DWORD e, DWORD f),       \
          (a, b, c, d, e, f))

/* The wrapper of each function, and a check that its signature is the header's. */
#define CT_FN(ret, name, params, args)                                                        \
    ret CTAPI ctw_##name params;                                                               \
    ret CTAPI ctw_##name params {                                                              \
        ct_set_last_error(0);                                                                  \
        ret result = name args;                                                                \
        SetLastError(ct_get_last_error());                                                     \
        return result;                                                                         \
    }                                                                                          \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&name), __typeof__(&ctw_##name)), \
                   #name " in src/exports_win32.c differs from include/ctapi.h");
CT_FUNCTIONS
#undef CT_FN
