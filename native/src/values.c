/* The values of a list as of its last ctListRead, kept by the library so that ctListData
 * answers without a round trip per tag: the `values` pages of list.read and list.values
 * (docs/protocol.md). Pure: parses replies, looks values up. A pair it cannot parse is left
 * out, and ctListData then asks the server for that tag (list.data), as for a tag that failed. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void values_free(list_values *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) free(v->value[i]);
    free(v->server);
    free(v->value);
    free(v);
}

list_values *values_new(void) { return calloc(1, sizeof(list_values)); }

/* Append one page's pairs; the last handle seen goes to *last. FALSE when out of memory. */
BOOL values_add_page(list_values *v, jspan reply, long long *last) {
    jspan pairs, pair, h, s;
    if (!json_get(reply, "values", &pairs)) return TRUE;
    size_t pos = 0;
    while (json_array_next(pairs, &pos, &pair)) {
        size_t at = 0;
        long long handle;
        if (!json_array_next(pair, &at, &h) || !json_int(h, &handle)) continue;
        *last = handle;
        if (!json_array_next(pair, &at, &s)) continue;
        char *text = json_string(s, NULL);
        if (!text) continue;
        if (v->n == v->cap) {
            size_t cap = v->cap ? v->cap * 2 : 64;
            long long *server = realloc(v->server, cap * sizeof *server);
            if (server) v->server = server;
            char **value = server ? realloc(v->value, cap * sizeof *value) : NULL;
            if (!value) {
                free(text);
                return FALSE;
            }
            v->value = value;
            v->cap = cap;
        }
        v->server[v->n] = handle;
        v->value[v->n] = text;
        v->n++;
    }
    return TRUE;
}

/* The pages come in handle order; a server that sent them otherwise gets them sorted. */
void values_seal(list_values *v) {
    for (size_t i = 1; i < v->n; i++) {
        long long h = v->server[i];
        char *s = v->value[i];
        size_t j = i;
        for (; j > 0 && v->server[j - 1] > h; j--) {
            v->server[j] = v->server[j - 1];
            v->value[j] = v->value[j - 1];
        }
        v->server[j] = h;
        v->value[j] = s;
    }
}

const char *values_find(const list_values *v, long long server) {
    if (!v) return NULL;
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->server[mid] < server) lo = mid + 1;
        else hi = mid;
    }
    return lo < v->n && v->server[lo] == server ? v->value[lo] : NULL;
}

int values_more(jspan reply) {
    jspan more;
    return json_get(reply, "more", &more) && json_true(more);
}
