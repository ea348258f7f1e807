/* The few threading primitives the library needs, behind one small interface: POSIX threads
 * on Linux, Win32 threads, critical sections and condition variables on Windows. */
#ifndef CTAPI_THREAD_H
#define CTAPI_THREAD_H

#ifdef _WIN32
#include <windows.h>
typedef CRITICAL_SECTION ct_mutex;
typedef CONDITION_VARIABLE ct_cond;
typedef HANDLE ct_thread;
#else
#include <pthread.h>
typedef pthread_mutex_t ct_mutex;
typedef pthread_cond_t ct_cond;
typedef pthread_t ct_thread;
#endif

void ct_mutex_init(ct_mutex *m);
void ct_mutex_destroy(ct_mutex *m);
void ct_mutex_lock(ct_mutex *m);
void ct_mutex_unlock(ct_mutex *m);

void ct_cond_init(ct_cond *c);
void ct_cond_destroy(ct_cond *c);
void ct_cond_wait(ct_cond *c, ct_mutex *m);
/* Wait until signalled or until the monotonic clock reaches deadline_ms: 0 signalled (or
 * spurious), 1 the deadline passed. */
int ct_cond_wait_until(ct_cond *c, ct_mutex *m, long long deadline_ms);
void ct_cond_broadcast(ct_cond *c);

/* Start fn(arg) on a new thread: 0, or -1. */
int ct_thread_start(ct_thread *t, void (*fn)(void *), void *arg);
void ct_thread_join(ct_thread t);

/* A monotonic clock in milliseconds. */
long long ct_now_ms(void);

/* A process-wide mutex initialised on first use (for the library's global tables). */
ct_mutex *ct_global_mutex(int which);
#define CT_LOCK_HANDLES 0
#define CT_LOCK_OVERLAPPED 1
#define CT_GLOBAL_LOCKS 2

#endif
