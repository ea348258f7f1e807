/* thread.h on POSIX threads (Linux) or Win32 (Windows). */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L
#endif
#include "thread.h"

#include <stdlib.h>
#include <time.h>

typedef struct {
    void (*fn)(void *);
    void *arg;
} start_args;

#ifdef _WIN32

void ct_mutex_init(ct_mutex *m) { InitializeCriticalSection(m); }
void ct_mutex_destroy(ct_mutex *m) { DeleteCriticalSection(m); }
void ct_mutex_lock(ct_mutex *m) { EnterCriticalSection(m); }
void ct_mutex_unlock(ct_mutex *m) { LeaveCriticalSection(m); }
void ct_cond_init(ct_cond *c) { InitializeConditionVariable(c); }
void ct_cond_destroy(ct_cond *c) { (void)c; }
void ct_cond_wait(ct_cond *c, ct_mutex *m) { SleepConditionVariableCS(c, m, INFINITE); }
int ct_cond_wait_until(ct_cond *c, ct_mutex *m, long long deadline_ms) {
    long long left = deadline_ms - ct_now_ms();
    if (left <= 0) return 1;
    SleepConditionVariableCS(c, m, (DWORD)left);
    return ct_now_ms() >= deadline_ms;
}
void ct_cond_broadcast(ct_cond *c) { WakeAllConditionVariable(c); }

static DWORD WINAPI trampoline(LPVOID p) {
    start_args a = *(start_args *)p;
    free(p);
    a.fn(a.arg);
    return 0;
}

int ct_thread_start(ct_thread *t, void (*fn)(void *), void *arg) {
    start_args *a = malloc(sizeof *a);
    if (!a) return -1;
    a->fn = fn;
    a->arg = arg;
    *t = CreateThread(NULL, 0, trampoline, a, 0, NULL);
    if (!*t) {
        free(a);
        return -1;
    }
    return 0;
}

void ct_thread_join(ct_thread t) {
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}

long long ct_now_ms(void) { return (long long)GetTickCount64(); }

static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
static ct_mutex globals[CT_GLOBAL_LOCKS];
static BOOL CALLBACK init_globals(PINIT_ONCE o, PVOID p, PVOID *ctx) {
    (void)o; (void)p; (void)ctx;
    for (int i = 0; i < CT_GLOBAL_LOCKS; i++) ct_mutex_init(&globals[i]);
    return TRUE;
}
ct_mutex *ct_global_mutex(int which) {
    InitOnceExecuteOnce(&once, init_globals, NULL, NULL);
    return &globals[which];
}

#else

void ct_mutex_init(ct_mutex *m) { pthread_mutex_init(m, NULL); }
void ct_mutex_destroy(ct_mutex *m) { pthread_mutex_destroy(m); }
void ct_mutex_lock(ct_mutex *m) { pthread_mutex_lock(m); }
void ct_mutex_unlock(ct_mutex *m) { pthread_mutex_unlock(m); }

void ct_cond_init(ct_cond *c) {
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}
void ct_cond_destroy(ct_cond *c) { pthread_cond_destroy(c); }
void ct_cond_wait(ct_cond *c, ct_mutex *m) { pthread_cond_wait(c, m); }
int ct_cond_wait_until(ct_cond *c, ct_mutex *m, long long deadline_ms) {
    if (ct_now_ms() >= deadline_ms) return 1;
    struct timespec ts = {.tv_sec = (time_t)(deadline_ms / 1000),
                          .tv_nsec = (long)(deadline_ms % 1000) * 1000000L};
    pthread_cond_timedwait(c, m, &ts);
    return ct_now_ms() >= deadline_ms;
}
void ct_cond_broadcast(ct_cond *c) { pthread_cond_broadcast(c); }

static void *trampoline(void *p) {
    start_args a = *(start_args *)p;
    free(p);
    a.fn(a.arg);
    return NULL;
}

int ct_thread_start(ct_thread *t, void (*fn)(void *), void *arg) {
    start_args *a = malloc(sizeof *a);
    if (!a) return -1;
    a->fn = fn;
    a->arg = arg;
    if (pthread_create(t, NULL, trampoline, a) != 0) {
        free(a);
        return -1;
    }
    return 0;
}

void ct_thread_join(ct_thread t) { pthread_join(t, NULL); }

long long ct_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ct_mutex globals[CT_GLOBAL_LOCKS] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
ct_mutex *ct_global_mutex(int which) { return &globals[which]; }

#endif
