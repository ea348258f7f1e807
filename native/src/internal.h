/* What the library's source files share: error codes, the last error, the handle table, the
 * connection object and its requests. Not installed; the public face is include/ctapi.h. */
#ifndef CTAPI_INTERNAL_H
#define CTAPI_INTERNAL_H

#define CTAPI_BUILDING 1
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "ctapi.h"
#include "thread.h"
#include "transport.h"

/* Win32 and Plant SCADA codes, as emulator/protocol/errors.py has them (tests/native/
 * test_error_table.py holds the two together). OURS(n) is errors.py's ours(n): a Plant SCADA
 * code of the emulator's own for a refused command with no documented number. */
#define OURS(n) (ERROR_USER_DEFINED_BASE + 0x1000 + (n))
#define E_ACCESS_DENIED 5
#define E_INVALID_HANDLE 6
#define E_NOT_ENOUGH_MEMORY 8
#define E_BAD_FRAME 13
#define E_COMPUTER_NOT_FOUND 53
#define E_CONNECTION_LOST 64
#define E_INVALID_PARAMETER 87
#define E_BUFFER_OVERFLOW 111
#define E_NOT_CONNECTED 233
#define E_OPERATION_ABORTED 995
#define E_IO_INCOMPLETE 996
#define E_IO_PENDING 997
#define E_CONNECTION_REFUSED 1225
#define E_TIMEOUT 1460
#define E_INVALID_ARGUMENT (ERROR_USER_DEFINED_BASE + 274)
#define E_OUT_OF_RANGE (ERROR_USER_DEFINED_BASE + 257)
#define E_TAG_NOT_FOUND (ERROR_USER_DEFINED_BASE + 424)
#define E_ALREADY_OPEN OURS(1)
#define E_NO_MORE_RECORDS OURS(8)
/* a list, tag, search or record handle the library never gave (a connection handle: 6) */
#define E_UNKNOWN_HANDLE OURS(6)
/* Plant SCADA's "no valid data yet" (GENERIC_INVALID_DATA), what ctListData reports before
 * the tag's first read; pyctapi tests for it. */
#define E_NO_VALID_DATA (ERROR_USER_DEFINED_BASE + 25)

#define CT_PLAIN_PORT 2073
#define CT_TLS_PORT 3073
#define CT_TIMEOUT_MS 10000
#define CT_KNOWN_MODES 0x3F

/* ---- the thread's last error (errno too on Linux) -------------------------------------- */
void ct_set_error(DWORD code);
DWORD ct_get_error(void);
BOOL fail(DWORD code);
HANDLE fail_null(DWORD code);

/* ---- the handle table: small integers, never reused, of one kind each ------------------- */
enum {
    H_SLOT = 1, /* a ctOpen / ctClientCreate handle: a connection slot */
    H_LIST,
    H_TAG,
    H_FIND,
    H_OBJECT,
    H_POINT
};

/* All under ct_global_mutex(CT_LOCK_HANDLES): */
void handles_lock(void);
void handles_unlock(void);
HANDLE handle_add(int kind, void *obj);     /* NULL when out of memory */
void *handle_find(HANDLE h, int kind);       /* NULL when not a live handle of that kind */
void handle_remove(HANDLE h);
/* Every live handle of a kind whose object satisfies pred(obj, arg): removed, each passed to
 * drop(obj) (handles lock held). */
/* The first live handle of a kind whose object satisfies pred(obj, arg), or NULL. */
HANDLE handle_first(int kind, int (*pred)(void *obj, void *arg), void *arg);
void handle_remove_if(int kind, int (*pred)(void *obj, void *arg), void *arg,
                      void (*drop)(void *obj));

/* ---- connections ---------------------------------------------------------------------- */
typedef struct pending pending;
typedef struct conn conn;

/* One request in flight: a synchronous caller waits for it, an overlapped one is completed by
 * on_done from the I/O thread (which then owns nothing of it but what on_done frees). */
struct pending {
    long long id;
    int done;
    DWORD error;  /* 0: "ok": true and frame holds the reply */
    char *frame;  /* the reply frame (malloc'd, NUL-terminated) */
    jspan obj;
    void (*on_done)(pending *p);
    void *ctx;
    pending *next;
};

/* A reply to a synchronous request. */
typedef struct {
    char *frame;
    jspan obj;
} reply;

void reply_free(reply *r);

/* The slot behind a ctOpen or ctClientCreate handle. */
typedef struct {
    conn *c;     /* NULL: created, not open */
    int created; /* from ctClientCreate */
} slot;

/* Close the connection of a slot handle: log out, stop its I/O, drop its overlapped calls. */
void slot_close_conn(HANDLE h, conn *c);

/* Open a connection (ctOpen's arguments): NULL with the error set. With CT_OPEN_RECONNECT a
 * link that cannot be made yet gives a connection that keeps trying. */
conn *conn_open(LPCSTR computer, LPCSTR user, LPCSTR password, DWORD mode);
/* Log out, stop the I/O thread, fail what is pending (995), free (drops the last ref). */
void conn_close(conn *c);

