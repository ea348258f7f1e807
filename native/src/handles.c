/* The handle table: every handle the library gives out (connections, lists, tags, searches,
 * records, points) is a small integer, never a pointer and never reused in the process, so a
 * closed, foreign or made-up handle is found out instead of dereferenced. An open-addressing
 * hash map from the integer to (kind, object), under one lock. */
#include <stdlib.h>

#include "internal.h"

typedef struct {
    uintptr_t id; /* 0: empty; TOMBSTONE: removed */
    int kind;
    void *obj;
} entry;

#define TOMBSTONE ((uintptr_t)-1)

static entry *table;
static size_t cap, used, live; /* used counts live entries and tombstones */
static uintptr_t next_id = 1;

void handles_lock(void) { ct_mutex_lock(ct_global_mutex(CT_LOCK_HANDLES)); }
void handles_unlock(void) { ct_mutex_unlock(ct_global_mutex(CT_LOCK_HANDLES)); }

static size_t slot_of(uintptr_t id, size_t n) { return (size_t)(id * 11400714819323198485ull) & (n - 1); }

static int grow(void) {
    size_t ncap = cap ? cap : 64;
    while (live * 2 + 2 > ncap) ncap *= 2;
    if (ncap == cap && used * 4 < cap * 3) return 0;
    entry *n = calloc(ncap, sizeof *n);
    if (!n) return -1;
    for (size_t i = 0; i < cap; i++) {
        if (table[i].id == 0 || table[i].id == TOMBSTONE) continue;
        size_t j = slot_of(table[i].id, ncap);
        while (n[j].id) j = (j + 1) & (ncap - 1);
        n[j] = table[i];
    }
    free(table);
    table = n;
    cap = ncap;
    used = live;
    return 0;
}

HANDLE handle_add(int kind, void *obj) {
    if ((used + 1) * 4 >= cap * 3 && grow() != 0) return NULL;
    uintptr_t id = next_id++;
    size_t j = slot_of(id, cap);
    while (table[j].id && table[j].id != TOMBSTONE) j = (j + 1) & (cap - 1);
    if (table[j].id == 0) used++;
    table[j].id = id;
    table[j].kind = kind;
    table[j].obj = obj;
    live++;
    return (HANDLE)id;
}

static entry *lookup(HANDLE h) {
    uintptr_t id = (uintptr_t)h;
    if (!cap || id == 0 || id == TOMBSTONE) return NULL;
    size_t j = slot_of(id, cap);
    for (size_t k = 0; k < cap && table[j].id; k++, j = (j + 1) & (cap - 1))
        if (table[j].id == id) return &table[j];
    return NULL;
}

void *handle_find(HANDLE h, int kind) {
    entry *e = lookup(h);
    return e && e->kind == kind ? e->obj : NULL;
}

void handle_remove(HANDLE h) {
    entry *e = lookup(h);
    if (!e) return;
    e->id = TOMBSTONE;
    e->obj = NULL;
    live--;
    if (live == 0) { /* all gone: give the memory back (keeps ASan's leak check quiet too) */
        free(table);
        table = NULL;
        cap = used = 0;
    }
}

HANDLE handle_first(int kind, int (*pred)(void *obj, void *arg), void *arg) {
    for (size_t i = 0; i < cap; i++) {
        entry *e = &table[i];
        if (e->id && e->id != TOMBSTONE && e->kind == kind && pred(e->obj, arg))
            return (HANDLE)e->id;
    }
    return NULL;
}

void handle_remove_if(int kind, int (*pred)(void *obj, void *arg), void *arg,
                      void (*drop)(void *obj)) {
    for (size_t i = 0; i < cap; i++) {
        entry *e = &table[i];
        if (e->id == 0 || e->id == TOMBSTONE || e->kind != kind || !pred(e->obj, arg)) continue;
        void *obj = e->obj;
        e->id = TOMBSTONE;
        e->obj = NULL;
        live--;
        if (drop) drop(obj);
    }
    if (live == 0 && table) {
        free(table);
        table = NULL;
        cap = used = 0;
    }
}
