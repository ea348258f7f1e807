/* Searches and properties: ctFindFirst(Ex), ctFindNext, ctFindPrev, ctFindScroll,
 * ctFindNumRecords, ctFindClose over the find.* requests, ctGetProperty on the record each move
 * lands on (every move gives a record handle of its own, valid until ctFindClose), and
 * ctTagGetProperty from the Tag table. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
    HANDLE slot;
    uint64_t serial;
    unsigned generation;
    long long server;
    HANDLE current; /* the record handle of the last move */
} search_obj;

typedef struct {
    HANDLE search;
    char *json; /* the record object, as the server sent it */
    size_t n;
} record_obj;

/* ---- records: JSON objects of field -> value ------------------------------------------- */
static size_t skip_ws(const char *p, size_t n, size_t i) {
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    return i;
}

/* The next member of an object; *pos starts at 0. 1 while there is one. */
static int object_next(jspan obj, size_t *pos, jspan *key, jspan *val) {
    const char *p = obj.p;
    size_t n = obj.n, i = *pos;
    if (i == 0) {
        i = skip_ws(p, n, 0);
        if (i >= n || p[i] != '{') return 0;
        i = skip_ws(p, n, i + 1);
        if (i < n && p[i] == '}') return 0;
    } else {
        i = skip_ws(p, n, i);
        if (i >= n || p[i] != ',') return 0;
        i = skip_ws(p, n, i + 1);
    }
    size_t ke = json_skip(p, n, i);
    if (!ke || p[i] != '"') return 0;
    key->p = p + i;
    key->n = ke - i;
    i = skip_ws(p, n, ke);
    if (i >= n || p[i] != ':') return 0;
    size_t vs = skip_ws(p, n, i + 1), ve = json_skip(p, n, vs);
    if (!ve) return 0;
    val->p = p + vs;
    val->n = ve - vs;
    *pos = ve;
    return 1;
}

/* A record value as text (malloc'd): strings decoded, numbers as sent, true/false 1/0, null "". */
static char *value_text(jspan v) {
    if (v.n && v.p[0] == '"') return json_string(v, NULL);
    const char *t = v.p;
    size_t n = v.n;
    if (n == 4 && !memcmp(t, "null", 4)) n = 0;
    else if (n == 4 && !memcmp(t, "true", 4)) t = "1", n = 1;
    else if (n == 5 && !memcmp(t, "false", 5)) t = "0", n = 1;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, t, n);
        s[n] = '\0';
    }
    return s;
}

/* The field `name` of a record (case-insensitive), its value as text; NULL when absent. Also
 * the field metadata clients read: "object.fields.count", "object.fields(n).name" (from 1). */
char *record_field(jspan record, const char *name, int *absent) {
    jspan k, v;
    size_t pos = 0;
    int count = 0;
    *absent = 0;
    long want = 0;
    char tail[16];
    int meta_count = !strcasecmp_ascii(name, "object.fields.count");
    int meta_name = sscanf(name, "object.fields(%ld).%15s", &want, tail) == 2 &&
                    !strcasecmp_ascii(tail, "name");
    while (object_next(record, &pos, &k, &v)) {
        count++;
        char *key = json_string(k, NULL);
        if (!key) return NULL;
        if (meta_name && count == want) return key;
        if (!meta_count && !meta_name && !strcasecmp_ascii(key, name)) {
            free(key);
            return value_text(v);
        }
        free(key);
    }
    if (meta_count) {
        char *s = malloc(24);
        if (s) snprintf(s, 24, "%d", count);
        return s;
    }
    *absent = 1;
    return NULL;
}

int strcasecmp_ascii(const char *a, const char *b) {
    for (;; a++, b++) {
        int x = tolower((unsigned char)*a), y = tolower((unsigned char)*b);
        if (x != y || !x) return x - y;
    }
}

int record_number(jspan record, const char *field, double *out) {
    int absent;
    char *text = record_field(record, field, &absent);
    if (!text) return 0;
    char *end;
    double x = strtod(text, &end);
    int ok = *text && *end == '\0';
    free(text);
    if (ok) *out = x;
    return ok;
}

/* ---- searches ---------------------------------------------------------------------------- */
static conn *search_conn(const search_obj *s) {
    conn *c = conn_acquire(s->slot);
    if (!c) return NULL;
    if (conn_serial(c) != s->serial || conn_generation(c) != s->generation) {
        conn_release(c);
        return fail_null(E_INVALID_HANDLE);
    }
    return c;
}

