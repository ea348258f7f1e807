/* The CtAPI functions: a thin layer over a connection object (one socket, one session,
 * guarded by a mutex so several threads may share a handle). docs/native.md. */
#define _POSIX_C_SOURCE 200809L
#define CTAPI_BUILDING 1
#include "ctapi.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "transport.h"

/* Win32 and Plant SCADA codes, as emulator/protocol/errors.py has them. */
#define E_ACCESS_DENIED 5
#define E_INVALID_HANDLE 6
#define E_NOT_ENOUGH_MEMORY 8
#define E_BAD_FRAME 13
#define E_COMPUTER_NOT_FOUND 53
#define E_CONNECTION_LOST 64
#define E_INVALID_PARAMETER 87
#define E_BUFFER_OVERFLOW 111
#define E_CALL_NOT_IMPLEMENTED 120
#define E_NOT_CONNECTED 233
#define E_OUT_OF_RANGE (ERROR_USER_DEFINED_BASE + 257)

#define CT_PLAIN_PORT 2073
#define CT_TLS_PORT 3073
#define E_CONNECTION_REFUSED 1225
#define CT_TIMEOUT_MS 10000
#define CT_KNOWN_MODES 0x3F

/* ---- the thread's last error ----------------------------------------------------------- */
static _Thread_local DWORD last_error;

CTAPI_EXPORT DWORD CTAPI GetLastError(void) { return last_error; }
CTAPI_EXPORT void CTAPI SetLastError(DWORD code) { last_error = code; }

static BOOL fail(DWORD code) {
    last_error = code;
    return FALSE;
}

/* ---- connections and their handles ------------------------------------------------------ */
typedef struct connection {
    pthread_mutex_t lock; /* one request at a time on the socket */
    ct_transport *transport;
    frame_reader reader;
    long long next_id;
    int broken; /* the link failed: every call fails with E_CONNECTION_LOST */
    /* the handle table's bookkeeping, under table_lock */
    uintptr_t handle;
    int refs;
    int closed;
} connection;

#define MAX_CONNECTIONS 1024
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static connection *table[MAX_CONNECTIONS];
static uintptr_t next_handle = 1;

static HANDLE table_add(connection *c) {
    pthread_mutex_lock(&table_lock);
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
        if (!table[i]) {
            c->handle = next_handle++;
            c->refs = 1;
            table[i] = c;
            pthread_mutex_unlock(&table_lock);
            return (HANDLE)c->handle;
        }
    }
    pthread_mutex_unlock(&table_lock);
    return NULL;
}

/* The live connection of a handle, with a reference the caller gives back with release(). */
static connection *acquire(HANDLE h) {
    connection *found = NULL;
    pthread_mutex_lock(&table_lock);
    for (int i = 0; h && i < MAX_CONNECTIONS; i++) {
        if (table[i] && table[i]->handle == (uintptr_t)h && !table[i]->closed) {
            found = table[i];
            found->refs++;
            break;
        }
    }
    pthread_mutex_unlock(&table_lock);
    if (!found) last_error = E_INVALID_HANDLE;
    return found;
}

