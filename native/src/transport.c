/* The TCP transport: BSD sockets on Linux, Winsock 2 on Windows (CtApi.dll), behind the
 * interface of transport.h. Both map their errors to the same Win32 codes. */
#define _POSIX_C_SOURCE 200809L
#include "transport.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
/* winsock2.h and ws2tcpip.h come first, from src/win32.h */
#else
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#endif

#define ERR_NAME_NOT_FOUND 53
#define ERR_CONNECTION_LOST 64
#define ERR_NETWORK_UNAVAILABLE 1231
#define ERR_CONNECTION_REFUSED 1225
#define ERR_TIMEOUT 1460

#ifdef _WIN32
typedef SOCKET sock_t;
#define BAD_SOCKET INVALID_SOCKET
#define close_socket closesocket

static int win32_of_wsa(int e) {
    switch (e) {
    case WSAETIMEDOUT:
    case WSAEWOULDBLOCK: return ERR_TIMEOUT;
    case WSAECONNREFUSED: return ERR_CONNECTION_REFUSED;
    default: return ERR_CONNECTION_LOST;
    }
}
#define last_socket_error() win32_of_wsa(WSAGetLastError())

/* Winsock is started once per process, on the first connect (never from DllMain). */
static INIT_ONCE wsa_once = INIT_ONCE_STATIC_INIT;
static int wsa_failed;

static BOOL CALLBACK wsa_start(PINIT_ONCE once, PVOID param, PVOID *context) {
    (void)once;
    (void)param;
    (void)context;
    WSADATA data;
    wsa_failed = WSAStartup(MAKEWORD(2, 2), &data) != 0;
    return TRUE;
}
#else
typedef int sock_t;
#define BAD_SOCKET (-1)
#define close_socket close

static int win32_of_errno(int e) {
    switch (e) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ETIMEDOUT: return ERR_TIMEOUT;
    case ECONNREFUSED: return ERR_CONNECTION_REFUSED;
    default: return ERR_CONNECTION_LOST;
    }
}
#define last_socket_error() win32_of_errno(errno)
#endif

static int tcp_send_all(ct_transport *t, const char *buf, size_t len) {
    while (len) {
#ifdef _WIN32
        int n = send((sock_t)t->sock, buf, len > INT_MAX ? INT_MAX : (int)len, 0);
        if (n == SOCKET_ERROR) return last_socket_error();
#else
        ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return last_socket_error();
        }
#endif
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static ssize_t tcp_recv(ct_transport *t, char *buf, size_t room) {
#ifdef _WIN32
    int n = recv((sock_t)t->sock, buf, room > INT_MAX ? INT_MAX : (int)room, 0);
    if (n == SOCKET_ERROR) return -(ssize_t)last_socket_error();
    return n;
#else
    for (;;) {
        ssize_t n = recv(t->fd, buf, room, 0);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return -(ssize_t)last_socket_error();
    }
#endif
}

static void tcp_close(ct_transport *t) {
#ifdef _WIN32
    if ((sock_t)t->sock != BAD_SOCKET) close_socket((sock_t)t->sock);
#else
    if (t->fd >= 0) close_socket(t->fd);
#endif
    free(t);
}

/* Non-blocking connect, waited for up to timeout_ms. */
static int wait_connected(sock_t fd, int timeout_ms, int *error) {
#ifdef _WIN32
    fd_set w, x;
    FD_ZERO(&w);
    FD_ZERO(&x);
    FD_SET(fd, &w);
    FD_SET(fd, &x);
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    int rc = select(0, NULL, &w, &x, &tv);
    if (rc == 0) {
        *error = ERR_TIMEOUT;
        return -1;
    }
    int soerr = 0;
    int sl = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, (char *)&soerr, &sl);
    if (rc < 0 || soerr || FD_ISSET(fd, &x)) {
        *error = rc < 0 ? last_socket_error() : win32_of_wsa(soerr ? soerr : WSAECONNREFUSED);
        return -1;
    }
    return 0;
#else
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc == 0) {
        *error = ERR_TIMEOUT;
        return -1;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (rc < 0 || soerr) {
        *error = win32_of_errno(rc < 0 ? errno : soerr);
        return -1;
    }
    return 0;
#endif
}

static sock_t dial(const struct addrinfo *ai, int timeout_ms, int *error) {
#ifdef _WIN32
    sock_t fd = WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, NULL, 0,
                           WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (fd == BAD_SOCKET) {
        *error = ERR_CONNECTION_LOST;
        return BAD_SOCKET;
    }
    u_long on = 1, off = 0;
    ioctlsocket(fd, FIONBIO, &on);
    int rc = connect(fd, ai->ai_addr, (int)ai->ai_addrlen);
    int pending = rc == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK;
#else
    sock_t fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        *error = ERR_CONNECTION_LOST;
        return BAD_SOCKET;
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    int pending = rc < 0 && errno == EINPROGRESS;
#endif
    if (pending) {
        if (wait_connected(fd, timeout_ms, error) < 0) {
            close_socket(fd);
            return BAD_SOCKET;
        }
    } else if (rc != 0) {
        *error = last_socket_error();
        close_socket(fd);
        return BAD_SOCKET;
    }
#ifdef _WIN32
    ioctlsocket(fd, FIONBIO, &off);
    DWORD ms = (DWORD)timeout_ms;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, (const char *)&ms, sizeof ms);
    BOOL one = TRUE;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
#else
    fcntl(fd, F_SETFL, flags);
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#endif
    return fd;
}

ct_transport *ct_tcp_connect(const char *host, int port, int timeout_ms, int *error) {
#ifdef _WIN32
    InitOnceExecuteOnce(&wsa_once, wsa_start, NULL, NULL);
    if (wsa_failed) {
        *error = ERR_NETWORK_UNAVAILABLE;
        return NULL;
    }
#endif
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    if (getaddrinfo(host, service, &hints, &res) != 0 || !res) {
        *error = ERR_NAME_NOT_FOUND;
        return NULL;
    }
    sock_t fd = BAD_SOCKET;
    *error = ERR_CONNECTION_REFUSED;
    for (struct addrinfo *ai = res; ai && fd == BAD_SOCKET; ai = ai->ai_next)
        fd = dial(ai, timeout_ms, error);
    freeaddrinfo(res);
    if (fd == BAD_SOCKET) return NULL;
    ct_transport *t = calloc(1, sizeof *t);
    if (!t) {
        close_socket(fd);
        *error = 8; /* ERROR_NOT_ENOUGH_MEMORY */
        return NULL;
    }
#ifdef _WIN32
    t->sock = (uintptr_t)fd;
    t->fd = -1;
#else
    t->fd = fd;
#endif
    t->send_all = tcp_send_all;
    t->recv = tcp_recv;
    t->close = tcp_close;
    return t;
}

void ct_transport_wake(ct_transport *t) {
#ifdef _WIN32
    if (t) shutdown((SOCKET)t->sock, SD_BOTH);
#else
    if (!t || t->fd < 0) return;
    shutdown(t->fd, SHUT_RDWR);
#endif
}
