/* ctOpen, ctClose, the tag and Cicode functions and scaling: a thin layer over connections
 * (conn.c). docs/native.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- connections ------------------------------------------------------------------------ */
CTAPI_EXPORT HANDLE CTAPI ctOpen(LPCSTR szComputer, LPCSTR szUser, LPCSTR szPassword, DWORD nMode) {
    conn *c = conn_open(szComputer, szUser, szPassword, nMode);
    if (!c) return NULL;
    slot *s = calloc(1, sizeof *s);
    HANDLE h = NULL;
    if (s) {
        s->c = c;
        handles_lock();
        h = handle_add(H_SLOT, s);
        handles_unlock();
    }
    if (!h) {
        free(s);
        conn_close(c);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    return h;
}

/* Close the connection of a slot handle: log out, stop its I/O, drop its overlapped calls. */
void slot_close_conn(HANDLE h, conn *c) {
    conn_close(c);
    ov_forget_handle(h);
}

CTAPI_EXPORT BOOL CTAPI ctClose(HANDLE hCtapi) {
    /* one take: two threads cannot both close it */
    handles_lock();
    slot *s = handle_find(hCtapi, H_SLOT);
    conn *c = s ? s->c : NULL;
    if (c) handle_remove(hCtapi); /* ctClose of a ctOpenEx handle destroys it too */
    handles_unlock();
    if (!c) return fail(E_INVALID_HANDLE);
    free(s);
    slot_close_conn(hCtapi, c);
    return TRUE;
}

/* ---- tags and Cicode -------------------------------------------------------------------- */

/* One synchronous request on a handle: TRUE with the reply in *r. */
static BOOL request(HANDLE h, const char *op, jw_buf *fields, reply *r) {
    conn *c = conn_acquire(h);
    if (!c) {
        jw_free(fields);
        return FALSE;
    }
    BOOL ok = conn_call(c, op, fields, r);
    conn_release(c);
    return ok;
}

static BOOL check_handle(HANDLE h) {
    conn *c = conn_acquire(h);
    if (!c) return FALSE;
    conn_release(c);
    return TRUE;
}

CTAPI_EXPORT BOOL CTAPI ctTagRead(HANDLE hCtapi, LPCSTR szTag, LPSTR szValue, DWORD dwLength) {
    if (!check_handle(hCtapi)) return FALSE;
    if (!szTag || !szValue || !dwLength) return fail(E_INVALID_ARGUMENT);
    jw_buf f;
    jw_init(&f);
    jw_field_str(&f, "tag", szTag);
    reply r;
    if (!request(hCtapi, "tag.read", &f, &r)) return FALSE;
    BOOL ok = copy_out(r.obj, "value", szValue, dwLength, NULL);
    reply_free(&r);
    return ok;
}

/* Run op on a handle, overlapped when ov is given (completed by `finish` from the I/O thread). */
static BOOL run(HANDLE h, const char *op, jw_buf *fields, CTOVERLAPPED *ov, ov_finish finish,
                void *ctx, reply *r) {
    if (!ov) {
        free(ctx);
        return request(h, op, fields, r);
    }
    conn *c = conn_acquire(h);
    if (!c) {
        free(ctx);
        jw_free(fields);
        ov_completed(ov, E_INVALID_HANDLE, 0, NULL);
        return FALSE;
    }
    BOOL ok = ov_submit(c, h, ov, op, fields, finish, ctx);
    conn_release(c);
    return ok;
}

static DWORD finish_nothing(void *ctx, jspan *reply, DWORD error, DWORD *length, BYTE **data) {
    (void)ctx;
    (void)reply;
    *length = 0;
    *data = NULL;
    return error;
}

CTAPI_EXPORT BOOL CTAPI ctTagWrite(HANDLE hCtapi, LPCSTR szTag, LPCSTR szValue) {
    return ctTagWriteEx(hCtapi, szTag, szValue, NULL);
}

CTAPI_EXPORT BOOL CTAPI ctTagWriteEx(HANDLE hCtapi, LPCSTR szTag, LPCSTR szValue,
                                     CTOVERLAPPED *pctOverlapped) {
    if (!check_handle(hCtapi)) {
        if (pctOverlapped) ov_completed(pctOverlapped, E_INVALID_HANDLE, 0, NULL);
        return FALSE;
    }
    if (!szTag || !szValue) {
        if (pctOverlapped) ov_completed(pctOverlapped, E_INVALID_ARGUMENT, 0, NULL);
        return fail(E_INVALID_ARGUMENT);
    }
    jw_buf f;
    jw_init(&f);
    jw_field_str(&f, "tag", szTag);
    jw_field_str(&f, "value", szValue);
    reply r;
    if (!run(hCtapi, "tag.write", &f, pctOverlapped, finish_nothing, NULL, &r)) return FALSE;
    reply_free(&r);
    return TRUE;
}

typedef struct {
    LPSTR buf;
    DWORD len;
} result_buffer;

/* ctCicode's result into the caller's buffer (NULL or length 0: not wanted). */
static DWORD finish_cicode(void *ctx, jspan *reply, DWORD error, DWORD *length, BYTE **data) {
    result_buffer *rb = ctx;
    *length = 0;
    *data = NULL;
    if (error) return error;
    if (!rb->buf || !rb->len) return 0;
    DWORD written = 0;
    if (!copy_out(*reply, "result", rb->buf, rb->len, &written)) return ct_get_error();
    *length = written;
    *data = (BYTE *)rb->buf;
    return 0;
}

CTAPI_EXPORT DWORD CTAPI ctCicode(HANDLE hCtapi, LPCSTR sCmd, DWORD hWin, DWORD nMode, LPSTR sResult,
                                  DWORD dwLength, CTOVERLAPPED *pctOverlapped) {
    if (!check_handle(hCtapi)) {
        if (pctOverlapped) ov_completed(pctOverlapped, E_INVALID_HANDLE, 0, NULL);
        return FALSE;
    }
    if (!sCmd) {
        if (pctOverlapped) ov_completed(pctOverlapped, E_INVALID_ARGUMENT, 0, NULL);
        return fail(E_INVALID_ARGUMENT);
    }
    jw_buf f;
    jw_init(&f);
    jw_field_str(&f, "command", sCmd);
    jw_field_int(&f, "window", hWin);
    jw_field_int(&f, "mode", nMode);
    result_buffer *rb = NULL;
    if (pctOverlapped) {
        rb = malloc(sizeof *rb);
        if (!rb) {
            jw_free(&f);
            ov_completed(pctOverlapped, E_NOT_ENOUGH_MEMORY, 0, NULL);
            return fail(E_NOT_ENOUGH_MEMORY);
        }
        rb->buf = sResult;
        rb->len = dwLength;
    }
    reply r;
    if (!run(hCtapi, "cicode", &f, pctOverlapped, finish_cicode, rb, &r)) return FALSE;
    /* a NULL result buffer (or length 0) means the caller does not want the result */
    BOOL ok = TRUE;
    if (sResult && dwLength) ok = copy_out(r.obj, "result", sResult, dwLength, NULL);
    reply_free(&r);
    return ok;
}

/* UTC seconds since 1970 as FILETIME (100 ns since 1601). */
static __int64 filetime_of(jspan obj, const char *field) {
    jspan v;
    double s;
    if (!json_get(obj, field, &v) || !json_number(v, &s)) return 0;
    double ft = 116444736000000000.0 + s * 1e7;
    return ft < 0 || !isfinite(ft) || ft > 9.2e18 ? 0 : (__int64)llround(ft);
}

static long long quality_part(jspan quality, const char *field) {
    jspan v;
    long long x = 0;
    if (json_get(quality, field, &v)) {
        if (json_true(v)) return 1;
        if (!json_int(v, &x)) x = 0;
    }
    return x;
}

CTAPI_EXPORT BOOL CTAPI ctTagReadEx(HANDLE hCtapi, LPCSTR szTag, LPSTR szValue, DWORD dwLength,
                                    CT_TAGVALUE_ITEMS *pctTagvalueItems) {
    if (!check_handle(hCtapi)) return FALSE;
    if (!szTag || !szValue || !dwLength) return fail(E_INVALID_ARGUMENT);
    jw_buf f;
    jw_init(&f);
    jw_field_str(&f, "tag", szTag);
    reply r;
    if (!request(hCtapi, "tag.read_ex", &f, &r)) return FALSE;
    BOOL ok = copy_out(r.obj, "value", szValue, dwLength, NULL);
    if (ok && pctTagvalueItems) {
        CT_TAGVALUE_ITEMS it;
        memset(&it, 0, sizeof it);
        jspan q = {"{}", 2};
        json_get(r.obj, "quality", &q);
        it.dwLength = sizeof it;
        it.nTimestamp = filetime_of(r.obj, "timestamp");
        it.nValueTimestamp = filetime_of(r.obj, "value_timestamp");
        it.nQualityTimestamp = filetime_of(r.obj, "quality_timestamp");
        it.bQualityGeneral = (BYTE)quality_part(q, "general");
        it.bQualitySubstatus = (BYTE)quality_part(q, "substatus");
        it.bQualityLimit = (BYTE)quality_part(q, "limit");
        it.bQualityExtendedSubstatus = (BYTE)quality_part(q, "extended_substatus");
        it.nQualityDatasourceErrorCode = (UINT)quality_part(q, "datasource_error");
        it.bOverride = (BOOLEAN)quality_part(q, "override");
        it.bControlMode = (BOOLEAN)quality_part(q, "control_inhibit");
        memcpy(pctTagvalueItems, &it, sizeof it);
    }
    reply_free(&r);
    return ok;
}

CTAPI_EXPORT BOOL CTAPI ctSetManagedBinDirectory(LPCSTR szPath) {
    /* Where CtApi.dll finds its managed assemblies; this library has none to find, so any
     * directory is accepted, NULL too (issue 13; the Python shim does the same) */
    (void)szPath;
    return TRUE;
}

/* ---- scaling: pure arithmetic ----------------------------------------------------------- */
static BOOL scale(double *out, double v, double from0, double from1, double to0, double to1,
                  DWORD mode) {
    if (!out) return fail(E_INVALID_ARGUMENT);
    if (from1 == from0 || !isfinite(v)) return fail(E_INVALID_ARGUMENT);
    /* CT_SCALE_CLAMP_LIMIT cannot be combined with the other two (reference: ctEngToRaw) */
    if ((mode & CT_SCALE_CLAMP_LIMIT) && (mode & (CT_SCALE_RANGE_CHECK | CT_SCALE_NOISE_FACTOR)))
        return fail(E_INVALID_ARGUMENT);
    double lo = from0 < from1 ? from0 : from1, hi = from0 < from1 ? from1 : from0;
    double x = (mode & CT_SCALE_CLAMP_LIMIT) ? (v < lo ? lo : v > hi ? hi : v) : v;
    /* with CT_SCALE_RANGE_CHECK the result is written even when out of range */
    *out = to0 + (x - from0) * (to1 - to0) / (from1 - from0);
    if ((mode & CT_SCALE_RANGE_CHECK) && (v < lo || v > hi)) return fail(E_OUT_OF_RANGE);
    return TRUE;
}

CTAPI_EXPORT BOOL CTAPI ctEngToRaw(double *pResult, double dValue, CTSCALE *pScale, DWORD dwMode) {
    if (!pScale) return fail(E_INVALID_ARGUMENT);
    return scale(pResult, dValue, pScale->EngZero, pScale->EngFull, pScale->RawZero,
                 pScale->RawFull, dwMode);
}

CTAPI_EXPORT BOOL CTAPI ctRawToEng(double *pResult, double dValue, CTSCALE *pScale, DWORD dwMode) {
    if (!pScale) return fail(E_INVALID_ARGUMENT);
    return scale(pResult, dValue, pScale->RawZero, pScale->RawFull, pScale->EngZero,
                 pScale->EngFull, dwMode);
}
