/* A connection: one link to the emulator's CtAPI port, its session, and the I/O thread that
 * reads every frame and hands each reply to the request with its id (several threads may
 * share a connection; overlapped calls complete from this thread). With CT_OPEN_RECONNECT the
 * I/O thread makes the link again, with a growing delay, whenever it is lost. */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <strings.h>
#else
#define strcasecmp _stricmp
#endif

#include "internal.h"

/* Delays between reconnect attempts: the first, and the most it doubles to. */
#define RETRY_FIRST_MS 200
#define RETRY_MAX_MS 5000

enum { LINK_UP, LINK_DOWN, LINK_BROKEN };

struct conn {
    ct_mutex lock;
    ct_cond changed; /* a reply arrived, the link went or came back, closing */
    ct_transport *t; /* under lock; the I/O thread reads it without the lock */
    frame_reader *reader;
    long long next_id;
    int state;
    DWORD down_error; /* why the link is down or broken */
    unsigned generation;
    int closing;
    pending *pendings;
    ct_thread io;
    int io_running;
    uint64_t serial;
    /* what ctOpen was given, to open again */
    char *computer, *user, *password;
    DWORD mode;
    int refs; /* under the handles lock */
};

static uint64_t next_serial = 1;

/* ---- the last error -------------------------------------------------------------------- */
static _Thread_local DWORD last_error;

void ct_set_error(DWORD code) {
    last_error = code;
#ifndef _WIN32
    errno = (int)code; /* what ctypes' use_errno, mono's GetLastWin32Error and cgo read */
#endif
}
DWORD ct_get_error(void) { return last_error; }
BOOL fail(DWORD code) {
    ct_set_error(code);
    return FALSE;
}
HANDLE fail_null(DWORD code) {
    ct_set_error(code);
    return NULL;
}

/* Exported on Linux. On Windows src/win32.h renames them ct_get_last_error and
 * ct_set_last_error: each export (src/exports_win32.c) hands the code to kernel32's
 * SetLastError as the last thing before it returns. */
CTAPI_EXPORT DWORD CTAPI GetLastError(void) { return last_error; }
CTAPI_EXPORT void CTAPI SetLastError(DWORD code) { ct_set_error(code); }

/* ---- replies --------------------------------------------------------------------------- */
void reply_free(reply *r) {
    free(r->frame);
    r->frame = NULL;
}

char *reply_string(jspan obj, const char *field, size_t *len) {
    jspan v;
    return json_get(obj, field, &v) ? json_string(v, len) : NULL;
}

BOOL copy_out(jspan obj, const char *field, LPSTR buf, DWORD len, DWORD *written) {
    size_t n = 0;
    char *text = reply_string(obj, field, &n);
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

DWORD error_of(jspan obj) {
    jspan err, code;
    long long v;
    if (json_get(obj, "error", &err) && json_get(err, "code", &code) && json_int(code, &v) &&
        v > 0 && v <= 0xFFFFFFFFll)
        return (DWORD)v;
    return E_CONNECTION_LOST;
}

void error_name_of(jspan obj, char *buf, size_t len) {
    jspan err;
    buf[0] = '\0';
    if (!json_get(obj, "error", &err)) return;
    char *name = reply_string(err, "name", NULL);
    if (name) snprintf(buf, len, "%s", name);
    free(name);
}

void jw_field_str(jw_buf *b, const char *name, const char *value) {
    if (b->len) jw_raw(b, ",");
    jw_str(b, name);
    jw_raw(b, ":");
    jw_str(b, value);
}

void jw_field_int(jw_buf *b, const char *name, long long value) {
    if (b->len) jw_raw(b, ",");
    jw_str(b, name);
    jw_raw(b, ":");
    jw_int(b, value);
}

/* ---- where a computer listens ----------------------------------------------------------- */
static int is_address(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!strchr("0123456789.:abcdefABCDEF", *s)) return 0;
    return 1;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *d = malloc(cap);
    while (d) {
        size_t got = fread(d + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        if (cap > (1u << 24)) {
            free(d);
            d = NULL;
            break;
        }
        char *nd = realloc(d, cap *= 2);
        if (!nd) {
            free(d);
            d = NULL;
            break;
        }
        d = nd;
    }
    fclose(f);
    if (d) *len = n;
    return d;
}

typedef struct {
    char host[256];
    int port;
    char server_name[256];
    char *ca;
} target;

/* Resolve ctOpen's computer for the plain (tls 0) or encrypted (tls 1) port: 0, or the Win32
 * error code (docs/native.md "Which computer"). */
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
    char *text = slurp(ready, &n);
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
        char *type = reply_string(item, "type", NULL);
        char *name = reply_string(item, "computer", NULL);
        char *addr = reply_string(item, "address", NULL);
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
    if (known) return E_CONNECTION_REFUSED; /* never another port instead */
    if (!strcmp(computer, "127.0.0.1") || !strcmp(computer, "::1") ||
        !strcasecmp(computer, "localhost")) {
        /* this machine, where no listener has that address: the local computer, as on a Plant
         * SCADA runtime's own machine (the Python client does the same; docs/client.md) */
        free(t->ca);
        return resolve("", tls, t);
    }
    if (*computer && is_address(computer)) {
        snprintf(t->host, sizeof t->host, "%s", computer);
        snprintf(t->server_name, sizeof t->server_name, "%s", computer);
        return 0;
    }
    return E_COMPUTER_NOT_FOUND;
}

