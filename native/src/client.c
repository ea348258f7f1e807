/* ctClientCreate, ctOpenEx, ctCloseEx, ctClientDestroy: a client handle made first, opened and
 * closed on as often as the caller likes (CtAPI 1150505-1150507), as the Python shim does. */
#include <stdlib.h>

#include "internal.h"

CTAPI_EXPORT HANDLE CTAPI ctClientCreate(void) {
    slot *s = calloc(1, sizeof *s);
    if (!s) return fail_null(E_NOT_ENOUGH_MEMORY);
    s->created = 1;
    handles_lock();
    HANDLE h = handle_add(H_SLOT, s);
    handles_unlock();
    if (!h) {
        free(s);
        return fail_null(E_NOT_ENOUGH_MEMORY);
    }
    return h;
}

/* The created slot of h (handles lock held), or NULL. */
static slot *created(HANDLE h) {
    slot *s = handle_find(h, H_SLOT);
    return s && s->created ? s : NULL;
}

CTAPI_EXPORT BOOL CTAPI ctOpenEx(LPCSTR szComputer, LPCSTR szUser, LPCSTR szPassword, DWORD nMode,
                                 HANDLE hCtapi) {
    handles_lock();
    slot *s = created(hCtapi);
    int open = s && s->c;
    handles_unlock();
    if (!s) return fail(E_INVALID_HANDLE);
    if (open) return fail(E_ALREADY_OPEN); /* ctCloseEx it first */
    conn *c = conn_open(szComputer, szUser, szPassword, nMode);
    if (!c) return FALSE;
    handles_lock();
    s = created(hCtapi);
    int taken = !s || s->c; /* another thread opened or destroyed it meanwhile */
    if (!taken) s->c = c;
    handles_unlock();
    if (taken) {
        conn_close(c);
        return fail(s ? E_ALREADY_OPEN : E_INVALID_HANDLE);
    }
    return TRUE;
}

/* Close (and with destroy, free) a created slot: TRUE, or FALSE with 6. */
static BOOL close_created(HANDLE h, int destroy, int must_be_open) {
    handles_lock();
    slot *s = created(h);
    conn *c = s ? s->c : NULL;
    int ok = s && (c || !must_be_open);
    if (ok) {
        s->c = NULL;
        if (destroy) handle_remove(h);
    }
    handles_unlock();
    if (!ok) return fail(E_INVALID_HANDLE);
    if (destroy) free(s);
    if (c) slot_close_conn(h, c);
    return TRUE;
}

CTAPI_EXPORT BOOL CTAPI ctCloseEx(HANDLE hCtapi, BOOL bDestroy) {
    /* the handle stays for ctOpenEx unless bDestroy; closing one that is not open is an error
     * unless it is also destroyed */
    return close_created(hCtapi, bDestroy != 0, bDestroy == 0);
}

CTAPI_EXPORT BOOL CTAPI ctClientDestroy(HANDLE hCtapi) { return close_created(hCtapi, 1, 0); }
