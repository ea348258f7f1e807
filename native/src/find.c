#include "internal.h"
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#define NOT_YET_BOOL(name, ...) \
    CTAPI_EXPORT BOOL CTAPI name(__VA_ARGS__) { return fail(E_CALL_NOT_IMPLEMENTED); }
#define NOT_YET_HANDLE(name, ...) \
    CTAPI_EXPORT HANDLE CTAPI name(__VA_ARGS__) { return fail_null(E_CALL_NOT_IMPLEMENTED); }
#define NOT_YET_NUM(type, name, ...) \
    CTAPI_EXPORT type CTAPI name(__VA_ARGS__) { fail(E_CALL_NOT_IMPLEMENTED); return 0; }
NOT_YET_BOOL(ctTagGetProperty, HANDLE a, LPCSTR b, LPCSTR c, void *d, DWORD e, DWORD f)
NOT_YET_HANDLE(ctFindFirst, HANDLE a, LPCTSTR b, LPCTSTR c, HANDLE *d, DWORD e)
NOT_YET_HANDLE(ctFindFirstEx, HANDLE a, LPCTSTR b, LPCTSTR c, LPCTSTR d, HANDLE *e, DWORD f)
NOT_YET_BOOL(ctFindNext, HANDLE a, HANDLE *b)
NOT_YET_BOOL(ctFindPrev, HANDLE a, HANDLE *b)
NOT_YET_NUM(DWORD, ctFindScroll, HANDLE a, DWORD b, LONG c, HANDLE *d)
NOT_YET_BOOL(ctFindClose, HANDLE a)
NOT_YET_NUM(LONG, ctFindNumRecords, HANDLE a)
NOT_YET_BOOL(ctGetProperty, HANDLE a, LPCSTR b, void *c, DWORD d, DWORD *e, DWORD f)