/* ---- frames ------------------------------------------------------------------------------ */
/* The next frame of a link into *out (malloc'd): 0, or a Win32 error code. `idle_ok`: a read
 * timeout is not an error (the I/O thread waits as long as the link is quiet). */
static int read_frame(ct_transport *t, frame_reader *r, reply *out, int idle_ok) {
    for (;;) {
        jspan f;
        int got = frame_reader_next(r, &f);
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
        char *space = frame_reader_space(r, &room);
        ssize_t n = t->recv(t, space, room);
        if (n == 0) return E_CONNECTION_LOST;
        if (n < 0) {
            if (idle_ok && -n == E_TIMEOUT) continue;
            return (int)-n;
        }
        frame_reader_commit(r, (size_t)n);
    }
}

static int build_request(jw_buf *b, long long id, const char *op, jw_buf *fields) {
    jw_init(b);
    jw_raw(b, "{\"id\":");
    jw_int(b, id);
    jw_raw(b, ",\"op\":");
    jw_str(b, op);
    if (fields && fields->len) {
        jw_raw(b, ",");
        jw_raw(b, fields->data);
    }
    jw_raw(b, "}\n");
    if (b->failed || (fields && fields->failed)) {
        jw_free(b);
        return E_NOT_ENOUGH_MEMORY;
    }
    if (b->len > CT_MAX_FRAME_SIZE) {
        jw_free(b);
        return E_INVALID_PARAMETER;
    }
    return 0;
}

/* Dial, take the hello, log in: the link, or NULL with *err (the I/O thread is not running:
 * the frames are read here). */
static ct_transport *link_open(conn *c, frame_reader *r, int *err) {
    int tls = (c->mode & CT_OPEN_CRYPT) != 0; /* the encrypted port only: never plain */
    target t;
    *err = resolve(c->computer, tls, &t);
    if (*err) {
        free(t.ca);
        return NULL;
    }
    ct_transport *tr = tls ? ct_tls_connect(t.host, t.port, CT_TIMEOUT_MS, t.server_name, t.ca, err)
                           : ct_tcp_connect(t.host, t.port, CT_TIMEOUT_MS, err);
    free(t.ca);
    if (!tr) return NULL;
    frame_reader_init(r);
    reply hello;
    *err = read_frame(tr, r, &hello, 0);
    if (!*err) {
        jspan v;
        if (!json_get(hello.obj, "event", &v)) *err = (int)error_of(hello.obj);
        reply_free(&hello);
    }
    jw_buf f, b;
    jw_init(&f);
    jw_field_str(&f, "user", c->user);
    jw_field_str(&f, "password", c->password);
    jw_field_int(&f, "mode", c->mode);
    if (!*err) *err = build_request(&b, 1, "open", &f);
    jw_free(&f);
    if (!*err) {
        *err = tr->send_all(tr, b.data, b.len);
        jw_free(&b);
    }
    while (!*err) {
        reply rep;
        *err = read_frame(tr, r, &rep, 0);
        if (*err) break;
        jspan v;
        long long id;
        int mine = json_get(rep.obj, "id", &v) && json_int(v, &id) && id == 1;
        int ok = json_get(rep.obj, "ok", &v) && json_true(v);
        int event = json_get(rep.obj, "event", &v);
        if (!mine && !event && !ok) *err = (int)error_of(rep.obj); /* "id": null */
        else if (mine) *err = ok ? 0 : (int)error_of(rep.obj);
        reply_free(&rep);
        if (mine) break;
    }
    if (*err) {
        tr->close(tr);
        return NULL;
    }
    return tr;
}

