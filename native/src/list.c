/* Tag lists: ctListNew, ctListAdd(Ex), ctListDelete, ctListRead, ctListWrite, ctListData,
 * ctListItem, ctListEvent, ctListFree over the list.* requests (docs/protocol.md). List and tag
 * handles are the library's own, mapped to the server's per-connection numbers; they belong to
 * one link of one connection (after a reconnect or ctOpenEx again they are invalid: 6). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
    HANDLE slot;
    uint64_t serial;
    unsigned generation;
    long long server;
} owner;

typedef struct {
    owner o;
    DWORD mode;
    /* the values of the last ctListRead (values.c); only touched under handles_lock */
    list_values *values;
} list_obj;

typedef struct {
    owner o;
    HANDLE list;
} tag_obj;

/* The connection of an object, if it is still the one (and the link) the object was made on. */
static conn *owner_conn(const owner *o) {
    conn *c = conn_acquire(o->slot);
    if (!c) return NULL;
    if (conn_serial(c) != o->serial || conn_generation(c) != o->generation) {
        conn_release(c);
        return fail_null(E_INVALID_HANDLE);
    }
    return c;
}

static conn *list_of(HANDLE hList, list_obj *copy) {
    handles_lock();
    list_obj *l = handle_find(hList, H_LIST);
    if (l) *copy = *l;
    handles_unlock();
    if (!l) return fail_null(E_UNKNOWN_HANDLE);
    return owner_conn(&copy->o);
}

static conn *tag_of(HANDLE hTag, tag_obj *copy) {
    handles_lock();
    tag_obj *t = handle_find(hTag, H_TAG);
    if (t) *copy = *t;
    handles_unlock();
    if (!t) return fail_null(E_UNKNOWN_HANDLE);
    return owner_conn(&copy->o);
}

/* An integer field of a reply (1), or 0. */
static int reply_int(jspan obj, const char *field, long long *out) {
    jspan v;
    return json_get(obj, field, &v) && json_int(v, out);
}

