#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---------------------------------------------------------------------------- */
void jw_init(jw_buf *b) { memset(b, 0, sizeof *b); }

void jw_free(jw_buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

static void jw_put(jw_buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void jw_raw(jw_buf *b, const char *text) { jw_put(b, text, strlen(text)); }

void jw_str(jw_buf *b, const char *text) {
    static const char hex[] = "0123456789abcdef";
    jw_put(b, "\"", 1);
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
        char esc[7];
        switch (*s) {
        case '"': jw_put(b, "\\\"", 2); break;
        case '\\': jw_put(b, "\\\\", 2); break;
        case '\n': jw_put(b, "\\n", 2); break;
        case '\r': jw_put(b, "\\r", 2); break;
        case '\t': jw_put(b, "\\t", 2); break;
        default:
            if (*s < 0x20 || *s == 0x7f) {
                esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
                esc[4] = hex[*s >> 4]; esc[5] = hex[*s & 15]; esc[6] = 0;
                jw_put(b, esc, 6);
            } else {
                jw_put(b, (const char *)s, 1);
            }
        }
    }
    jw_put(b, "\"", 1);
}

void jw_int(jw_buf *b, long long value) {
    char num[32];
    int n = snprintf(num, sizeof num, "%lld", value);
    jw_put(b, num, (size_t)n);
}

/* ---- reader ---------------------------------------------------------------------------- */
#define DEPTH_LIMIT 64

static size_t ws(const char *p, size_t n, size_t i) {
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    return i;
}

static size_t skip_string(const char *p, size_t n, size_t i) {
    /* p[i] == '"' */
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"') return i + 1;
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (++i >= n) return 0;
        }
    }
    return 0;
}

static size_t skip_value(const char *p, size_t n, size_t i, int depth) {
    i = ws(p, n, i);
    if (i >= n || depth > DEPTH_LIMIT) return 0;
    char c = p[i];
    if (c == '"') return skip_string(p, n, i);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        i = ws(p, n, i + 1);
        if (i < n && p[i] == close) return i + 1;
        for (;;) {
            if (c == '{') {
                i = ws(p, n, i);
                if (i >= n || p[i] != '"') return 0;
                i = skip_string(p, n, i);
                if (!i) return 0;
                i = ws(p, n, i);
                if (i >= n || p[i] != ':') return 0;
                i++;
            }
            i = skip_value(p, n, i, depth + 1);
            if (!i) return 0;
            i = ws(p, n, i);
            if (i >= n) return 0;
            if (p[i] == close) return i + 1;
            if (p[i] != ',') return 0;
            i++;
        }
    }
    /* numbers and literals: a run of their characters */
    size_t s = i;
    while (i < n && (strchr("+-.0123456789eE", p[i]) || (p[i] >= 'a' && p[i] <= 'z'))) i++;
    if (i == s) return 0;
    size_t len = i - s;
    if ((c >= 'a' && c <= 'z') &&
        !((len == 4 && !memcmp(p + s, "true", 4)) || (len == 5 && !memcmp(p + s, "false", 5)) ||
          (len == 4 && !memcmp(p + s, "null", 4))))
        return 0;
    return i;
}

size_t json_skip(const char *p, size_t n, size_t i) { return skip_value(p, n, i, 0); }

int json_is_object(jspan t) {
    size_t i = ws(t.p, t.n, 0);
    if (i >= t.n || t.p[i] != '{') return 0;
    size_t e = json_skip(t.p, t.n, i);
    return e && ws(t.p, t.n, e) == t.n;
}

int json_get(jspan obj, const char *key, jspan *out) {
    const char *p = obj.p;
    size_t n = obj.n, klen = strlen(key);
    size_t i = ws(p, n, 0);
    if (i >= n || p[i] != '{') return 0;
    i = ws(p, n, i + 1);
    if (i < n && p[i] == '}') return 0;
    for (;;) {
        i = ws(p, n, i);
        if (i >= n || p[i] != '"') return 0;
        size_t ks = i + 1, ke = skip_string(p, n, i);
        if (!ke) return 0;
        int match = (ke - 1 - ks == klen) && !memcmp(p + ks, key, klen);
        i = ws(p, n, ke);
        if (i >= n || p[i] != ':') return 0;
        size_t vs = ws(p, n, i + 1);
        size_t ve = json_skip(p, n, vs);
        if (!ve) return 0;
        if (match) {
            out->p = p + vs;
            out->n = ve - vs;
            return 1;
        }
        i = ws(p, n, ve);
        if (i >= n || p[i] != ',') return 0;
        i++;
    }
}

