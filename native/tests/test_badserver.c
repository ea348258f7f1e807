/* A fake CtAPI server in a thread of the suite: replies that are garbage, truncated, missing,
 * a server that vanishes mid-call, and one that goes away and comes back (CT_OPEN_RECONNECT).
 * It speaks just enough of docs/protocol.md: a hello, then one reply per request line. */
#define _POSIX_C_SOURCE 200809L
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"

enum {
    NORMAL,       /* tag.read answers "42" */
    NO_HELLO,     /* garbage instead of the hello */
    GARBAGE,      /* a reply that is not JSON */
    TRUNCATED,    /* half a reply, then the connection closes */
    VANISH,       /* the request is read, the connection closes */
    NO_FIELD,     /* "ok": true without "value" */
    HUGE_FRAME,   /* more than 64 KiB without a newline */
    NULL_ID,      /* an error with "id": null (the server gave up on the stream) */
    CLOSING,      /* the closing push */
    DROP_AFTER_ONE, /* one good tag.read, then the connection drops */
    BAD_VALUES     /* list.read's values malformed, list.values pages that never end */
};

static struct {
    pthread_mutex_t lock;
    int mode;
    int listening; /* wanted */
    int is_listening; /* what the fake's thread has done */
    int stop;
    int port;
    pthread_t thread;
} fake = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int get(int *field) {
    pthread_mutex_lock(&fake.lock);
    int v = *field;
    pthread_mutex_unlock(&fake.lock);
    return v;
}

static void set(int *field, int v) {
    pthread_mutex_lock(&fake.lock);
    *field = v;
    pthread_mutex_unlock(&fake.lock);
}

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0) {
        close(fd);
        return -1;
    }
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    fake.port = ntohs(a.sin_port);
    return fd;
}

static void say(int fd, const char *text) {
    size_t n = strlen(text);
    while (n) {
        ssize_t k = send(fd, text, n, MSG_NOSIGNAL);
        if (k <= 0) return;
        text += k;
        n -= (size_t)k;
    }
}

/* Serve one connection until it closes (or the mode drops it). */
static void serve(int fd) {
    int mode = get(&fake.mode);
    if (mode == NO_HELLO) {
        say(fd, "hello? this is not a frame\n");
        return;
    }
    say(fd, "{\"event\":\"hello\",\"protocol\":1,\"computer\":\"FAKE\"}\n");
    char buf[4096];
    size_t len = 0;
    int reads = 0, handles = 1;
    for (;;) {
        ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (k <= 0) return;
        len += (size_t)k;
        buf[len] = '\0';
        char *nl;
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = '\0';
            long long id = 0;
            char op[64] = "";
            char *p = strstr(buf, "\"id\":");
            if (p) id = atoll(p + 5);
            p = strstr(buf, "\"op\":\"");
            if (p) sscanf(p + 6, "%63[^\"]", op);
            memmove(buf, nl + 1, len - (size_t)(nl + 1 - buf) + 1);
            len = strlen(buf);
            char out[256];
            if (!strcmp(op, "list.new")) {
                snprintf(out, sizeof out, "{\"id\":%lld,\"ok\":true,\"list\":1}\n", id);
                say(fd, out);
                continue;
            }
            if (!strcmp(op, "list.add")) {
                snprintf(out, sizeof out, "{\"id\":%lld,\"ok\":true,\"handle\":%d}\n", id,
                         ++handles);
                say(fd, out);
                continue;
            }
            if (!strcmp(op, "list.read")) {
                /* bad pairs, one good ([2,"21"]), and more to come */
                snprintf(out, sizeof out,
                         "{\"id\":%lld,\"ok\":true,\"failed\":[],\"values\":[[\"x\",\"1\"],[5],"
                         "[2,3],\"junk\",[2,\"21\"]],\"more\":true}\n",
                         id);
                say(fd, out);
                continue;
            }
            if (!strcmp(op, "list.values")) { /* a second page, then it again: no loop */
                snprintf(out, sizeof out,
                         "{\"id\":%lld,\"ok\":true,\"values\":[[3,\"33\"]],\"more\":true}\n", id);
                say(fd, out);
                continue;
            }
            if (!strcmp(op, "list.data")) {
                snprintf(out, sizeof out, "{\"id\":%lld,\"ok\":true,\"value\":\"7\"}\n", id);
                say(fd, out);
                continue;
            }
            if (strcmp(op, "tag.read") != 0) { /* open, close, anything else: ok */
                snprintf(out, sizeof out, "{\"id\":%lld,\"ok\":true}\n", id);
                say(fd, out);
                continue;
            }
            mode = get(&fake.mode);
            switch (mode) {
            case GARBAGE: say(fd, "{this is not json}\n"); break;
            case TRUNCATED:
                snprintf(out, sizeof out, "{\"id\":%lld,\"ok\":true,\"value\":\"12", id);
                say(fd, out);
                return;
            case VANISH: return;
            case NO_FIELD:
                snprintf(out, sizeof out, "{\"id\":%lld,\"ok\":true}\n", id);
                say(fd, out);
                break;
            case HUGE_FRAME: {
                char *big = malloc(70001);
                memset(big, 'x', 70000);
                big[70000] = '\0';
                say(fd, big);
                free(big);
                break;
            }
            case NULL_ID:
                say(fd, "{\"id\":null,\"ok\":false,\"error\":{\"code\":13,\"name\":\"bad_frame\"}}\n");
                return;
            case CLOSING: say(fd, "{\"event\":\"closing\",\"reason\":\"stopped\"}\n"); return;
            default:
                snprintf(out, sizeof out, "{\"id\":%lld,\"ok\":true,\"value\":\"42\"}\n", id);
                say(fd, out);
                if (mode == DROP_AFTER_ONE && ++reads == 1) return;
            }
        }
        if (len >= sizeof buf - 1) return;
    }
}