/* ---- the I/O thread ----------------------------------------------------------------------- */
static void finish(pending *p, DWORD error, reply *r) {
    /* c->lock held; p unlinked */
    p->done = 1;
    p->error = error;
    if (r) {
        p->frame = r->frame;
        p->obj = r->obj;
    }
}

/* The link is gone: every request in flight fails with `error` (995 when closing). */
static void link_lost(conn *c, DWORD error) {
    ct_mutex_lock(&c->lock);
    if (c->closing) error = E_OPERATION_ABORTED;
    pending *list = c->pendings, *async = NULL;
    c->pendings = NULL;
    while (list) {
        pending *p = list;
        list = p->next;
        finish(p, error, NULL);
        if (p->on_done) {
            p->next = async;
            async = p;
        }
    }
    c->state = (c->mode & CT_OPEN_RECONNECT) && !c->closing ? LINK_DOWN : LINK_BROKEN;
    c->down_error = error;
    ct_transport *t = c->t;
    c->t = NULL;
    ct_cond_broadcast(&c->changed);
    ct_mutex_unlock(&c->lock);
    if (t) t->close(t);
    while (async) {
        pending *p = async;
        async = p->next;
        p->on_done(p);
    }
}

static void dispatch(conn *c, reply *r) {
    jspan v;
    long long id;
    if (json_get(r->obj, "id", &v) && json_int(v, &id)) {
        ct_mutex_lock(&c->lock);
        pending **pp = &c->pendings, *p = NULL;
        void (*on_done)(pending *) = NULL;
        while (*pp && (*pp)->id != id) pp = &(*pp)->next;
        if (*pp) {
            p = *pp;
            *pp = p->next;
            int ok = json_get(r->obj, "ok", &v) && json_true(v);
            if (ok) {
                finish(p, 0, r);
            } else {
                finish(p, error_of(r->obj), NULL);
                /* keep the frame: callers read error.name from it */
                p->frame = r->frame;
                p->obj = r->obj;
            }
            r->frame = NULL;
            on_done = p->on_done; /* a synchronous p may be gone once the lock is let go */
            if (!on_done) ct_cond_broadcast(&c->changed);
        }
        ct_mutex_unlock(&c->lock);
        if (on_done) on_done(p);
        reply_free(r); /* a reply nobody waits for (cancelled, timed out) */
        return;
    }
    reply_free(r);
}

