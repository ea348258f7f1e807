/* Overlapped calls: a call given a CTOVERLAPPED returns FALSE with ERROR_IO_PENDING (997) at
 * once; its dwStatus reads STATUS_PENDING until the library's I/O thread completes it (then 0 or
 * the error, with dwLength and pData, and hEvent signalled on Windows). ctGetOverlappedResult
 * waits or polls; ctCancelIO takes calls back (995). The calls in flight are kept by the address
 * of their CTOVERLAPPED, under one lock. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct op {
    pending p; /* first: the I/O thread's pending is the op */
    CTOVERLAPPED *ov;
    HANDLE owner;  /* the slot handle of the connection */
    conn *c;       /* referenced while in flight */
    ov_finish finish;
    void *ctx;
    int done;      /* the caller may collect it */
    int in_flight; /* the I/O thread may still call on_done */
    int orphan;    /* collected while in flight: on_done frees it */
    DWORD status, length;
    struct op *next;
} op;

static op *ops;
static ct_cond *done_cond;

static void lock(void) { ct_mutex_lock(ct_global_mutex(CT_LOCK_OVERLAPPED)); }
static void unlock(void) { ct_mutex_unlock(ct_global_mutex(CT_LOCK_OVERLAPPED)); }

static ct_cond *cond(void) {
    /* lock held */
    static ct_cond c;
    if (!done_cond) {
        ct_cond_init(&c);
        done_cond = &c;
    }
    return done_cond;
}

static void publish(CTOVERLAPPED *ov, DWORD status, DWORD length, BYTE *data) {
    ov->dwLength = length;
    ov->pData = data;
#if defined(__GNUC__)
    __atomic_store_n(&ov->dwStatus, status, __ATOMIC_RELEASE);
#else
    ov->dwStatus = status;
#endif
#ifdef _WIN32
    /* as Win32 overlapped I/O does: reset when the call starts, signalled when it is done */
    if (ov->hEvent) {
        if (status == STATUS_PENDING) ResetEvent(ov->hEvent);
        else SetEvent(ov->hEvent);
    }
#endif
}

void ov_completed(CTOVERLAPPED *ov, DWORD status, DWORD length, BYTE *data) {
    if (ov) publish(ov, status, length, data);
}

static void op_free(op *o) {
    free(o->p.frame);
    free(o->ctx);
    free(o);
}

static void unlink_op(op *o) {
    for (op **pp = &ops; *pp; pp = &(*pp)->next)
        if (*pp == o) {
            *pp = o->next;
            return;
        }
}

/* From the I/O thread: the reply (or the failure) of an overlapped call. */
static void on_done(pending *p) {
    op *o = (op *)p;
    conn *c = NULL;
    lock();
    o->in_flight = 0;
    c = o->c;
    o->c = NULL;
    if (o->orphan) {
        op_free(o);
    } else if (!o->done) {
        DWORD length = 0;
        BYTE *data = NULL;
        jspan obj = p->obj;
        DWORD status = o->finish(o->ctx, p->error ? NULL : &obj, p->error, &length, &data);
        o->status = status;
        o->length = length;
        o->done = 1;
        publish(o->ov, status, length, data);
        ct_cond_broadcast(cond());
    }
    unlock();
    if (c) conn_release(c);
}

