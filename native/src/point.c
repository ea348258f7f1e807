/* Points: CtAPI's legacy handle on one tag of one connection, whose data is the tag's value in
 * raw (unscaled) units as the binary of its type. The public ctapi.h gives the signatures and
 * nothing more, so what the data looks like is ours (docs/native.md "Points"): DIGITAL a WORD
 * 0 or 1 (bit shift 0), INT an int16, LONG an int32, REAL a float, STRING 256 bytes of text
 * and its NUL. A point reads with tag.read {raw}, writes in engineering units (tag.write) after
 * scaling with the Tag record's RAW_ and ENG_ ranges, and answers properties from that record. */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L /* strdup, strnlen */
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { P_DIGITAL, P_INT, P_LONG, P_REAL, P_STRING };
#define POINT_STRING_SIZE 256

typedef struct {
    HANDLE slot;
    uint64_t serial;
    unsigned generation;
    char *tag;    /* the reference as given */
    char *record; /* the Tag record, JSON, as the server sent it */
    size_t record_len;
    int type;
    CTSCALE scale; /* raw <-> engineering; identity when the record has no ranges */
} point_obj;

static void point_free(void *obj) {
    point_obj *p = obj;
    if (!p) return;
    free(p->tag);
    free(p->record);
    free(p);
}

static DWORD data_size(int type) {
    switch (type) {
    case P_DIGITAL: case P_INT: return 2;
    case P_LONG: case P_REAL: return 4;
    default: return POINT_STRING_SIZE;
    }
}

static int type_of(jspan record) {
    int absent;
    char *t = record_field(record, "TYPE", &absent);
    int type = P_REAL; /* a record without TYPE: the emulator's default tag type */
    if (t) {
        if (!strcasecmp_ascii(t, "DIGITAL")) type = P_DIGITAL;
        else if (!strcasecmp_ascii(t, "INT")) type = P_INT;
        else if (!strcasecmp_ascii(t, "LONG")) type = P_LONG;
        else if (!strcasecmp_ascii(t, "STRING")) type = P_STRING;
    }
    free(t);
    return type;
}

static CTSCALE scale_of(jspan record) {
    CTSCALE s = {0, 1, 0, 1};
    double rz, rf, ez, ef;
    int raw = record_number(record, "RAW_ZERO", &rz) && record_number(record, "RAW_FULL", &rf);
    int eng = record_number(record, "ENG_ZERO", &ez) && record_number(record, "ENG_FULL", &ef);
    if (raw && eng && rz != rf && ez != ef) {
        s.RawZero = rz;
        s.RawFull = rf;
        s.EngZero = ez;
        s.EngFull = ef;
    }
    return s;
}

/* A copy of the point behind hPoint and, when `tag` is given, its tag name copied into *tag
 * (the caller frees it); the copy's own pointers are the table's and are not for use outside
 * the handles lock. */
static BOOL point_copy(HANDLE hPoint, point_obj *out, char **tag) {
    handles_lock();
    point_obj *p = handle_find(hPoint, H_POINT);
    if (p) {
        *out = *p;
        if (tag) *tag = strdup(p->tag);
    }
    handles_unlock();
    if (!p) return fail(E_UNKNOWN_HANDLE);
    if (tag && !*tag) return fail(E_NOT_ENOUGH_MEMORY);
    return TRUE;
}

/* The connection of a point, if it is still the link the point was made on. */
static conn *point_conn(HANDLE hCtapi, const point_obj *p) {
    if (hCtapi != p->slot) return fail_null(E_INVALID_HANDLE); /* a point of another handle */
    conn *c = conn_acquire(p->slot);
    if (!c) return NULL;
    if (conn_serial(c) != p->serial || conn_generation(c) != p->generation) {
        conn_release(c);
        return fail_null(E_INVALID_HANDLE);
    }
    return c;
}