static void io_main(void *arg) {
    conn *c = arg;
    int delay = RETRY_FIRST_MS;
    for (;;) {
        ct_mutex_lock(&c->lock);
        int state = c->state, closing = c->closing;
        ct_transport *t = c->t;
        ct_mutex_unlock(&c->lock);
        if (closing || state == LINK_BROKEN) return;
        if (state == LINK_UP) {
            reply r;
            int err = read_frame(t, c->reader, &r, 1);
            if (err) {
                link_lost(c, (DWORD)err);
                continue;
            }
            jspan v;
            if (json_get(r.obj, "id", &v) && !(v.n == 4 && !memcmp(v.p, "null", 4))) {
                dispatch(c, &r);
                continue;
            }
            if (json_get(r.obj, "event", &v)) {
                char *ev = json_string(v, NULL);
                int gone = ev && !strcmp(ev, "closing");
                free(ev);
                reply_free(&r);
                if (gone) link_lost(c, E_CONNECTION_LOST);
                continue;
            }
            /* "ok": false with "id": null: the server gave up on the stream */
            DWORD code = error_of(r.obj);
            reply_free(&r);
            link_lost(c, code);
            continue;
        }
        /* LINK_DOWN, reconnecting: wait, then try (ctClose wakes the wait) */
        ct_mutex_lock(&c->lock);
        long long until = ct_now_ms() + delay;
        while (!c->closing && !ct_cond_wait_until(&c->changed, &c->lock, until)) {
        }
        closing = c->closing;
        ct_mutex_unlock(&c->lock);
        if (closing) return;
        int err = 0;
        frame_reader *fresh = malloc(sizeof *fresh);
        ct_transport *nt = fresh ? link_open(c, fresh, &err) : NULL;
        if (!fresh) err = E_NOT_ENOUGH_MEMORY;
        if (!nt) {
            free(fresh);
            ct_mutex_lock(&c->lock);
            if (IsCitectError((DWORD)err)) c->state = LINK_BROKEN; /* refused: retrying cannot help */
            c->down_error = (DWORD)err;
            ct_mutex_unlock(&c->lock);
            delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
            continue;
        }
        ct_mutex_lock(&c->lock);
        free(c->reader);
        c->reader = fresh;
        c->t = nt;
        c->next_id = 1;
        c->state = LINK_UP;
        c->generation++;
        c->down_error = 0;
        if (c->closing) ct_transport_wake(nt);
        ct_cond_broadcast(&c->changed);
        ct_mutex_unlock(&c->lock);
        delay = RETRY_FIRST_MS;
    }
}

/* ---- lifetime ----------------------------------------------------------------------------- */
static char *dup_or_empty(const char *s) {
    const char *v = s ? s : "";
    size_t n = strlen(v) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, v, n);
    return d;
}

static void conn_free(conn *c) {
    if (c->t) c->t->close(c->t);
    free(c->reader);
    free(c->computer);
    free(c->user);
    free(c->password);
    ct_cond_destroy(&c->changed);
    ct_mutex_destroy(&c->lock);
    free(c);
}

