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
NOT_YET_HANDLE(ctTagToPoint, HANDLE a, LPCSTR b, DWORD c, CTSCALE *d, LPSTR e)
NOT_YET_BOOL(ctPointRead, HANDLE a, HANDLE b, void *c, DWORD d, CTOVERLAPPED *e)
NOT_YET_BOOL(ctPointWrite, HANDLE a, HANDLE b, void *c, DWORD d, CTOVERLAPPED *e)
NOT_YET_BOOL(ctPointClose, HANDLE a, HANDLE b)
NOT_YET_HANDLE(ctPointCopy, HANDLE a, HANDLE b)
NOT_YET_BOOL(ctPointGetProperty, HANDLE a, HANDLE b, LPCSTR c, void *d, DWORD e, DWORD *f, DWORD g)
NOT_YET_NUM(DWORD, ctPointDataSize, HANDLE a)
NOT_YET_NUM(DWORD, ctPointBitShift, HANDLE a)
NOT_YET_BOOL(ctPointToStr, HANDLE a, BYTE *b, BYTE *c, DWORD d, CTSCALE *e, DWORD f)
NOT_YET_BOOL(ctStrToPoint, HANDLE a, LPCSTR b, BYTE *c, DWORD d, CTSCALE *e, DWORD f)
