/* The transport under a connection: bytes over a socket. Plain TCP today; TLS (OpenSSL) is
 * meant to sit behind the same three operations (hiredis's net.c / ssl.c split). */
#ifndef CTAPI_TRANSPORT_H
#define CTAPI_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ct_transport ct_transport;

struct ct_transport {
    /* Send all of buf: 0, or the Win32 error code. */
    int (*send_all)(ct_transport *t, const char *buf, size_t len);
    /* Receive some bytes: >0 the count, 0 on orderly close, <0 minus the Win32 error code. */
    ssize_t (*recv)(ct_transport *t, char *buf, size_t room);
    void (*close)(ct_transport *t);
    int fd; /* the socket on Linux (-1 on Windows) */
#ifdef _WIN32
    uintptr_t sock; /* the Winsock SOCKET */
#endif
};

/* Dial host:port over TCP with a timeout in milliseconds for the connect and for each
 * read and write. NULL with *error set (53 name not found, 1225 refused, 1460 timeout). */
ct_transport *ct_tcp_connect(const char *host, int port, int timeout_ms, int *error);

/* Dial host:port and run a TLS (1.2+) handshake, verifying the certificate against `ca` (a PEM
 * path or PEM text; NULL: the system trust store) and `server_name` (NULL: host). NULL with
 * *error set (the TCP errors above, 1236 when TLS fails). src/tls.c, OpenSSL; on Windows
 * src/tls_win32.c. */
ct_transport *ct_tls_connect(const char *host, int port, int timeout_ms, const char *server_name,
                             const char *ca, int *error);

/* Wake a thread blocked reading or writing t (shut the socket down both ways); t->close still
 * frees it. Safe from another thread. */
void ct_transport_wake(ct_transport *t);

#endif