BOOL ov_submit(conn *c, HANDLE h, CTOVERLAPPED *ov, const char *op_name, jw_buf *fields,
               ov_finish finish, void *ctx) {
    op *o = calloc(1, sizeof *o);
    if (!o) {
        free(ctx);
        jw_free(fields);
        publish(ov, E_NOT_ENOUGH_MEMORY, 0, NULL);
        return fail(E_NOT_ENOUGH_MEMORY);
    }
    o->ov = ov;
    o->owner = h;
    o->finish = finish;
    o->ctx = ctx;
    o->p.on_done = on_done;
    lock();
    for (op *e = ops; e; e = e->next) {
        if (e->ov != ov) continue;
        if (!e->done) { /* that CTOVERLAPPED is in use: leave it alone */
            unlock();
            free(o);
            free(ctx);
            jw_free(fields);
            return fail(E_INVALID_ARGUMENT);
        }
        /* an earlier call on the same CTOVERLAPPED, never collected: forget it */
        unlink_op(e);
        if (e->in_flight) e->orphan = 1;
        else op_free(e);
        break;
    }
    publish(ov, STATUS_PENDING, 0, NULL);
    o->in_flight = 1;
    o->c = c; /* referenced (below) until the I/O thread is done with it */
    o->next = ops;
    ops = o;
    unlock();
    conn_ref(c);
    if (!conn_submit(c, op_name, fields, &o->p)) {
        DWORD err = ct_get_error();
        lock();
        unlink_op(o);
        publish(ov, err, 0, NULL);
        unlock();
        conn_release(c);
        free(o->ctx);
        free(o);
        return fail(err);
    }
    return fail(E_IO_PENDING);
}

CTAPI_EXPORT BOOL CTAPI ctGetOverlappedResult(HANDLE hCtapi, CTOVERLAPPED *lpctOverlapped,
                                              DWORD *pBytes, BOOL bWait) {
    conn *c = conn_acquire(hCtapi);
    if (!c) return FALSE;
    conn_release(c);
    if (!lpctOverlapped) return fail(E_INVALID_ARGUMENT);
    lock();
    op *o = ops;
    while (o && (o->ov != lpctOverlapped || o->owner != hCtapi)) o = o->next;
    if (!o) {
        /* completed before its call returned, or collected already: what dwStatus says */
        DWORD status = lpctOverlapped->dwStatus, length = lpctOverlapped->dwLength;
        unlock();
        if (status == STATUS_PENDING) return fail(E_INVALID_ARGUMENT); /* not one of ours */
        if (pBytes) *pBytes = length;
        return status ? fail(status) : TRUE;
    }
    if (!o->done && !bWait) {
        unlock();
        return fail(E_IO_INCOMPLETE);
    }
    while (!o->done) ct_cond_wait(cond(), ct_global_mutex(CT_LOCK_OVERLAPPED));
    DWORD status = o->status, length = o->length;
    unlink_op(o);
    if (o->in_flight) o->orphan = 1;
    else op_free(o);
    unlock();
    if (pBytes) *pBytes = length;
    return status ? fail(status) : TRUE;
}

static int cancel_matching(HANDLE h, CTOVERLAPPED *ov) {
    int count = 0;
    for (;;) {
        lock();
        op *o = ops;
        while (o && (o->owner != h || o->done || (ov && o->ov != ov))) o = o->next;
        if (!o) {
            unlock();
            return count;
        }
        o->done = 1;
        o->status = E_OPERATION_ABORTED;
        publish(o->ov, E_OPERATION_ABORTED, 0, NULL);
        ct_cond_broadcast(cond());
        conn *c = o->in_flight ? o->c : NULL;
        if (c && conn_forget(c, &o->p)) {
            /* taken back before the I/O thread saw a reply: on_done will not run */
            o->in_flight = 0;
            o->c = NULL;
        } else {
            c = NULL;
        }
        unlock();
        if (c) conn_release(c);
        count++;
    }
}

CTAPI_EXPORT BOOL CTAPI ctCancelIO(HANDLE hCtapi, CTOVERLAPPED *pctOverlapped) {
    conn *c = conn_acquire(hCtapi);
    if (!c) return FALSE;
    conn_release(c);
    /* none pending: a Plant SCADA error, the link is fine */
    if (cancel_matching(hCtapi, pctOverlapped) == 0) return fail(E_INVALID_ARGUMENT);
    return TRUE;
}

void ov_forget_handle(HANDLE h) {
    /* after the connection's I/O thread stopped: every op of it is done (995 at the latest) */
    cancel_matching(h, NULL);
    lock();
    for (op **pp = &ops; *pp;) {
        op *o = *pp;
        if (o->owner == h) {
            *pp = o->next;
            if (o->in_flight) o->orphan = 1;
            else op_free(o);
        } else {
            pp = &o->next;
        }
    }
    unlock();
}