static void destroy(connection *c) {
    if (c->transport) c->transport->close(c->transport);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void release(connection *c) {
    int gone = 0;
    pthread_mutex_lock(&table_lock);
    if (--c->refs == 0) {
        for (int i = 0; i < MAX_CONNECTIONS; i++)
            if (table[i] == c) table[i] = NULL;
        gone = 1;
    }
    pthread_mutex_unlock(&table_lock);
    if (gone) destroy(c);
}

/* ---- one request and its reply (c->lock held) ------------------------------------------ */
typedef struct {
    char *frame; /* the reply frame, NUL-terminated */
    jspan obj;
} reply;

static void reply_free(reply *r) {
    free(r->frame);
    r->frame = NULL;
}

/* The next frame from the server into *out (malloc'd): 0, or a Win32 error code. */
static int read_frame(connection *c, reply *out) {
    for (;;) {
        jspan f;
        int got = frame_reader_next(&c->reader, &f);
        if (got < 0) return E_BAD_FRAME;
        if (got > 0) {
            out->frame = malloc(f.n + 1);
            if (!out->frame) return E_NOT_ENOUGH_MEMORY;
            memcpy(out->frame, f.p, f.n);
            out->frame[f.n] = '\0';
            out->obj.p = out->frame;
            out->obj.n = f.n;
            if (!json_is_object(out->obj)) {
                reply_free(out);
                return E_BAD_FRAME;
            }
            return 0;
        }
        size_t room;
        char *space = frame_reader_space(&c->reader, &room);
        ssize_t n = c->transport->recv(c->transport, space, room);
        if (n == 0) return E_CONNECTION_LOST;
        if (n < 0) return (int)-n;
        frame_reader_commit(&c->reader, (size_t)n);
    }
}

/* The error of a failed reply: its code (a Plant SCADA or Win32 number). */
static DWORD error_of(jspan obj) {
    jspan err, code;
    long long v;
    if (json_get(obj, "error", &err) && json_get(err, "code", &code) && json_int(code, &v) && v > 0)
        return (DWORD)v;
    return E_CONNECTION_LOST;
}

/* Send `request` (a JSON object without its id: the text after "{") and wait for its reply.
 * TRUE with *out on "ok": true; FALSE with the last error set otherwise. */
static BOOL call(connection *c, const char *op, jw_buf *fields, reply *out) {
    out->frame = NULL;
    if (c->broken) return fail(E_CONNECTION_LOST);
    long long id = ++c->next_id;
    jw_buf b;
    jw_init(&b);
    jw_raw(&b, "{\"id\":");
    jw_int(&b, id);
    jw_raw(&b, ",\"op\":");
    jw_str(&b, op);
    if (fields && fields->len) {
        jw_raw(&b, ",");
        jw_raw(&b, fields->data);
    }
    jw_raw(&b, "}\n");
    if (b.failed || (fields && fields->failed)) {
        jw_free(&b);
        return fail(E_NOT_ENOUGH_MEMORY);
    }
    if (b.len > CT_MAX_FRAME_SIZE) {
        jw_free(&b);
        return fail(E_INVALID_PARAMETER);
    }
    int err = c->transport->send_all(c->transport, b.data, b.len);
    jw_free(&b);
    while (!err) {
        err = read_frame(c, out);
        if (err) break;
        jspan v;
        long long got;
        if (json_get(out->obj, "id", &v) && json_int(v, &got) && got == id) {
            if (json_get(out->obj, "ok", &v) && json_true(v)) return TRUE;
            DWORD code = error_of(out->obj);
            reply_free(out);
            return fail(code);
        }
        if (json_get(out->obj, "event", &v)) {
            char *ev = json_string(v, NULL);
            int closing = ev && !strcmp(ev, "closing");
            free(ev);
            reply_free(out);
            if (closing) err = E_CONNECTION_LOST;
            continue;
        }
        /* an error with "id": null: the server gave up on the stream */
        if (json_get(out->obj, "ok", &v) && !json_true(v)) {
            DWORD code = error_of(out->obj);
            reply_free(out);
            c->broken = 1;
            return fail(code);
        }
        reply_free(out);
    }
    c->broken = 1;
    return fail((DWORD)err);
}

/* A string field of a reply, copied into the caller's buffer (NUL-terminated). */
static BOOL copy_out(reply *r, const char *field, LPSTR buf, DWORD len, DWORD *written) {
    jspan v;
    size_t n = 0;
    char *text = json_get(r->obj, field, &v) ? json_string(v, &n) : NULL;
    if (!text) return fail(E_CONNECTION_LOST);
    if (n + 1 > len) {
        free(text);
        return fail(E_BUFFER_OVERFLOW);
    }
    memcpy(buf, text, n + 1);
    free(text);
    if (written) *written = (DWORD)n;
    return TRUE;
}

/* ---- where a computer listens ----------------------------------------------------------- */
static int is_address(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!strchr("0123456789.:abcdefABCDEF", *s)) return 0;
    return 1;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *d = malloc(cap);
    while (d) {
        size_t got = fread(d + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        if (cap > (1u << 24)) { free(d); d = NULL; break; }
        char *nd = realloc(d, cap *= 2);
        if (!nd) { free(d); d = NULL; break; }
        d = nd;
    }
    fclose(f);
    if (d) *len = n;
    return d;
}

/* Where to dial: host, port, the TLS server name and CA (malloc'd, may be NULL). */
typedef struct {
    char host[256];
    int port;
    char server_name[256];
    char *ca;
} target;

/* Resolve ctOpen's computer for the plain (tls 0) or encrypted (tls 1) port: 0, or the Win32
 * error code. */
static int resolve(const char *computer, int tls, target *t) {
    const char *ready = getenv("SCADA_EMU_READY_FILE");
    memset(t, 0, sizeof *t);
    t->port = tls ? CT_TLS_PORT : CT_PLAIN_PORT;
    if (!ready || !*ready) {
        snprintf(t->host, sizeof t->host, "%s", *computer ? computer : "127.0.0.1");
        snprintf(t->server_name, sizeof t->server_name, "%s", t->host);
        return 0;
    }
    size_t n = 0;
    char *text = read_file(ready, &n);
    if (!text) return E_INVALID_PARAMETER;
    jspan doc = {text, n}, listeners, item, v;
    int found = 0, known = 0;
    if (!json_is_object(doc) || !json_get(doc, "listeners", &listeners)) {
        free(text);
        return E_INVALID_PARAMETER;
    }
    if (json_get(doc, "ca_certificate", &v)) t->ca = json_string(v, NULL);
    size_t pos = 0;
    while (!found && json_array_next(listeners, &pos, &item)) {
        long long p = 0;
        char *type = json_get(item, "type", &v) ? json_string(v, NULL) : NULL;
        char *name = json_get(item, "computer", &v) ? json_string(v, NULL) : NULL;
        char *addr = json_get(item, "address", &v) ? json_string(v, NULL) : NULL;
        int is_tls = json_get(item, "tls", &v) && json_true(v);
        int has_port = json_get(item, "port", &v) && json_int(v, &p);
        if (type && name && addr && has_port && !strcmp(type, "ctapi") &&
            (!*computer || !strcasecmp(computer, name) || !strcmp(computer, addr))) {
            known = 1;
            if (is_tls == tls) {
                snprintf(t->host, sizeof t->host, "%s", addr);
                snprintf(t->server_name, sizeof t->server_name, "%s", name);
                t->port = (int)p;
                found = 1;
            }
        }
        free(type);
        free(name);
        free(addr);
    }
    free(text);
    if (found) return 0;
    /* the computer is known but has no such port: never another port instead */
    if (known) return E_CONNECTION_REFUSED;
    if (*computer && is_address(computer)) {
        snprintf(t->host, sizeof t->host, "%s", computer);
        snprintf(t->server_name, sizeof t->server_name, "%s", computer);
        return 0;
    }
    return E_COMPUTER_NOT_FOUND;
}

/* ---- connections ------------------------------------------------------------------------ */
CTAPI_EXPORT HANDLE CTAPI ctOpen(LPCSTR szComputer, LPCSTR szUser, LPCSTR szPassword, DWORD nMode) {
    if (nMode & ~(DWORD)CT_KNOWN_MODES) return fail(E_INVALID_PARAMETER), NULL;
    /* CT_OPEN_CRYPT dials the encrypted port only: never the plain one with the password. */
    int tls = (nMode & CT_OPEN_CRYPT) != 0;
    target t;
    int err = resolve(szComputer ? szComputer : "", tls, &t);
    if (err) {
        free(t.ca);
        return fail((DWORD)err), NULL;
    }
    connection *c = calloc(1, sizeof *c);
    if (!c) {
        free(t.ca);
        return fail(E_NOT_ENOUGH_MEMORY), NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    frame_reader_init(&c->reader);
    c->transport = tls ? ct_tls_connect(t.host, t.port, CT_TIMEOUT_MS, t.server_name, t.ca, &err)
                       : ct_tcp_connect(t.host, t.port, CT_TIMEOUT_MS, &err);
    free(t.ca);
    if (!c->transport) {
        destroy(c);
        return fail((DWORD)err), NULL;
    }
    /* the hello comes first (or an error instead of it, e.g. too_many_connections) */
    reply hello;
    err = read_frame(c, &hello);
    if (!err) {
        jspan v;
        if (!json_get(hello.obj, "event", &v)) err = (int)error_of(hello.obj);
        reply_free(&hello);
    }
    if (err) {
        destroy(c);
        return fail((DWORD)err), NULL;
    }
    jw_buf f;
    jw_init(&f);
    jw_raw(&f, "\"user\":");
    jw_str(&f, szUser ? szUser : "");
    jw_raw(&f, ",\"password\":");
    jw_str(&f, szPassword ? szPassword : "");
    jw_raw(&f, ",\"mode\":");
    jw_int(&f, nMode);
    reply r;
    BOOL ok = call(c, "open", &f, &r);
    jw_free(&f);
    if (!ok) {
        DWORD code = last_error;
        destroy(c);
        return fail(code), NULL;
    }
    reply_free(&r);
    HANDLE h = table_add(c);
    if (!h) {
        destroy(c);
        return fail(E_NOT_ENOUGH_MEMORY), NULL;
    }
    return h;
}

CTAPI_EXPORT BOOL CTAPI ctClose(HANDLE hCtapi) {
    connection *c = acquire(hCtapi);
    if (!c) return FALSE;
    pthread_mutex_lock(&table_lock);
    int first = !c->closed;
    c->closed = 1;
    pthread_mutex_unlock(&table_lock);
    if (!first) {
        release(c);
        return fail(E_INVALID_HANDLE);
    }
    pthread_mutex_lock(&c->lock);
    reply r;
    if (call(c, "close", NULL, &r)) reply_free(&r);
    c->broken = 1;
    pthread_mutex_unlock(&c->lock);
    release(c); /* ours */
    release(c); /* the table's */
    return TRUE;
}

/* ---- tags and Cicode -------------------------------------------------------------------- */

/* One request on a handle: TRUE with the reply in *r. */
static BOOL request(HANDLE h, const char *op, jw_buf *fields, reply *r) {
    connection *c = acquire(h);
    if (!c) {
        jw_free(fields);
        return FALSE;
    }
    pthread_mutex_lock(&c->lock);
    BOOL ok = call(c, op, fields, r);
    pthread_mutex_unlock(&c->lock);
    jw_free(fields);
    release(c);
    return ok;
}

static BOOL check_handle(HANDLE h) {
    connection *c = acquire(h);
    if (!c) return FALSE;
    release(c);
    return TRUE;
}

CTAPI_EXPORT BOOL CTAPI ctTagRead(HANDLE hCtapi, LPCSTR szTag, LPSTR szValue, DWORD dwLength) {
    if (!check_handle(hCtapi)) return FALSE;
    if (!szTag || !szValue || !dwLength) return fail(E_INVALID_PARAMETER);
    jw_buf f;
    jw_init(&f);
    jw_raw(&f, "\"tag\":");
    jw_str(&f, szTag);
    reply r;
    if (!request(hCtapi, "tag.read", &f, &r)) return FALSE;
    BOOL ok = copy_out(&r, "value", szValue, dwLength, NULL);
    reply_free(&r);
    return ok;
}

CTAPI_EXPORT BOOL CTAPI ctTagWrite(HANDLE hCtapi, LPCSTR szTag, LPCSTR szValue) {
    if (!check_handle(hCtapi)) return FALSE;
    if (!szTag || !szValue) return fail(E_INVALID_PARAMETER);
    jw_buf f;
    jw_init(&f);
    jw_raw(&f, "\"tag\":");
    jw_str(&f, szTag);
    jw_raw(&f, ",\"value\":");
    jw_str(&f, szValue);
    reply r;
    if (!request(hCtapi, "tag.write", &f, &r)) return FALSE;
    reply_free(&r);
    return TRUE;
}

CTAPI_EXPORT DWORD CTAPI ctCicode(HANDLE hCtapi, LPCSTR sCmd, DWORD hWin, DWORD nMode, LPSTR sResult,
                                  DWORD dwLength, CTOVERLAPPED *pctOverlapped) {
    if (!check_handle(hCtapi)) return FALSE;
    if (!sCmd) return fail(E_INVALID_PARAMETER);
    jw_buf f;
    jw_init(&f);
    jw_raw(&f, "\"command\":");
    jw_str(&f, sCmd);
    jw_raw(&f, ",\"window\":");
    jw_int(&f, hWin);
    jw_raw(&f, ",\"mode\":");
    jw_int(&f, nMode);
    reply r;
    if (!request(hCtapi, "cicode", &f, &r)) {
        if (pctOverlapped) pctOverlapped->dwStatus = last_error;
        return FALSE;
    }
    DWORD written = 0;
    BOOL ok = TRUE;
    /* a NULL result buffer (or length 0) means the caller does not want the result */
    if (sResult && dwLength) ok = copy_out(&r, "result", sResult, dwLength, &written);
    reply_free(&r);
    if (pctOverlapped) {
        pctOverlapped->dwStatus = ok ? 0 : last_error;
        pctOverlapped->dwLength = written;
    }
    return ok;
}

CTAPI_EXPORT BOOL CTAPI ctTagWriteEx(HANDLE hCtapi, LPCSTR szTag, LPCSTR szValue,
                                     CTOVERLAPPED *pctOverlapped) {
    /* complete on return; a given CTOVERLAPPED is marked complete (or failed) */
    BOOL ok = ctTagWrite(hCtapi, szTag, szValue);
    if (pctOverlapped) {
        pctOverlapped->dwStatus = ok ? 0 : last_error;
        pctOverlapped->dwLength = 0;
    }
    return ok;
}

/* UTC seconds since 1970 as FILETIME (100 ns since 1601). */
static __int64 filetime_of(jspan obj, const char *field) {
    jspan v;
    double s;
    if (!json_get(obj, field, &v) || !json_number(v, &s)) return 0;
    double ft = 116444736000000000.0 + s * 1e7;
    return ft < 0 ? 0 : (__int64)llround(ft);
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
    if (!szTag || !szValue || !dwLength) return fail(E_INVALID_PARAMETER);
    jw_buf f;
    jw_init(&f);
    jw_raw(&f, "\"tag\":");
    jw_str(&f, szTag);
    reply r;
    if (!request(hCtapi, "tag.read_ex", &f, &r)) return FALSE;
    BOOL ok = copy_out(&r, "value", szValue, dwLength, NULL);
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
    /* Where CtApi.dll finds its managed assemblies; this library has none to find. */
    if (!szPath) return fail(E_INVALID_PARAMETER);
    return TRUE;
}

/* ---- scaling: pure arithmetic ----------------------------------------------------------- */
static BOOL scale(double *out, double v, double from0, double from1, double to0, double to1,
                  DWORD mode) {
    if (!out) return fail(E_INVALID_PARAMETER);
    if (from1 == from0 || !isfinite(v)) return fail(E_INVALID_PARAMETER);
    if (mode & CT_FMT_RANGE_CHECK) {
        double lo = from0 < from1 ? from0 : from1, hi = from0 < from1 ? from1 : from0;
        if (v < lo || v > hi) return fail(E_OUT_OF_RANGE);
    }
    *out = to0 + (v - from0) * (to1 - to0) / (from1 - from0);
    return TRUE;
}

CTAPI_EXPORT BOOL CTAPI ctEngToRaw(double *pResult, double dValue, CTSCALE *pScale, DWORD dwMode) {
    if (!pScale) return fail(E_INVALID_PARAMETER);
    return scale(pResult, dValue, pScale->EngZero, pScale->EngFull, pScale->RawZero,
                 pScale->RawFull, dwMode);
}

CTAPI_EXPORT BOOL CTAPI ctRawToEng(double *pResult, double dValue, CTSCALE *pScale, DWORD dwMode) {
    if (!pScale) return fail(E_INVALID_PARAMETER);
    return scale(pResult, dValue, pScale->RawZero, pScale->RawFull, pScale->EngZero,
                 pScale->EngFull, dwMode);
}

/* ---- not implemented yet: exported, failing with ERROR_CALL_NOT_IMPLEMENTED -------------- */
#define NOT_YET_BOOL(name, ...) \
    CTAPI_EXPORT BOOL CTAPI name(__VA_ARGS__) { return fail(E_CALL_NOT_IMPLEMENTED); }
#define NOT_YET_HANDLE(name, ...)                 \
    CTAPI_EXPORT HANDLE CTAPI name(__VA_ARGS__) { \
        fail(E_CALL_NOT_IMPLEMENTED);             \
        return NULL;                              \
    }
#define NOT_YET_NUM(type, name, ...)            \
    CTAPI_EXPORT type CTAPI name(__VA_ARGS__) { \
        fail(E_CALL_NOT_IMPLEMENTED);           \
        return 0;                               \
    }

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
NOT_YET_BOOL(ctOpenEx, LPCSTR a, LPCSTR b, LPCSTR c, DWORD d, HANDLE e)
NOT_YET_HANDLE(ctClientCreate, void)
NOT_YET_BOOL(ctClientDestroy, HANDLE a)
NOT_YET_BOOL(ctCloseEx, HANDLE a, BOOL b)
NOT_YET_BOOL(ctCancelIO, HANDLE a, CTOVERLAPPED *b)
NOT_YET_BOOL(ctGetOverlappedResult, HANDLE a, CTOVERLAPPED *b, DWORD *c, BOOL d)
NOT_YET_BOOL(ctTagGetProperty, HANDLE a, LPCSTR b, LPCSTR c, void *d, DWORD e, DWORD f)
NOT_YET_HANDLE(ctFindFirst, HANDLE a, LPCTSTR b, LPCTSTR c, HANDLE *d, DWORD e)
NOT_YET_HANDLE(ctFindFirstEx, HANDLE a, LPCTSTR b, LPCTSTR c, LPCTSTR d, HANDLE *e, DWORD f)
NOT_YET_BOOL(ctFindNext, HANDLE a, HANDLE *b)
NOT_YET_BOOL(ctFindPrev, HANDLE a, HANDLE *b)
NOT_YET_NUM(DWORD, ctFindScroll, HANDLE a, DWORD b, LONG c, HANDLE *d)
NOT_YET_BOOL(ctFindClose, HANDLE a)
NOT_YET_NUM(LONG, ctFindNumRecords, HANDLE a)
NOT_YET_BOOL(ctGetProperty, HANDLE a, LPCSTR b, void *c, DWORD d, DWORD *e, DWORD f)
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
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