static void *fake_main(void *arg) {
    (void)arg;
    int lfd = -1;
    while (!get(&fake.stop)) {
        int want = get(&fake.listening);
        if (want && lfd < 0) lfd = listen_on(fake.port);
        if (!want && lfd >= 0) {
            close(lfd);
            lfd = -1;
        }
        set(&fake.is_listening, lfd >= 0);
        if (lfd < 0) {
            struct timespec ms = {0, 10000000};
            nanosleep(&ms, NULL);
            continue;
        }
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0) continue;
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        serve(fd);
        close(fd);
    }
    if (lfd >= 0) close(lfd);
    return NULL;
}

/* Listen or not, and wait (with a deadline) until the fake's thread has done it. */
static void fake_listen(int on) {
    set(&fake.listening, on);
    time_t deadline = time(NULL) + 5;
    while (get(&fake.is_listening) != on && time(NULL) < deadline) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

static char ready_path[64];

static void fake_start(void) {
    int fd = listen_on(0); /* pick a free port, then let the thread own it */
    close(fd);
    pthread_create(&fake.thread, NULL, fake_main, NULL);
    fake_listen(1);
    snprintf(ready_path, sizeof ready_path, "/tmp/ctapi-fake-%d.json", (int)getpid());
    FILE *f = fopen(ready_path, "w");
    fprintf(f,
            "{\"listeners\":[{\"computer\":\"FAKE\",\"type\":\"ctapi\",\"address\":\"127.0.0.1\","
            "\"port\":%d,\"tls\":false}]}",
            fake.port);
    fclose(f);
}

static void fake_stop(void) {
    set(&fake.stop, 1);
    pthread_join(fake.thread, NULL);
    unlink(ready_path);
}

/* One ctTagRead against the fake in `mode`: the call's result, and the error after it. */
static void expect_read_fails(int mode, DWORD code, const char *what) {
    set(&fake.mode, NORMAL);
    HANDLE h = ctOpen("FAKE", "u", "p", 0);
    CHECK(h != NULL);
    if (!h) return;
    set(&fake.mode, mode);
    char buf[16] = "untouched";
    BOOL ok = ctTagRead(h, "T", buf, sizeof buf);
    DWORD got = GetLastError();
    if (ok || got != code) printf("  (%s: ok %d, error %lu)\n", what, ok, (unsigned long)got);
    CHECK(!ok && got == code);
    CHECK(!strcmp(buf, "untouched"));
    /* the link is gone: every later call fails with a Win32 link code, never crashes */
    CHECK(ctTagRead(h, "T", buf, sizeof buf) == FALSE && !IsCitectError(GetLastError()));
    CHECK(ctListNew(h, 0) == NULL && GetLastError() == 64);
    CHECK(ctClose(h) == TRUE);
}

static time_t now_s(void) { return time(NULL); }

static void test_reconnect(void) {
    char buf[16];
    /* the first connect fails: with CT_OPEN_RECONNECT the handle comes anyway */
    set(&fake.mode, NORMAL);
    fake_listen(0);
    CHECK(ctOpen("FAKE", "u", "p", 0) == NULL && GetLastError() == 1225);
    HANDLE h = ctOpen("FAKE", "u", "p", CT_OPEN_RECONNECT);
    CHECK(h != NULL);
    if (!h) return;
    CHECK(ctTagRead(h, "T", buf, sizeof buf) == FALSE && GetLastError() == 233);
    CHECK(ctListNew(h, 0) == NULL && GetLastError() == 233);
    fake_listen(1);
    time_t deadline = now_s() + 20;
    BOOL ok = FALSE;
    while (!ok && now_s() < deadline) ok = ctTagRead(h, "T", buf, sizeof buf);
    CHECK(ok && !strcmp(buf, "42"));
    /* the link drops after one read: calls fail with 64 (in flight) or 233 (down), then it
     * is made again by itself; a list of the old link is void (6) */
    HANDLE list = ctListNew(h, 0);
    CHECK(list != NULL);
    set(&fake.mode, DROP_AFTER_ONE);
    CHECK(ctTagRead(h, "T", buf, sizeof buf) == TRUE);
    set(&fake.mode, NORMAL);
    fake_listen(0);
    int saw_down = 0;
    deadline = now_s() + 10;
    while (!saw_down && now_s() < deadline) {
        BOOL r = ctTagRead(h, "T", buf, sizeof buf);
        DWORD e = GetLastError();
        CHECK(!r && (e == 64 || e == 233));
        saw_down = e == 233;
    }
    CHECK(saw_down);
    fake_listen(1);
    ok = FALSE;
    deadline = now_s() + 20;
    while (!ok && now_s() < deadline) ok = ctTagRead(h, "T", buf, sizeof buf);
    CHECK(ok && !strcmp(buf, "42"));
    CHECK(ctListRead(list, NULL) == FALSE && GetLastError() == 6);
    CHECK(ctListFree(list) == TRUE);
    CHECK(ctClose(h) == TRUE);
    /* ctClose while reconnecting returns at once and frees everything */
    fake_listen(0);
    h = ctOpen("FAKE", "u", "p", CT_OPEN_RECONNECT);
    CHECK(h != NULL && ctClose(h) == TRUE);
    fake_listen(1);
}

void test_bad_servers(void) {
    const char *ready = getenv("SCADA_EMU_READY_FILE");
    char *saved = ready ? strdup(ready) : NULL;
    fake_start();
    setenv("SCADA_EMU_READY_FILE", ready_path, 1);
    set(&fake.mode, NO_HELLO);
    CHECK(ctOpen("FAKE", "u", "p", 0) == NULL && GetLastError() == 13);
    expect_read_fails(GARBAGE, 13, "garbage");
    expect_read_fails(TRUNCATED, 64, "truncated");
    expect_read_fails(VANISH, 64, "vanish");
    expect_read_fails(HUGE_FRAME, 13, "huge frame");
    expect_read_fails(NULL_ID, 13, "id null");
    expect_read_fails(CLOSING, 64, "closing");
    /* a reply without its field: the link's fault (64), the connection stays */
    set(&fake.mode, NO_FIELD);
    HANDLE h = ctOpen("FAKE", "u", "p", 0);
    char buf[16];
    CHECK(h && ctTagRead(h, "T", buf, sizeof buf) == FALSE && GetLastError() == 64);
    set(&fake.mode, NORMAL);
    CHECK(ctTagRead(h, "T", buf, sizeof buf) == TRUE && !strcmp(buf, "42"));
    CHECK(ctClose(h) == TRUE);
    /* an overlapped call on a link that vanishes completes with the error */
    h = ctOpen("FAKE", "u", "p", 0);
    CTOVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    set(&fake.mode, VANISH);
    DWORD bytes;
    CHECK(ctCicode(h, "X()", 0, 0, buf, sizeof buf, &ov) == FALSE && GetLastError() == 997);
    CHECK(ctTagRead(h, "T", buf, sizeof buf) == FALSE);
    CHECK(ctGetOverlappedResult(h, &ov, &bytes, TRUE) == FALSE && GetLastError() == 64);
    CHECK(ov.dwStatus == 64);
    CHECK(ctClose(h) == TRUE);
    /* list values a server sends malformed are left out (ctListData asks for those), and
     * pages that never end stop when they bring nothing new */
    set(&fake.mode, BAD_VALUES);
    h = ctOpen("FAKE", "u", "p", 0);
    HANDLE list = h ? ctListNew(h, 0) : NULL;
    HANDLE kept = list ? ctListAdd(list, "A") : NULL, paged = list ? ctListAdd(list, "B") : NULL;
    HANDLE asked = list ? ctListAdd(list, "C") : NULL;
    CHECK(kept && paged && asked && ctListRead(list, NULL) == TRUE);
    CHECK(ctListData(kept, buf, sizeof buf, 0) == TRUE && !strcmp(buf, "21"));
    CHECK(ctListData(paged, buf, sizeof buf, 0) == TRUE && !strcmp(buf, "33"));
    CHECK(ctListData(asked, buf, sizeof buf, 0) == TRUE && !strcmp(buf, "7"));
    strcpy(buf, "x");
    CHECK(ctListData(kept, buf, 2, 0) == FALSE && GetLastError() == 111 && !strcmp(buf, "x"));
    CHECK(ctListFree(list) == TRUE && ctClose(h) == TRUE);
    set(&fake.mode, NORMAL);
    test_reconnect();
    fake_stop();
    if (saved) setenv("SCADA_EMU_READY_FILE", saved, 1);
    free(saved);
}