CTAPI_EXPORT HANDLE CTAPI ctTagToPoint(HANDLE hCtapi, LPCSTR szTag, DWORD dwMode,
                                       CTOVERLAPPED *pctOverlapped) {
    conn *c = conn_acquire(hCtapi);
    if (!c) {
        ov_completed(pctOverlapped, ct_get_error(), 0, NULL);
        return NULL;
    }
    if (!szTag || dwMode != 0) { /* no mode bits are defined for points */
        conn_release(c);
        ov_completed(pctOverlapped, E_INVALID_ARGUMENT, 0, NULL);
        return fail_null(E_INVALID_ARGUMENT);
    }
    reply r;
    jspan record;
    point_obj *p = NULL;
    BOOL ok = tag_record(c, szTag, &r, &record);
    if (ok) {
        p = calloc(1, sizeof *p);
        if (p) {
            p->slot = hCtapi;
            p->serial = conn_serial(c);
            p->generation = conn_generation(c);
            p->tag = strdup(szTag);
            p->record = malloc(record.n + 1);
            if (p->record) {
                memcpy(p->record, record.p, record.n);
                p->record[record.n] = '\0';
                p->record_len = record.n;
            }
            p->type = type_of(record);
            p->scale = scale_of(record);
        }
        reply_free(&r);
    }
    conn_release(c);
    HANDLE h = NULL;
    if (ok && p && p->tag && p->record) {
        handles_lock();
        h = handle_add(H_POINT, p);
        handles_unlock();
    }
    if (ok && !h) {
        point_free(p);
        ct_set_error(E_NOT_ENOUGH_MEMORY);
    }
    ov_completed(pctOverlapped, h ? 0 : ct_get_error(), 0, NULL); /* complete on return */
    return h;
}