int json_array_next(jspan arr, size_t *pos, jspan *out) {
    const char *p = arr.p;
    size_t n = arr.n, i = *pos;
    if (i == 0) {
        i = ws(p, n, 0);
        if (i >= n || p[i] != '[') return 0;
        i = ws(p, n, i + 1);
        if (i < n && p[i] == ']') return 0;
    } else {
        i = ws(p, n, i);
        if (i >= n || p[i] != ',') return 0;
        i++;
    }
    size_t vs = ws(p, n, i), ve = json_skip(p, n, vs);
    if (!ve) return 0;
    out->p = p + vs;
    out->n = ve - vs;
    *pos = ve;
    return 1;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

char *json_string(jspan v, size_t *len) {
    if (v.n < 2 || v.p[0] != '"' || v.p[v.n - 1] != '"') return NULL;
    char *out = malloc(v.n + 4);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 1; i + 1 < v.n; i++) {
        char c = v.p[i];
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        if (++i + 1 >= v.n) goto bad;
        switch (v.p[i]) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (i + 5 > v.n - 1 || !hex4(v.p + i + 1, &cp)) goto bad;
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 7 <= v.n - 1 && v.p[i + 1] == '\\' &&
                v.p[i + 2] == 'u') {
                unsigned lo;
                if (hex4(v.p + i + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
            /* \uXXXX is 6 bytes of input, at most 3 of output; a pair is 12 in, 4 out */
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xC0 | (cp >> 6));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xE0 | (cp >> 12));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[o++] = (char)(0xF0 | (cp >> 18));
                out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: goto bad;
        }
    }
    out[o] = '\0';
    if (len) *len = o;
    return out;
bad:
    free(out);
    return NULL;
}

int json_int(jspan v, long long *out) {
    if (v.n == 0 || v.n > 20) return 0;
    char tmp[24];
    memcpy(tmp, v.p, v.n);
    tmp[v.n] = '\0';
    char *end;
    long long x = strtoll(tmp, &end, 10);
    if (*end != '\0' || end == tmp) return 0;
    *out = x;
    return 1;
}

int json_number(jspan v, double *out) {
    if (v.n == 0 || v.n > 40) return 0;
    char tmp[48];
    memcpy(tmp, v.p, v.n);
    tmp[v.n] = '\0';
    char *end;
    double x = strtod(tmp, &end);
    if (*end != '\0' || end == tmp) return 0;
    *out = x;
    return 1;
}

int json_true(jspan v) { return v.n == 4 && !memcmp(v.p, "true", 4); }

/* ---- framing --------------------------------------------------------------------------- */
void frame_reader_init(frame_reader *r) { r->len = r->start = 0; }

char *frame_reader_space(frame_reader *r, size_t *room) {
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
    }
    *room = sizeof r->buf - r->len;
    return r->buf + r->len;
}

void frame_reader_commit(frame_reader *r, size_t n) { r->len += n; }

int frame_reader_next(frame_reader *r, jspan *frame) {
    for (;;) {
        char *s = r->buf + r->start;
        size_t avail = r->len - r->start;
        char *nl = memchr(s, '\n', avail);
        if (!nl) return avail >= CT_MAX_FRAME_SIZE ? -1 : 0;
        size_t flen = (size_t)(nl - s);
        if (flen + 1 > CT_MAX_FRAME_SIZE) return -1;
        r->start += flen + 1;
        if (flen && s[flen - 1] == '\r') flen--;
        size_t i = ws(s, flen, 0);
        if (i == flen) continue; /* blank line */
        frame->p = s;
        frame->n = flen;
        return 1;
    }
}