conn *conn_open(LPCSTR computer, LPCSTR user, LPCSTR password, DWORD mode) {
    /* the server's answer to unknown bits (processes/ctapi.py): a refused command, not a bad pointer */
    if (mode & ~(DWORD)CT_KNOWN_MODES) return fail_null(E_INVALID_ARGUMENT);
    conn *c = calloc(1, sizeof *c);
    if (!c) return fail_null(E_NOT_ENOUGH_MEMORY);
    ct_mutex_init(&c->lock);
    ct_cond_init(&c->changed);
    c->mode = mode;
    c->computer = dup_or_empty(computer);
    c->user = dup_or_empty(user);
    c->password = dup_or_empty(password);
    c->reader = malloc(sizeof *c->reader);
    c->refs = 1;
    if (!c->computer || !c->user || !c->password || !c->reader) {
        conn_free(c);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    int err = 0;
    c->t = link_open(c, c->reader, &err);
    if (!c->t) {
        /* with CT_OPEN_RECONNECT the handle exists while the link is down, unless the server
         * refused the login (or the arguments are wrong): retrying cannot help those */
        if (!(mode & CT_OPEN_RECONNECT) || IsCitectError((DWORD)err) ||
            err == E_INVALID_PARAMETER) {
            conn_free(c);
            return fail_null((DWORD)err);
        }
        c->state = LINK_DOWN;
        c->down_error = (DWORD)err;
    }
    c->next_id = 1;
    handles_lock();
    c->serial = next_serial++;
    handles_unlock();
    if (ct_thread_start(&c->io, io_main, c) != 0) {
        conn_free(c);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    c->io_running = 1;
    return c;
}

void conn_close(conn *c) {
    /* log out first when the link is up (ctClose cancels what is pending: the server answers
     * a waiting list.read with not_connected) */
    reply r;
    ct_mutex_lock(&c->lock);
    int up = c->state == LINK_UP;
    ct_mutex_unlock(&c->lock);
    if (up && conn_call(c, "close", NULL, &r)) reply_free(&r);
    ct_mutex_lock(&c->lock);
    c->closing = 1;
    if (c->t) ct_transport_wake(c->t);
    ct_cond_broadcast(&c->changed);
    ct_mutex_unlock(&c->lock);
    if (c->io_running) ct_thread_join(c->io);
    c->io_running = 0;
    link_lost(c, E_OPERATION_ABORTED); /* whatever is left */
    conn_release(c);
}

conn *conn_acquire(HANDLE h) {
    handles_lock();
    slot *s = handle_find(h, H_SLOT);
    conn *c = s ? s->c : NULL;
    if (c) c->refs++;
    handles_unlock();
    if (!c) ct_set_error(E_INVALID_HANDLE);
    return c;
}

void conn_ref(conn *c) {
    handles_lock();
    c->refs++;
    handles_unlock();
}

void conn_release(conn *c) {
    handles_lock();
    int gone = --c->refs == 0;
    handles_unlock();
    if (gone) conn_free(c);
}

uint64_t conn_serial(conn *c) { return c->serial; }

unsigned conn_generation(conn *c) {
    ct_mutex_lock(&c->lock);
    unsigned g = c->generation;
    ct_mutex_unlock(&c->lock);
    return g;
}

/* ---- requests ----------------------------------------------------------------------------- */
/* The error of a call on a link that is not up (c->lock held). */
static DWORD not_up(conn *c) {
    if (c->closing) return E_INVALID_HANDLE;
    if (c->state == LINK_DOWN) return E_NOT_CONNECTED;
    return c->down_error && IsCitectError(c->down_error) ? c->down_error : E_CONNECTION_LOST;
}

/* Send the request of p (c->lock held): 0, or the error. */
static DWORD send_locked(conn *c, const char *op, jw_buf *fields, pending *p) {
    if (c->state != LINK_UP || c->closing) return not_up(c);
    jw_buf b;
    p->id = ++c->next_id;
    int err = build_request(&b, p->id, op, fields);
    if (err) return (DWORD)err;
    p->done = 0;
    p->frame = NULL;
    p->next = c->pendings;
    c->pendings = p;
    err = c->t->send_all(c->t, b.data, b.len);
    jw_free(&b);
    if (err) {
        c->pendings = p->next;
        /* the I/O thread sees the broken socket too and fails the others */
        ct_transport_wake(c->t);
        return (DWORD)err;
    }
    return 0;
}

BOOL conn_call(conn *c, const char *op, jw_buf *fields, reply *out) {
    pending p;
    memset(&p, 0, sizeof p);
    out->frame = NULL;
    ct_mutex_lock(&c->lock);
    DWORD err = send_locked(c, op, fields, &p);
    if (fields) jw_free(fields);
    if (err) {
        ct_mutex_unlock(&c->lock);
        return fail(err);
    }
    long long deadline = ct_now_ms() + CT_TIMEOUT_MS;
    while (!p.done) {
        if (ct_cond_wait_until(&c->changed, &c->lock, deadline) && !p.done) {
            /* no reply in time: forget the request (a late reply is dropped) */
            for (pending **pp = &c->pendings; *pp; pp = &(*pp)->next)
                if (*pp == &p) {
                    *pp = p.next;
                    break;
                }
            ct_mutex_unlock(&c->lock);
            return fail(E_TIMEOUT);
        }
    }
    ct_mutex_unlock(&c->lock);
    if (p.error) {
        /* a not_read from the server is Plant SCADA's "no valid data yet" */
        if (p.frame) {
            char name[64];
            error_name_of(p.obj, name, sizeof name);
            free(p.frame);
            if (!strcmp(name, "not_read")) return fail(E_NO_VALID_DATA);
        }
        return fail(p.error);
    }
    out->frame = p.frame;
    out->obj = p.obj;
    return TRUE;
}

BOOL conn_submit(conn *c, const char *op, jw_buf *fields, pending *p) {
    ct_mutex_lock(&c->lock);
    DWORD err = send_locked(c, op, fields, p);
    ct_mutex_unlock(&c->lock);
    if (fields) jw_free(fields);
    return err ? fail(err) : TRUE;
}

int conn_forget(conn *c, pending *p) {
    int found = 0;
    ct_mutex_lock(&c->lock);
    for (pending **pp = &c->pendings; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            found = 1;
            break;
        }
    ct_mutex_unlock(&c->lock);
    return found;
}