CTAPI_EXPORT HANDLE CTAPI ctPointCopy(HANDLE hPoint) {
    HANDLE h = NULL;
    handles_lock();
    point_obj *p = handle_find(hPoint, H_POINT), *q = p ? malloc(sizeof *q) : NULL;
    if (q) {
        *q = *p;
        q->tag = strdup(p->tag);
        q->record = malloc(p->record_len + 1);
        if (q->record) memcpy(q->record, p->record, p->record_len + 1);
        if (q->tag && q->record) h = handle_add(H_POINT, q);
    }
    handles_unlock();
    if (!p) return fail_null(E_UNKNOWN_HANDLE);
    if (!h) {
        point_free(q);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    return h;
}

CTAPI_EXPORT BOOL CTAPI ctPointClose(HANDLE hCtapi, HANDLE hPoint) {
    handles_lock();
    point_obj *p = handle_find(hPoint, H_POINT);
    int mine = p && p->slot == hCtapi;
    if (mine) handle_remove(hPoint);
    handles_unlock();
    if (!p) return fail(E_UNKNOWN_HANDLE);
    if (!mine) return fail(E_INVALID_HANDLE);
    point_free(p);
    return TRUE;
}

CTAPI_EXPORT DWORD CTAPI ctPointDataSize(HANDLE hPoint) {
    point_obj p;
    if (!point_copy(hPoint, &p, NULL)) return 0;
    return data_size(p.type);
}

CTAPI_EXPORT DWORD CTAPI ctPointBitShift(HANDLE hPoint) {
    point_obj p;
    if (!point_copy(hPoint, &p, NULL)) return 0;
    ct_set_error(0);
    return 0; /* a DIGITAL point's bit is bit 0 of its WORD */
}

/* ---- the data: raw numbers as the binary of the type ------------------------------------ */
static BOOL encode_number(int type, double raw, BYTE *out, DWORD len) {
    if (len < data_size(type)) return fail(E_BUFFER_OVERFLOW);
    if (!isfinite(raw)) return fail(E_OUT_OF_RANGE);
    double t = nearbyint(raw);
    switch (type) {
    case P_DIGITAL: {
        uint16_t w = raw != 0;
        memcpy(out, &w, 2);
        return TRUE;
    }
    case P_INT: {
        if (t < -32768 || t > 32767) return fail(E_OUT_OF_RANGE);
        int16_t v = (int16_t)t;
        memcpy(out, &v, 2);
        return TRUE;
    }
    case P_LONG: {
        if (t < -2147483648.0 || t > 2147483647.0) return fail(E_OUT_OF_RANGE);
        int32_t v = (int32_t)t;
        memcpy(out, &v, 4);
        return TRUE;
    }
    default: {
        if (fabs(raw) > 3.4028234663852886e38) return fail(E_OUT_OF_RANGE);
        float v = (float)raw;
        memcpy(out, &v, 4);
        return TRUE;
    }
    }
}

static BOOL decode_number(int type, const BYTE *data, DWORD len, double *raw) {
    if (!data || len < data_size(type)) return fail(E_INVALID_ARGUMENT);
    switch (type) {
    case P_DIGITAL: {
        uint16_t w;
        memcpy(&w, data, 2);
        *raw = w != 0;
        return TRUE;
    }
    case P_INT: {
        int16_t v;
        memcpy(&v, data, 2);
        *raw = v;
        return TRUE;
    }
    case P_LONG: {
        int32_t v;
        memcpy(&v, data, 4);
        *raw = v;
        return TRUE;
    }
    default: {
        float v;
        memcpy(&v, data, 4);
        *raw = v;
        return TRUE;
    }
    }
}

/* The text of a point's value (engineering units unless CT_FMT_NO_SCALE) into out. */
static BOOL format_value(const point_obj *p, const BYTE *data, DWORD len, DWORD mode, char *out,
                         size_t room) {
    if (p->type == P_STRING) {
        if (!data || !len) return fail(E_INVALID_ARGUMENT);
        size_t n = strnlen((const char *)data, len);
        if (n + 1 > room) return fail(E_BUFFER_OVERFLOW);
        memcpy(out, data, n);
        out[n] = '\0';
        return TRUE;
    }
    double raw = 0, v;
    if (!decode_number(p->type, data, len, &raw)) return FALSE;
    v = raw;
    if (p->type != P_DIGITAL && !(mode & CT_FMT_NO_SCALE)) {
        CTSCALE s = p->scale;
        if (!ctRawToEng(&v, raw, &s, 0)) return FALSE;
    }
    int n = snprintf(out, room, "%.15g", v);
    if (n < 0 || (size_t)n >= room) return fail(E_BUFFER_OVERFLOW);
    return TRUE;
}

/* A text (engineering units unless CT_FMT_NO_SCALE) as a point's data. */
static BOOL parse_value(const point_obj *p, const char *text, DWORD mode, BYTE *out, DWORD len) {
    if (!out || !len) return fail(E_INVALID_ARGUMENT);
    if (p->type == P_STRING) {
        size_t n = strlen(text);
        if (n + 1 > POINT_STRING_SIZE || n + 1 > len) return fail(E_BUFFER_OVERFLOW);
        memcpy(out, text, n + 1);
        return TRUE;
    }
    char *end;
    double v = strtod(text, &end);
    while (*end == ' ') end++;
    if (end == text || *end) return fail(E_INVALID_ARGUMENT);
    double raw = v;
    if (p->type != P_DIGITAL && !(mode & CT_FMT_NO_SCALE)) {
        CTSCALE s = p->scale;
        if (!ctEngToRaw(&raw, v, &s, 0)) return FALSE;
    }
    return encode_number(p->type, raw, out, len);
}

CTAPI_EXPORT BOOL CTAPI ctPointToStr(HANDLE hPoint, BYTE *pData, DWORD dwDataLength, BYTE *sValue,
                                     DWORD dwStrLength, DWORD dwMode) {
    point_obj p;
    if (!point_copy(hPoint, &p, NULL)) return FALSE;
    if (!sValue || !dwStrLength) return fail(E_INVALID_ARGUMENT);
    char text[POINT_STRING_SIZE + 32];
    if (!format_value(&p, pData, dwDataLength, dwMode, text, sizeof text)) return FALSE;
    size_t n = strlen(text);
    if (n + 1 > dwStrLength) return fail(E_BUFFER_OVERFLOW); /* sValue left as it was */
    memcpy(sValue, text, n + 1);
    return TRUE;
}

CTAPI_EXPORT BOOL CTAPI ctStrToPoint(HANDLE hPoint, LPCSTR sValue, DWORD dwStrLength, BYTE *pData,
                                     DWORD dwDataLength, DWORD dwMode) {
    point_obj p;
    if (!point_copy(hPoint, &p, NULL)) return FALSE;
    if (!sValue) return fail(E_INVALID_ARGUMENT);
    /* dwStrLength: the characters of sValue to take, 0 for up to its NUL */
    size_t n = dwStrLength ? strnlen(sValue, dwStrLength) : strlen(sValue);
    if (n >= POINT_STRING_SIZE) return fail(E_BUFFER_OVERFLOW);
    char text[POINT_STRING_SIZE];
    memcpy(text, sValue, n);
    text[n] = '\0';
    return parse_value(&p, text, dwMode, pData, dwDataLength);
}

/* ---- reading and writing through the point's connection --------------------------------- */
CTAPI_EXPORT BOOL CTAPI ctPointRead(HANDLE hCtapi, HANDLE hPoint, void *pBuffer, DWORD dwLength,
                                    CTOVERLAPPED *pctOverlapped) {
    point_obj p;
    char *tag = NULL;
    conn *c = point_copy(hPoint, &p, &tag) ? point_conn(hCtapi, &p) : NULL;
    BOOL ok = FALSE;
    if (c) {
        jw_buf f;
        jw_init(&f);
        jw_field_str(&f, "tag", tag);
        jw_raw(&f, ",\"raw\":true");
        reply r;
        ok = conn_call(c, "tag.read", &f, &r);
        conn_release(c);
        if (ok) {
            char *text = reply_string(r.obj, "value", NULL);
            reply_free(&r);
            if (!text) ok = fail(E_CONNECTION_LOST);
            else if (!pBuffer || !dwLength) ok = fail(E_INVALID_ARGUMENT);
            else ok = parse_value(&p, text, CT_FMT_NO_SCALE, pBuffer, dwLength);
            free(text);
        }
    }
    free(tag);
    ov_completed(pctOverlapped, ok ? 0 : ct_get_error(), ok ? data_size(p.type) : 0, NULL);
    return ok;
}

CTAPI_EXPORT BOOL CTAPI ctPointWrite(HANDLE hCtapi, HANDLE hPoint, void *pBuffer, DWORD dwLength,
                                     CTOVERLAPPED *pctOverlapped) {
    point_obj p;
    char *tag = NULL;
    conn *c = point_copy(hPoint, &p, &tag) ? point_conn(hCtapi, &p) : NULL;
    BOOL ok = FALSE;
    if (c) {
        char text[POINT_STRING_SIZE + 32];
        ok = format_value(&p, pBuffer, dwLength, 0, text, sizeof text);
        if (ok) {
            jw_buf f;
            jw_init(&f);
            jw_field_str(&f, "tag", tag);
            jw_field_str(&f, "value", text);
            reply r;
            ok = conn_call(c, "tag.write", &f, &r);
            if (ok) reply_free(&r);
        }
        conn_release(c);
    }
    free(tag);
    ov_completed(pctOverlapped, ok ? 0 : ct_get_error(), 0, NULL);
    return ok;
}

CTAPI_EXPORT BOOL CTAPI ctPointGetProperty(HANDLE hPoint, LPCTSTR szName, void *pData,
                                           DWORD dwBufferLength, DWORD *dwResultLength,
                                           DWORD dwType) {
    if (dwResultLength) *dwResultLength = 0;
    char *record = NULL;
    size_t n = 0;
    handles_lock();
    point_obj *p = handle_find(hPoint, H_POINT);
    if (p) {
        n = p->record_len;
        record = malloc(n + 1);
        if (record) memcpy(record, p->record, n + 1);
    }
    handles_unlock();
    if (!p) return fail(E_UNKNOWN_HANDLE);
    return record_property(record, n, szName, pData, dwBufferLength, dwResultLength, dwType);
}