/* The connection of a slot handle, referenced (give it back with conn_release); NULL with 6. */
conn *conn_acquire(HANDLE h);
void conn_release(conn *c);
void conn_ref(conn *c); /* one more reference to a referenced connection */
/* Which connection object and which link of it (a list made on one is void on another). */
uint64_t conn_serial(conn *c);
unsigned conn_generation(conn *c);

/* A request and its reply: TRUE with *out ("ok": true), FALSE with the error set. `fields`
 * (the JSON members after the op, without braces; may be NULL) is freed. */
BOOL conn_call(conn *c, const char *op, jw_buf *fields, reply *out);
/* Start a request whose reply p->on_done takes (from the I/O thread): TRUE, or FALSE with the
 * error set and on_done never called. `fields` is freed. */
BOOL conn_submit(conn *c, const char *op, jw_buf *fields, pending *p);
/* Forget a submitted request (its reply, if it comes, is dropped): 1 when it was still
 * pending (on_done will not be called), 0 when the I/O thread already took it. */
int conn_forget(conn *c, pending *p);

/* ---- reply helpers -------------------------------------------------------------------- */
/* A string field of a reply (malloc'd) and its length; NULL when missing. */
char *reply_string(jspan obj, const char *field, size_t *len);
/* Copy a string field into the caller's buffer with its NUL: TRUE, or FALSE with 111 (the
 * buffer untouched) or 64 (a reply without the field). */
/* ---- a list's values as of its last read (values.c) ------------------------------------- */
typedef struct {
    size_t n, cap;
    long long *server; /* the server's tag handles, ascending once sealed */
    char **value;
} list_values;
list_values *values_new(void);
void values_free(list_values *v);
BOOL values_add_page(list_values *v, jspan reply, long long *last);
void values_seal(list_values *v);
const char *values_find(const list_values *v, long long server);
int values_more(jspan reply);

BOOL copy_out(jspan obj, const char *field, LPSTR buf, DWORD len, DWORD *written);
/* The error code of a failed reply (its error.code), or 64 when there is none. */
DWORD error_of(jspan obj);
/* The error name of a failed reply, in buf (empty when there is none). */
void error_name_of(jspan obj, char *buf, size_t len);

/* ---- overlapped (overlapped.c) -------------------------------------------------------- */
/* How an overlapped call ends: given the reply (NULL when it failed with `error`), it stores
 * its result in the caller's memory and returns the final status, with *length set. Called
 * with the overlapped lock held, never after ctCancelIO took the call back. */
typedef DWORD (*ov_finish)(void *ctx, jspan *reply, DWORD error, DWORD *length, BYTE **data);

/* Submit op with fields as an overlapped call on c: FALSE with 997 (pending: dwStatus is
 * STATUS_PENDING until the I/O thread completes it), or FALSE with the error when it could not
 * start (dwStatus set to it). ctx (malloc'd or NULL) is freed with the call. */
BOOL ov_submit(conn *c, HANDLE h, CTOVERLAPPED *ov, const char *op, jw_buf *fields,
               ov_finish finish, void *ctx);
/* Mark a call that completed before returning (dwStatus, dwLength, the event). */
void ov_completed(CTOVERLAPPED *ov, DWORD status, DWORD length, BYTE *data);
/* Drop every overlapped call of a slot handle (ctClose), after its I/O thread stopped. */
void ov_forget_handle(HANDLE h);

/* ---- properties (property.c): a text value as the DBTYPE a caller asks for ------------ */
/* Store `text` in pData as dwType: TRUE with *written (bytes, without a string's NUL), or
 * FALSE with 87 (unknown type), 274 (not a number) or 111 (short buffer: a string is cut to
 * what fits, NUL-terminated, *written its length). */
BOOL property_store(const char *text, DWORD dwType, void *pData, DWORD dwBufferLength,
                    DWORD *written);

/* ---- the Tag table (find.c): a tag's engineering range, for deadbands and points ------- */
/* The Tag record of a tag reference (`[Cluster.]Tag[.Element][[n]]`) on c: the reply frame of
 * find.first (its "record" member), or FALSE (no such tag: 424; or the link's error). */
BOOL tag_record(conn *c, const char *reference, reply *out, jspan *record);
/* A numeric field of a record (1), or 0 when blank or not a number. */
int record_number(jspan record, const char *field, double *out);
/* A field of a record as text (malloc'd), matched without case; NULL with *absent set when the
 * record has no such field (else out of memory). */
char *record_field(jspan record, const char *name, int *absent);
/* ctGetProperty's answer from a copy of a record's JSON (malloc'd, n bytes; NULL: out of
 * memory), which it frees: the field szName as dwType, its length in *dwResultLength. */
BOOL record_property(char *copy, size_t n, LPCSTR szName, void *pData, DWORD dwBufferLength,
                     DWORD *dwResultLength, DWORD dwType);
/* strcasecmp for ASCII names, the same on every platform. */
int strcasecmp_ascii(const char *a, const char *b);

/* ---- JSON helpers --------------------------------------------------------------------- */
void jw_field_str(jw_buf *b, const char *name, const char *value); /* ,"name":"value" */
void jw_field_int(jw_buf *b, const char *name, long long value);   /* ,"name":value */

#endif
