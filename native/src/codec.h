/* The frame codec of docs/protocol.md, sans-IO: bytes in, frames out; frames built in memory.
 * Never touches a socket (hiredis's read.c is the model). */
#ifndef CTAPI_CODEC_H
#define CTAPI_CODEC_H

#include <stddef.h>

#define CT_MAX_FRAME_SIZE 65536

/* ---- writer: a growable buffer --------------------------------------------------------- */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    int failed; /* an allocation failed: the buffer is unusable */
} jw_buf;

void jw_init(jw_buf *b);
void jw_free(jw_buf *b);
void jw_raw(jw_buf *b, const char *text);
void jw_str(jw_buf *b, const char *text); /* a JSON string, quoted and escaped */
void jw_int(jw_buf *b, long long value);

/* ---- reader: spans of raw JSON text ---------------------------------------------------- */
typedef struct {
    const char *p;
    size_t n;
} jspan;

/* The end (one past) of the value that starts at p[i] (after whitespace), or 0 when malformed. */
size_t json_skip(const char *p, size_t n, size_t i);
/* 1 when `text` is one JSON object and nothing else but whitespace. */
int json_is_object(jspan text);
/* The value of a top-level key of an object (1), or 0 when absent or malformed. */
int json_get(jspan obj, const char *key, jspan *out);
/* The next element of an array; *pos starts at 0. 1 while there is one. */
int json_array_next(jspan arr, size_t *pos, jspan *out);
/* A string value decoded (UTF-8, NUL-terminated, malloc'd) with its length; NULL when not one. */
char *json_string(jspan v, size_t *len);
/* An integer value (1), or 0 when not an integer. */
int json_int(jspan v, long long *out);
/* A number value (1), or 0 when not a number. */
int json_number(jspan v, double *out);
/* 1 for the literal true. */
int json_true(jspan v);

/* ---- framing: newline-delimited frames ------------------------------------------------- */
typedef struct {
    char buf[CT_MAX_FRAME_SIZE * 2];
    size_t len;
    size_t start; /* bytes before `start` are consumed */
} frame_reader;

void frame_reader_init(frame_reader *r);
/* Where the next bytes go, and how many fit. */
char *frame_reader_space(frame_reader *r, size_t *room);
void frame_reader_commit(frame_reader *r, size_t n);
/* The next whole frame (without its \r\n), 1; 0 when more bytes are needed; -1 when a frame
 * exceeds CT_MAX_FRAME_SIZE. Blank lines are skipped. The span lives until the next call. */
int frame_reader_next(frame_reader *r, jspan *frame);

#endif
