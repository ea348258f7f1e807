/* The TLS transport: OpenSSL 3 behind the same interface as the TCP one. TLS 1.2 or later,
 * the server's certificate verified against the CA and the computer name. */
#define _POSIX_C_SOURCE 200809L
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#endif

#include "thread.h"
#include "transport.h"

#define ERR_CONNECTION_LOST 64
#define ERR_TLS_FAILED 1236

typedef struct {
    ct_transport base; /* first: a ct_transport* is a tls_transport* */
    ct_transport *tcp;
    SSL_CTX *ctx;
    SSL *ssl;
    /* One SSL object must not be used by two threads at once: the library's I/O thread reads
     * while callers send. The socket is non-blocking after the handshake, so neither holds the
     * lock while waiting for the network (poll waits outside it). */
    ct_mutex io;
    int timeout_ms;
} tls_transport;

#define ERR_TIMEOUT 1460

/* OpenSSL writes to the socket with write(): a peer that went away would raise SIGPIPE and kill
 * the host program. Block it on this thread around SSL calls and swallow one we caused (the
 * process's own handling of SIGPIPE is left alone). */
typedef struct {
#ifndef _WIN32
    sigset_t old;
    int was_pending;
#endif
    int unused;
} sigpipe_guard;

static void guard_begin(sigpipe_guard *g) {
#ifndef _WIN32
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
#else
    (void)g;
#endif
}

static void guard_end(sigpipe_guard *g) {
#ifndef _WIN32
    if (!g->was_pending) {
        sigset_t set, pending;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE)) {
            struct timespec zero = {0, 0};
            sigtimedwait(&set, NULL, &zero);
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
#else
    (void)g;
#endif
}

/* Wait until the socket is readable (or writable): 0, or the error. */
static int tls_wait(tls_transport *s, int want_write) {
#ifdef _WIN32
    WSAPOLLFD pfd = {.fd = (SOCKET)s->base.fd, .events = want_write ? POLLOUT : POLLIN};
    int rc = WSAPoll(&pfd, 1, s->timeout_ms);
#else
    struct pollfd pfd = {.fd = s->base.fd, .events = want_write ? POLLOUT : POLLIN};
    int rc = poll(&pfd, 1, s->timeout_ms);
#endif
    if (rc == 0) return ERR_TIMEOUT;
    if (rc < 0) return ERR_CONNECTION_LOST;
    return 0;
}

static int tls_send_all(ct_transport *t, const char *buf, size_t len) {
    tls_transport *s = (tls_transport *)t;
    int err = 0;
    sigpipe_guard g;
    ct_mutex_lock(&s->io);
    guard_begin(&g);
    while (len && !err) {
        size_t n = 0;
        if (SSL_write_ex(s->ssl, buf, len, &n) > 0) {
            buf += n;
            len -= n;
            continue;
        }
        int e = SSL_get_error(s->ssl, 0);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
            err = tls_wait(s, e == SSL_ERROR_WANT_WRITE);
        else
            err = ERR_CONNECTION_LOST;
    }
    ERR_clear_error();
    guard_end(&g);
    ct_mutex_unlock(&s->io);
    return err;
}

static ssize_t tls_recv(ct_transport *t, char *buf, size_t room) {
    tls_transport *s = (tls_transport *)t;
    for (;;) {
        size_t n = 0;
        sigpipe_guard g;
        ct_mutex_lock(&s->io);
        guard_begin(&g);
        int ok = SSL_read_ex(s->ssl, buf, room, &n) > 0;
        int e = ok ? 0 : SSL_get_error(s->ssl, 0);
        ERR_clear_error();
        guard_end(&g);
        ct_mutex_unlock(&s->io);
        if (ok) return (ssize_t)n;
        if (e == SSL_ERROR_ZERO_RETURN) return 0;
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return -(ssize_t)ERR_CONNECTION_LOST;
        int err = tls_wait(s, e == SSL_ERROR_WANT_WRITE);
        if (err) return -(ssize_t)err;
    }
}

static void tls_close(ct_transport *t) {
    tls_transport *s = (tls_transport *)t;
    if (s->ssl) {
        sigpipe_guard g;
        guard_begin(&g);
        SSL_shutdown(s->ssl); /* close_notify, when the socket still takes it */
        ERR_clear_error();
        guard_end(&g);
        SSL_free(s->ssl);
    }
    if (s->ctx) SSL_CTX_free(s->ctx);
    if (s->tcp) s->tcp->close(s->tcp);
    ct_mutex_destroy(&s->io);
    free(s);
}

/* The CA: a PEM file path, or the PEM text itself; NULL for the system's trust store. */
static int load_ca(SSL_CTX *ctx, const char *ca) {
    if (!ca || !*ca) return SSL_CTX_set_default_verify_paths(ctx) == 1;
    if (!strstr(ca, "-----BEGIN")) return SSL_CTX_load_verify_locations(ctx, ca, NULL) == 1;
    BIO *bio = BIO_new_mem_buf(ca, -1);
    if (!bio) return 0;
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int loaded = 0;
    X509 *cert;
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        loaded += X509_STORE_add_cert(store, cert) == 1;
        X509_free(cert);
    }
    ERR_clear_error();
    BIO_free(bio);
    return loaded > 0;
}

ct_transport *ct_tls_connect(const char *host, int port, int timeout_ms, const char *server_name,
                             const char *ca, int *error) {
    tls_transport *s = calloc(1, sizeof *s);
    if (!s) {
        *error = 8;
        return NULL;
    }
    s->base.send_all = tls_send_all;
    s->base.recv = tls_recv;
    s->base.close = tls_close;
    s->base.fd = -1;
    s->timeout_ms = timeout_ms;
    ct_mutex_init(&s->io);
    s->ctx = SSL_CTX_new(TLS_client_method());
    if (!s->ctx || SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION) != 1 ||
        !load_ca(s->ctx, ca)) {
        tls_close(&s->base);
        *error = ERR_TLS_FAILED;
        return NULL;
    }
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
    s->tcp = ct_tcp_connect(host, port, timeout_ms, error);
    if (!s->tcp) {
        tls_close(&s->base);
        return NULL;
    }
    s->base.fd = s->tcp->fd;
    const char *name = server_name && *server_name ? server_name : host;
    s->ssl = SSL_new(s->ctx);
    int ok = s->ssl && SSL_set_fd(s->ssl, s->tcp->fd) == 1;
    if (ok) {
        ASN1_OCTET_STRING *ip = a2i_IPADDRESS(name);
        if (ip) {
            ASN1_OCTET_STRING_free(ip);
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), name) == 1;
        } else {
            ok = SSL_set_tlsext_host_name(s->ssl, name) == 1 && SSL_set1_host(s->ssl, name) == 1;
        }
    }
    if (!ok || SSL_connect(s->ssl) != 1) {
        ERR_clear_error();
        tls_close(&s->base);
        *error = ERR_TLS_FAILED;
        return NULL;
    }
#ifndef _WIN32
    fcntl(s->base.fd, F_SETFL, fcntl(s->base.fd, F_GETFL) | O_NONBLOCK);
#else
    u_long nonblocking = 1;
    ioctlsocket((SOCKET)s->base.fd, FIONBIO, &nonblocking);
#endif
    return &s->base;
}
