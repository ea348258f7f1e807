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
NOT_YET_HANDLE(ctListNew, HANDLE a, DWORD b)
NOT_YET_BOOL(ctListFree, HANDLE a)
NOT_YET_HANDLE(ctListAdd, HANDLE a, LPCSTR b)
NOT_YET_HANDLE(ctListAddEx, HANDLE a, LPCSTR b, BOOL c, int d, double e)
NOT_YET_BOOL(ctListDelete, HANDLE a)
NOT_YET_BOOL(ctListRead, HANDLE a, CTOVERLAPPED *b)
NOT_YET_BOOL(ctListWrite, HANDLE a, LPCSTR b, CTOVERLAPPED *c)
NOT_YET_BOOL(ctListData, HANDLE a, void *b, DWORD c, DWORD d)
NOT_YET_HANDLE(ctListEvent, HANDLE a, DWORD b)
NOT_YET_BOOL(ctListItem, HANDLE a, DWORD b, void *c, DWORD d, DWORD e)