CTAPI_EXPORT HANDLE CTAPI ctListNew(HANDLE hCtapi, DWORD dwMode) {
    conn *c = conn_acquire(hCtapi);
    if (!c) return NULL;
    list_obj *l = calloc(1, sizeof *l);
    if (!l) {
        conn_release(c);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    l->o.slot = hCtapi;
    l->o.serial = conn_serial(c);
    l->o.generation = conn_generation(c);
    l->mode = dwMode;
    jw_buf f;
    jw_init(&f);
    jw_field_int(&f, "mode", dwMode);
    reply r;
    BOOL ok = conn_call(c, "list.new", &f, &r);
    conn_release(c);
    if (ok) {
        if (!reply_int(r.obj, "list", &l->o.server)) ok = fail(E_CONNECTION_LOST);
        reply_free(&r);
    }
    HANDLE h = NULL;
    if (ok) {
        handles_lock();
        h = handle_add(H_LIST, l);
        handles_unlock();
        if (!h) ct_set_error(E_NOT_ENOUGH_MEMORY);
    }
    if (!h) free(l);
    return h;
}

static int tag_in_list(void *obj, void *arg) { return ((tag_obj *)obj)->list == *(HANDLE *)arg; }

CTAPI_EXPORT BOOL CTAPI ctListFree(HANDLE hList) {
    list_obj l;
    handles_lock();
    list_obj *found = handle_find(hList, H_LIST);
    if (found) l = *found;
    handles_unlock();
    if (!found) return fail(E_UNKNOWN_HANDLE);
    /* free it on the server when its link is still there; the handles go in any case */
    conn *c = conn_acquire(l.o.slot);
    if (c && conn_serial(c) == l.o.serial && conn_generation(c) == l.o.generation) {
        jw_buf f;
        jw_init(&f);
        jw_field_int(&f, "list", l.o.server);
        reply r;
        if (conn_call(c, "list.free", &f, &r)) reply_free(&r);
    }
    if (c) conn_release(c);
    handles_lock();
    found = handle_find(hList, H_LIST);
    if (found) handle_remove(hList);
    handle_remove_if(H_TAG, tag_in_list, &hList, free);
    if (found) values_free(found->values);
    handles_unlock();
    free(found);
    return TRUE;
}

/* ctListAddEx's deadband: a percentage of the tag's engineering range (-1: the tag's own, and
 * the emulator's tags have none) as the engineering units list.add_ex takes. */
static BOOL deadband_units(conn *c, const char *tag, double percent, double *units) {
    *units = 0;
    if (percent == -1.0 || percent == 0) return TRUE;
    if (!(percent >= 0) || !isfinite(percent)) return fail(E_INVALID_ARGUMENT);
    reply r;
    jspan record;
    if (!tag_record(c, tag, &r, &record)) {
        /* no such tag: the handle comes anyway, the error shows at ctListRead */
        return ct_get_error() == E_TAG_NOT_FOUND ? TRUE : FALSE;
    }
    double zero, full;
    if (record_number(record, "ENG_ZERO", &zero) && record_number(record, "ENG_FULL", &full))
        *units = fabs(full - zero) * percent / 100.0;
    reply_free(&r);
    return TRUE;
}

static HANDLE add(HANDLE hList, LPCSTR szTag, int ex, BOOL bRaw, int nPollPeriodMS,
                  double dDeadband) {
    list_obj l;
    conn *c = list_of(hList, &l);
    if (!c) return NULL;
    if (!szTag || (ex && nPollPeriodMS < 0)) {
        conn_release(c);
        return fail_null(E_INVALID_ARGUMENT);
    }
    double units = 0;
    if (ex && !deadband_units(c, szTag, dDeadband, &units)) {
        conn_release(c);
        return NULL;
    }
    tag_obj *t = calloc(1, sizeof *t);
    if (!t) {
        conn_release(c);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    t->o = l.o;
    t->list = hList;
    jw_buf f;
    jw_init(&f);
    jw_field_int(&f, "list", l.o.server);
    jw_field_str(&f, "tag", szTag);
    if (ex) {
        jw_raw(&f, bRaw ? ",\"raw\":true" : ",\"raw\":false");
        jw_field_int(&f, "poll_period_ms", nPollPeriodMS);
        char num[64];
        snprintf(num, sizeof num, ",\"deadband\":%.17g", units);
        jw_raw(&f, num);
    }
    reply r;
    BOOL ok = conn_call(c, ex ? "list.add_ex" : "list.add", &f, &r);
    conn_release(c);
    if (ok) {
        if (!reply_int(r.obj, "handle", &t->o.server)) ok = fail(E_CONNECTION_LOST);
        reply_free(&r);
    }
    HANDLE h = NULL;
    if (ok) {
        handles_lock();
        /* the list may have been freed meanwhile */
        h = handle_find(hList, H_LIST) ? handle_add(H_TAG, t) : NULL;
        handles_unlock();
        if (!h) ct_set_error(E_UNKNOWN_HANDLE);
    }
    if (!h) free(t);
    return h;
}

CTAPI_EXPORT HANDLE CTAPI ctListAdd(HANDLE hList, LPCSTR szTag) {
    return add(hList, szTag, 0, FALSE, 0, 0);
}

CTAPI_EXPORT HANDLE CTAPI ctListAddEx(HANDLE hList, LPCSTR szTag, BOOL bRaw, int nPollPeriodMS,
                                      double dDeadband) {
    return add(hList, szTag, 1, bRaw, nPollPeriodMS, dDeadband);
}

CTAPI_EXPORT BOOL CTAPI ctListDelete(HANDLE hTag) {
    tag_obj t;
    conn *c = tag_of(hTag, &t);
    if (!c) return FALSE;
    jw_buf f;
    jw_init(&f);
    jw_field_int(&f, "handle", t.o.server);
    reply r;
    BOOL ok = conn_call(c, "list.delete", &f, &r);
    conn_release(c);
    if (!ok) return FALSE;
    reply_free(&r);
    handles_lock();
    tag_obj *found = handle_find(hTag, H_TAG);
    if (found) handle_remove(hTag);
    handles_unlock();
    free(found);
    return TRUE;
}

/* A list.read reply: 0, or the error of its first tag that could not be read. */
static DWORD read_status(jspan obj) {
    jspan failed, item;
    size_t pos = 0;
    if (!json_get(obj, "failed", &failed)) return E_CONNECTION_LOST;
    if (json_array_next(failed, &pos, &item)) return error_of(item);
    return 0;
}

/* The list's values become `fresh` (NULL: none kept, ctListData asks the server). */
static void keep_values(HANDLE hList, list_values *fresh) {
    handles_lock();
    list_obj *l = handle_find(hList, H_LIST);
    list_values *old = fresh;
    if (l) {
        old = l->values;
        l->values = fresh;
    }
    handles_unlock();
    values_free(old);
}

/* The values a list.read reply brought, and the list.values pages after it when `c` is given
 * (an overlapped read completes on the I/O thread, which cannot ask: it keeps the first page,
 * and the tags past it are asked for one by one). */
static void gather_values(HANDLE hList, conn *c, long long server_list, jspan first) {
    list_values *v = values_new();
    long long last = 0;
    BOOL ok = v && values_add_page(v, first, &last);
    int more = values_more(first);
    while (ok && more && c) {
        jw_buf f;
        jw_init(&f);
        jw_field_int(&f, "list", server_list);
        jw_field_int(&f, "after", last);
        reply r;
        if (!conn_call(c, "list.values", &f, &r)) break;
        long long before = last;
        ok = values_add_page(v, r.obj, &last);
        more = values_more(r.obj) && last > before; /* a page that moves nothing ends it */
        reply_free(&r);
    }
    if (v) values_seal(v);
    keep_values(hList, ok ? v : NULL);
    if (!ok) values_free(v);
}

static DWORD finish_read(void *ctx, jspan *reply, DWORD error, DWORD *length, BYTE **data) {
    *length = 0;
    *data = NULL;
    const HANDLE *list = ctx; /* freed with the operation */
    if (error) return error;
    gather_values(list[0], NULL, 0, *reply);
    return read_status(*reply);
}

CTAPI_EXPORT BOOL CTAPI ctListRead(HANDLE hList, CTOVERLAPPED *pctOverlapped) {
    list_obj l;
    conn *c = list_of(hList, &l);
    if (!c) {
        ov_completed(pctOverlapped, ct_get_error(), 0, NULL);
        return FALSE;
    }
    jw_buf f;
    jw_init(&f);
    jw_field_int(&f, "list", l.o.server);
    jw_raw(&f, ",\"values\":true"); /* ctListData then answers from them */
    if (pctOverlapped) {
        /* pending until a tag of the list changes (list.read with wait) */
        jw_raw(&f, ",\"wait\":true");
        HANDLE *ctx = malloc(sizeof *ctx);
        if (!ctx) {
            jw_free(&f);
            conn_release(c);
            ov_completed(pctOverlapped, E_NOT_ENOUGH_MEMORY, 0, NULL);
            return fail(E_NOT_ENOUGH_MEMORY);
        }
        *ctx = hList;
        BOOL ok = ov_submit(c, l.o.slot, pctOverlapped, "list.read", &f, finish_read, ctx);
        conn_release(c);
        return ok;
    }
    reply r;
    BOOL ok = conn_call(c, "list.read", &f, &r);
    if (!ok) {
        conn_release(c);
        keep_values(hList, NULL);
        return FALSE;
    }
    DWORD status = read_status(r.obj);
    gather_values(hList, c, l.o.server, r.obj);
    conn_release(c);
    reply_free(&r);
    /* FALSE with the Plant SCADA error when a tag could not be read (CtAPI 1150525) */
    return status ? fail(status) : TRUE;
}

static DWORD finish_nothing(void *ctx, jspan *reply, DWORD error, DWORD *length, BYTE **data) {
    (void)ctx;
    (void)reply;
    *length = 0;
    *data = NULL;
    return error;
}

CTAPI_EXPORT BOOL CTAPI ctListWrite(HANDLE hTag, LPCSTR szValue, CTOVERLAPPED *pctOverlapped) {
    tag_obj t;
    conn *c = tag_of(hTag, &t);
    if (c && !szValue) {
        conn_release(c);
        c = fail_null(E_INVALID_ARGUMENT);
    }
    if (!c) {
        ov_completed(pctOverlapped, ct_get_error(), 0, NULL);
        return FALSE;
    }
    jw_buf f;
    jw_init(&f);
    jw_field_int(&f, "handle", t.o.server);
    jw_field_str(&f, "value", szValue);
    BOOL ok;
    if (pctOverlapped) {
        ok = ov_submit(c, t.o.slot, pctOverlapped, "list.write", &f, finish_nothing, NULL);
    } else {
        reply r;
        ok = conn_call(c, "list.write", &f, &r);
        if (ok) reply_free(&r);
    }
    conn_release(c);
    return ok;
}

/* list.data of a tag handle, one item, into the caller's buffer. */
static BOOL data(HANDLE hTag, const char *item, void *pBuffer, DWORD dwLength) {
    tag_obj t;
    conn *c = tag_of(hTag, &t);
    if (!c) return FALSE;
    if (!pBuffer || !dwLength) {
        conn_release(c);
        return fail(E_INVALID_ARGUMENT);
    }
    jw_buf f;
    jw_init(&f);
    jw_field_int(&f, "handle", t.o.server);
    if (item) jw_field_str(&f, "item", item);
    reply r;
    BOOL ok = conn_call(c, "list.data", &f, &r);
    conn_release(c);
    if (!ok) return FALSE;
    ok = copy_out(r.obj, "value", pBuffer, dwLength, NULL);
    reply_free(&r);
    return ok;
}

/* The tag's value from its list's last read, kept by the library: 1 copied, 0 not kept, -1
 * failed (the error set). */
static int kept_value(HANDLE hTag, void *pBuffer, DWORD dwLength) {
    int result = 0;
    handles_lock();
    tag_obj *t = handle_find(hTag, H_TAG);
    list_obj *l = t ? handle_find(t->list, H_LIST) : NULL;
    const char *value = l ? values_find(l->values, t->o.server) : NULL;
    if (value && pBuffer && dwLength) {
        size_t n = strlen(value);
        if (n + 1 > dwLength) {
            result = -1; /* the buffer is left as it was, as for a reply copied out */
        } else {
            memcpy(pBuffer, value, n + 1);
            result = 1;
        }
    }
    handles_unlock();
    if (result < 0) ct_set_error(E_BUFFER_OVERFLOW);
    return result;
}

CTAPI_EXPORT BOOL CTAPI ctListData(HANDLE hTag, void *pBuffer, DWORD dwLength, DWORD dwMode) {
    /* CT_FMT_NO_SCALE is ignored (CtAPI 1150525): ctListAddEx's bRaw decides */
    (void)dwMode;
    tag_obj t;
    conn *c = tag_of(hTag, &t); /* still a tag of a list of this link */
    if (!c) return FALSE;
    conn_release(c);
    int kept = kept_value(hTag, pBuffer, dwLength);
    if (kept) return kept > 0;
    return data(hTag, NULL, pBuffer, dwLength);
}

static const char *const ITEMS[] = {
    NULL,
    "value",
    "timestamp",
    "value_timestamp",
    "quality_timestamp",
    "quality_general",
    "quality_substatus",
    "quality_limit",
    "quality_extended_substatus",
    "quality_datasource_error",
    "quality_override",
    "quality_control_mode",
};

CTAPI_EXPORT BOOL CTAPI ctListItem(HANDLE hTag, DWORD dwItem, void *pBuffer, DWORD dwLength,
                                   DWORD dwMode) {
    (void)dwMode;
    if (dwItem < CT_LIST_VALUE || dwItem > CT_LIST_QUALITY_CONTROL_MODE) {
        tag_obj t;
        conn *c = tag_of(hTag, &t);
        if (!c) return FALSE;
        conn_release(c);
        return fail(E_INVALID_ARGUMENT);
    }
    return data(hTag, ITEMS[dwItem], pBuffer, dwLength);
}

typedef struct {
    HANDLE list;
    long long server;
} which_tag;

static int is_tag(void *obj, void *arg) {
    tag_obj *t = obj;
    which_tag *w = arg;
    return t->list == w->list && t->o.server == w->server;
}

CTAPI_EXPORT HANDLE CTAPI ctListEvent(HANDLE hList, DWORD dwMode) {
    list_obj l;
    conn *c = list_of(hList, &l);
    if (!c) return NULL;
    jw_buf f;
    jw_init(&f);
    jw_field_int(&f, "list", l.o.server);
    jw_field_int(&f, "mode", dwMode);
    reply r;
    BOOL ok = conn_call(c, "list.event", &f, &r);
    conn_release(c);
    if (!ok) return NULL;
    which_tag w = {hList, 0};
    HANDLE h = NULL;
    if (reply_int(r.obj, "handle", &w.server)) {
        handles_lock();
        h = handle_first(H_TAG, is_tag, &w); /* NULL: a tag deleted since the read */
        handles_unlock();
    }
    reply_free(&r);
    if (!h) ct_set_error(0); /* no event left: NULL, and no error */
    return h;
}
