#define _POSIX_C_SOURCE 200809L
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define ERR_NAME_NOT_FOUND 53
#define ERR_CONNECTION_LOST 64
#define ERR_CONNECTION_REFUSED 1225
#define ERR_TIMEOUT 1460

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

static int tcp_send_all(ct_transport *t, const char *buf, size_t len) {
    while (len) {
        ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return win32_of_errno(errno);
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static ssize_t tcp_recv(ct_transport *t, char *buf, size_t room) {
    for (;;) {
        ssize_t n = recv(t->fd, buf, room, 0);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return -(ssize_t)win32_of_errno(errno);
    }
}

static void tcp_close(ct_transport *t) {
    if (t->fd >= 0) close(t->fd);
    free(t);
}

static int dial(const struct addrinfo *ai, int timeout_ms, int *error) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        *error = ERR_CONNECTION_LOST;
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        rc = poll(&pfd, 1, timeout_ms);
        if (rc == 0) {
            close(fd);
            *error = ERR_TIMEOUT;
            return -1;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        if (rc < 0 || soerr) {
            close(fd);
            *error = win32_of_errno(rc < 0 ? errno : soerr);
            return -1;
        }
    } else if (rc < 0) {
        int e = errno;
        close(fd);
        *error = win32_of_errno(e);
        return -1;
    }
    fcntl(fd, F_SETFL, flags);
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

ct_transport *ct_tcp_connect(const char *host, int port, int timeout_ms, int *error) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, service, &hints, &res) != 0 || !res) {
        *error = ERR_NAME_NOT_FOUND;
        return NULL;
    }
    int fd = -1;
    *error = ERR_CONNECTION_REFUSED;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) fd = dial(ai, timeout_ms, error);
    freeaddrinfo(res);
    if (fd < 0) return NULL;
    ct_transport *t = calloc(1, sizeof *t);
    if (!t) {
        close(fd);
        *error = 8; /* ERROR_NOT_ENOUGH_MEMORY */
        return NULL;
    }
    t->fd = fd;
    t->send_all = tcp_send_all;
    t->recv = tcp_recv;
    t->close = tcp_close;
    return t;
}

void ct_transport_wake(ct_transport *t) {
    if (!t || t->fd < 0) return;
#ifdef _WIN32
    shutdown((SOCKET)t->fd, SD_BOTH);
#else
    shutdown(t->fd, SHUT_RDWR);
#endif
}