/* A record handle for the "record" of a reply, made current in its search (handles lock held). */
static HANDLE add_record(HANDLE search, jspan reply_obj) {
    jspan rec;
    if (!json_get(reply_obj, "record", &rec)) return fail_null(E_CONNECTION_LOST);
    record_obj *r = calloc(1, sizeof *r);
    char *copy = malloc(rec.n + 1);
    HANDLE h = r && copy ? handle_add(H_OBJECT, r) : NULL;
    if (!h) {
        free(r);
        free(copy);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    memcpy(copy, rec.p, rec.n);
    copy[rec.n] = '\0';
    r->search = search;
    r->json = copy;
    r->n = rec.n;
    search_obj *s = handle_find(search, H_FIND);
    if (s) s->current = h;
    return h;
}

/* `filter` with a CLUSTER term when `cluster` is given: ;-separated terms (or spaces when the
 * filter has no ;), as the Python shim joins them. malloc'd. */
static char *in_cluster(const char *filter, const char *cluster) {
    size_t n = strlen(filter) + strlen(cluster) + 16;
    char *out = malloc(n);
    if (!out) return NULL;
    out[0] = '\0';
    if (!*cluster) {
        snprintf(out, n, "%s", filter);
        return out;
    }
    const char *sep = strchr(filter, ';') ? ";" : " \t";
    size_t o = 0;
    const char *p = filter;
    while (*p) {
        size_t len = strcspn(p, sep);
        size_t s = 0, e = len;
        while (s < e && isspace((unsigned char)p[s])) s++;
        while (e > s && isspace((unsigned char)p[e - 1])) e--;
        if (e > s) {
            memcpy(out + o, p + s, e - s);
            o += e - s;
            out[o++] = ';';
        }
        p += len;
        if (*p) p++;
    }
    snprintf(out + o, n - o, "CLUSTER=%s", cluster);
    return out;
}

static HANDLE find_first(HANDLE hCtapi, LPCTSTR table, LPCTSTR filter, LPCTSTR cluster,
                         HANDLE *pObjHnd) {
    conn *c = conn_acquire(hCtapi);
    if (!c) return NULL;
    if (!table) {
        conn_release(c);
        return fail_null(E_INVALID_ARGUMENT);
    }
    char *full = in_cluster(filter ? filter : "", cluster ? cluster : "");
    search_obj *s = calloc(1, sizeof *s);
    if (!full || !s) {
        free(full);
        free(s);
        conn_release(c);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    s->slot = hCtapi;
    s->serial = conn_serial(c);
    s->generation = conn_generation(c);
    jw_buf f;
    jw_init(&f);
    jw_field_str(&f, "table", table);
    jw_field_str(&f, "filter", full);
    free(full);
    reply r;
    BOOL ok = conn_call(c, "find.first", &f, &r);
    jspan v;
    if (ok && !(json_get(r.obj, "find", &v) && json_int(v, &s->server))) {
        reply_free(&r);
        ok = fail(E_CONNECTION_LOST);
    }
    conn_release(c);
    if (!ok) {
        free(s);
        return NULL;
    }
    handles_lock();
    HANDLE h = handle_add(H_FIND, s);
    HANDLE obj = h ? add_record(h, r.obj) : NULL;
    if (h && !obj) handle_remove(h);
    handles_unlock();
    reply_free(&r);
    if (!obj) {
        free(s);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    if (pObjHnd) *pObjHnd = obj;
    return h;
}

CTAPI_EXPORT HANDLE CTAPI ctFindFirst(HANDLE hCtapi, LPCTSTR szTableName, LPCTSTR szFilter,
                                      HANDLE *pObjHnd, DWORD dwFlags) {
    (void)dwFlags;
    return find_first(hCtapi, szTableName, szFilter, NULL, pObjHnd);
}

CTAPI_EXPORT HANDLE CTAPI ctFindFirstEx(HANDLE hCtapi, LPCTSTR szTableName, LPCTSTR szFilter,
                                        LPCTSTR szCluster, HANDLE *pObjHnd, DWORD dwFlags) {
    (void)dwFlags;
    return find_first(hCtapi, szTableName, szFilter, szCluster, pObjHnd);
}

/* One find.* request on a search: TRUE with the reply. */
static BOOL on_search(HANDLE hnd, const char *op, jw_buf *extra, reply *r, search_obj *copy) {
    handles_lock();
    search_obj *s = handle_find(hnd, H_FIND);
    if (s) *copy = *s;
    handles_unlock();
    if (!s) {
        if (extra) jw_free(extra);
        return fail(E_UNKNOWN_HANDLE);
    }
    conn *c = search_conn(copy);
    if (!c) {
        if (extra) jw_free(extra);
        return FALSE;
    }
    jw_buf f;
    jw_init(&f);
    jw_field_int(&f, "find", copy->server);
    if (extra && extra->len) {
        jw_raw(&f, ",");
        jw_raw(&f, extra->data);
    }
    if (extra) jw_free(extra);
    BOOL ok = conn_call(c, op, &f, r);
    conn_release(c);
    return ok;
}

/* A move: TRUE with a new record handle in *pObjHnd (when given) and the position. */
static BOOL move(HANDLE hnd, const char *op, jw_buf *extra, HANDLE *pObjHnd, long long *position) {
    search_obj s;
    reply r;
    if (!on_search(hnd, op, extra, &r, &s)) return FALSE;
    jspan v;
    if (position && !(json_get(r.obj, "position", &v) && json_int(v, position))) *position = 0;
    handles_lock();
    HANDLE obj = handle_find(hnd, H_FIND) ? add_record(hnd, r.obj) : fail_null(E_UNKNOWN_HANDLE);
    handles_unlock();
    reply_free(&r);
    if (!obj) return FALSE;
    if (pObjHnd) *pObjHnd = obj;
    return TRUE;
}

CTAPI_EXPORT BOOL CTAPI ctFindNext(HANDLE hnd, HANDLE *pObjHnd) {
    return move(hnd, "find.next", NULL, pObjHnd, NULL);
}

CTAPI_EXPORT BOOL CTAPI ctFindPrev(HANDLE hnd, HANDLE *pObjHnd) {
    return move(hnd, "find.prev", NULL, pObjHnd, NULL);
}

CTAPI_EXPORT DWORD CTAPI ctFindScroll(HANDLE hnd, DWORD dwMode, LONG dwOffset, HANDLE *pObjHnd) {
    jw_buf f;
    jw_init(&f);
    jw_field_int(&f, "mode", dwMode);
    jw_field_int(&f, "offset", dwOffset);
    long long position = 0;
    if (!move(hnd, "find.scroll", &f, pObjHnd, &position)) return 0;
    return (DWORD)position;
}

CTAPI_EXPORT LONG CTAPI ctFindNumRecords(HANDLE hnd) {
    search_obj s;
    reply r;
    if (!on_search(hnd, "find.count", NULL, &r, &s)) return -1;
    jspan v;
    long long count = -1;
    if (!(json_get(r.obj, "count", &v) && json_int(v, &count))) {
        count = -1;
        ct_set_error(E_CONNECTION_LOST);
    }
    reply_free(&r);
    return (LONG)count;
}

static int record_of(void *obj, void *arg) { return ((record_obj *)obj)->search == *(HANDLE *)arg; }

static void record_free(void *obj) {
    record_obj *r = obj;
    free(r->json);
    free(r);
}

CTAPI_EXPORT BOOL CTAPI ctFindClose(HANDLE hnd) {
    search_obj s;
    reply r;
    handles_lock();
    int known = handle_find(hnd, H_FIND) != NULL;
    handles_unlock();
    if (!known) return fail(E_UNKNOWN_HANDLE);
    /* closed on the server when its link is still there; the handles go in any case */
    if (on_search(hnd, "find.close", NULL, &r, &s)) reply_free(&r);
    handles_lock();
    search_obj *found = handle_find(hnd, H_FIND);
    if (found) handle_remove(hnd);
    handle_remove_if(H_OBJECT, record_of, &hnd, record_free);
    handles_unlock();
    free(found);
    return TRUE;
}

CTAPI_EXPORT BOOL CTAPI ctGetProperty(HANDLE hnd, LPCSTR szName, void *pData, DWORD dwBufferLength,
                                      DWORD *dwResultLength, DWORD dwType) {
    if (dwResultLength) *dwResultLength = 0;
    handles_lock();
    record_obj *r = handle_find(hnd, H_OBJECT);
    if (!r) { /* a search handle stands for the record it is on */
        search_obj *s = handle_find(hnd, H_FIND);
        if (s) r = handle_find(s->current, H_OBJECT);
    }
    char *copy = NULL;
    size_t n = 0;
    if (r) {
        n = r->n;
        copy = malloc(n + 1);
        if (copy) memcpy(copy, r->json, n + 1);
    }
    handles_unlock();
    if (!r) return fail(E_UNKNOWN_HANDLE);
    return record_property(copy, n, szName, pData, dwBufferLength, dwResultLength, dwType);
}

BOOL record_property(char *copy, size_t n, LPCSTR szName, void *pData, DWORD dwBufferLength,
                     DWORD *dwResultLength, DWORD dwType) {
    if (!copy) return fail(E_NOT_ENOUGH_MEMORY);
    if (!szName) {
        free(copy);
        return fail(E_INVALID_ARGUMENT);
    }
    jspan record = {copy, n};
    int absent;
    char *text = record_field(record, szName, &absent);
    free(copy);
    if (!text) return fail(absent ? E_INVALID_ARGUMENT : E_NOT_ENOUGH_MEMORY);
    DWORD written = 0;
    BOOL ok = property_store(text, dwType, pData, dwBufferLength, &written);
    free(text);
    if (dwResultLength) *dwResultLength = written;
    return ok;
}

/* ---- the Tag table ----------------------------------------------------------------------- */
static BOOL find_tag(conn *c, const char *name, const char *cluster, reply *out, jspan *record) {
    char filter[400];
    snprintf(filter, sizeof filter, cluster ? "TAG=%s;CLUSTER=%s" : "TAG=%s", name, cluster);
    jw_buf f;
    jw_init(&f);
    jw_field_str(&f, "table", "Tag");
    jw_field_str(&f, "filter", filter);
    if (!conn_call(c, "find.first", &f, out)) return FALSE;
    jspan v;
    long long id;
    if (json_get(out->obj, "find", &v) && json_int(v, &id)) {
        jw_buf g;
        jw_init(&g);
        jw_field_int(&g, "find", id);
        reply closed;
        if (conn_call(c, "find.close", &g, &closed)) reply_free(&closed);
    }
    if (!json_get(out->obj, "record", record)) {
        reply_free(out);
        return fail(E_CONNECTION_LOST);
    }
    return TRUE;
}

BOOL tag_record(conn *c, const char *reference, reply *out, jspan *record) {
    /* [Cluster.]Tag[.Element][.Item][[n]]: Cluster.Tag first, then Tag */
    char ref[256], *parts[4] = {0};
    size_t len = strcspn(reference, "[");
    if (len == 0 || len >= sizeof ref || strpbrk(reference, "*?;= \t"))
        return fail(E_TAG_NOT_FOUND);
    memcpy(ref, reference, len);
    ref[len] = '\0';
    int count = 0;
    for (char *p = ref; count < 4;) {
        parts[count++] = p;
        char *dot = strchr(p, '.');
        if (!dot) break;
        *dot = '\0';
        p = dot + 1;
    }
    if (count >= 2) {
        if (find_tag(c, parts[1], parts[0], out, record)) return TRUE;
        if (ct_get_error() != E_NO_MORE_RECORDS) return FALSE;
    }
    if (find_tag(c, parts[0], NULL, out, record)) return TRUE;
    return ct_get_error() == E_NO_MORE_RECORDS ? fail(E_TAG_NOT_FOUND) : FALSE;
}

CTAPI_EXPORT BOOL CTAPI ctTagGetProperty(HANDLE hCtapi, LPCSTR szTagName, LPCSTR szProperty,
                                         void *pData, DWORD dwBufferLength, DWORD dwType) {
    conn *c = conn_acquire(hCtapi);
    if (!c) return FALSE;
    if (!szTagName || !szProperty) {
        conn_release(c);
        return fail(E_INVALID_ARGUMENT);
    }
    reply r;
    jspan record;
    BOOL ok = tag_record(c, szTagName, &r, &record);
    conn_release(c);
    if (!ok) return FALSE;
    int absent;
    char *text = strncmp(szProperty, "object.", 7) ? record_field(record, szProperty, &absent) : NULL;
    if (!strncmp(szProperty, "object.", 7)) absent = 1;
    reply_free(&r);
    if (!text) return fail(absent ? E_INVALID_ARGUMENT : E_NOT_ENOUGH_MEMORY);
    DWORD written;
    ok = property_store(text, dwType, pData, dwBufferLength, &written);
    free(text);
    return ok;
}
