/* The TLS transport of CtApi.dll: Schannel (SSPI) behind the interface of transport.h, the
 * Windows counterpart of src/tls.c. TLS 1.2 or later; the server's certificate is checked by
 * this file, not by Windows' trust store: it must be signed by the CA of the ready file (a PEM
 * path or PEM text), be within its validity, and name the computer (a DNS name or IP address of
 * its subjectAltName). Without a CA (no ready file) Windows' own chain validation is used. */
#define SECURITY_WIN32
#include <security.h>
#include <schannel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wincrypt.h>

#include "transport.h"

#define ERR_CONNECTION_LOST 64
#define ERR_TLS_FAILED 1236
#define IO_MAX (16384 + 1024) /* a TLS record and its overhead */

typedef struct {
    ct_transport base; /* first: a ct_transport* is a schannel_transport* */
    ct_transport *tcp;
    CredHandle cred;
    CtxtHandle ctx;
    int have_cred, have_ctx;
    SecPkgContext_StreamSizes sizes;
    char in[IO_MAX * 2]; /* ciphertext received, not yet decrypted */
    size_t in_len;
    char *plain; /* decrypted bytes not yet handed out (points into `in`) */
    size_t plain_len;
    size_t extra_keep; /* ciphertext after the plain bytes, kept for the next record */
    char *extra;
} schannel_transport;

static int recv_more(schannel_transport *s) {
    if (s->in_len >= sizeof s->in) return -ERR_CONNECTION_LOST;
    ssize_t n = s->tcp->recv(s->tcp, s->in + s->in_len, sizeof s->in - s->in_len);
    if (n <= 0) return n == 0 ? -ERR_CONNECTION_LOST : (int)n;
    s->in_len += (size_t)n;
    return 0;
}

static int send_token(schannel_transport *s, SecBuffer *out) {
    int err = 0;
    if (out->cbBuffer && out->pvBuffer)
        err = s->tcp->send_all(s->tcp, out->pvBuffer, out->cbBuffer);
    if (out->pvBuffer) FreeContextBuffer(out->pvBuffer);
    out->pvBuffer = NULL;
    out->cbBuffer = 0;
    return err;
}

static int handshake(schannel_transport *s, const char *name) {
    DWORD flags = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |
                  ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM |
                  ISC_REQ_MANUAL_CRED_VALIDATION;
    DWORD got = 0;
    int first = 1;
    for (;;) {
        SecBuffer inbufs[2] = {{(unsigned long)s->in_len, SECBUFFER_TOKEN, s->in},
                               {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc indesc = {SECBUFFER_VERSION, 2, inbufs};
        SecBuffer outbuf = {0, SECBUFFER_TOKEN, NULL};
        SecBufferDesc outdesc = {SECBUFFER_VERSION, 1, &outbuf};
        SECURITY_STATUS st = InitializeSecurityContextA(
            &s->cred, first ? NULL : &s->ctx, (SEC_CHAR *)name, flags, 0, 0,
            first ? NULL : &indesc, 0, first ? &s->ctx : NULL, &outdesc, &got, NULL);
        if (first) s->have_ctx = st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED;
        first = 0;
        if (st == SEC_E_INCOMPLETE_MESSAGE) {
            if (outbuf.pvBuffer) FreeContextBuffer(outbuf.pvBuffer);
            if (recv_more(s)) return ERR_TLS_FAILED;
            continue;
        }
        if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED) {
            if (outbuf.pvBuffer) send_token(s, &outbuf); /* the alert, if any */
            return ERR_TLS_FAILED;
        }
        if (send_token(s, &outbuf)) return ERR_CONNECTION_LOST;
        /* keep what the server sent after this handshake message */
        if (inbufs[1].BufferType == SECBUFFER_EXTRA && inbufs[1].cbBuffer && s->in_len) {
            memmove(s->in, s->in + s->in_len - inbufs[1].cbBuffer, inbufs[1].cbBuffer);
            s->in_len = inbufs[1].cbBuffer;
        } else {
            s->in_len = 0;
        }
        if (st == SEC_E_OK) return 0;
        if (s->in_len == 0 && recv_more(s)) return ERR_TLS_FAILED;
    }
}

/* ---- the certificate check ------------------------------------------------------------ */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *d = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *nd = realloc(d, cap = cap * 2 + 8192);
            if (!nd || cap > (1u << 22)) {
                free(nd ? nd : d);
                fclose(f);
                return NULL;
            }
            d = nd;
        }
        size_t got = fread(d + n, 1, 4096, f);
        n += got;
        if (got < 4096) break;
    }
    fclose(f);
    d[n] = '\0';
    return d;
}

/* The CA's certificate from PEM text or a PEM file; NULL when it cannot be read. */
static PCCERT_CONTEXT load_ca(const char *ca) {
    char *text = strstr(ca, "-----BEGIN") ? NULL : slurp(ca);
    const char *pem = text ? text : ca;
    DWORD len = 0;
    PCCERT_CONTEXT cert = NULL;
    if (CryptStringToBinaryA(pem, 0, CRYPT_STRING_BASE64HEADER, NULL, &len, NULL, NULL) && len) {
        BYTE *der = malloc(len);
        if (der && CryptStringToBinaryA(pem, 0, CRYPT_STRING_BASE64HEADER, der, &len, NULL, NULL))
            cert = CertCreateCertificateContext(X509_ASN_ENCODING, der, len);
        free(der);
    }
    free(text);
    return cert;
}

/* 1 when the certificate's subjectAltName has `name` as a DNS name (case-insensitive) or as
 * an IP address. */
static int names_match(PCCERT_CONTEXT cert, const char *name) {
    PCERT_EXTENSION ext = CertFindExtension(szOID_SUBJECT_ALT_NAME2,
                                            cert->pCertInfo->cExtension,
                                            cert->pCertInfo->rgExtension);
    if (!ext) return 0;
    CERT_ALT_NAME_INFO *info = NULL;
    DWORD size = 0;
    if (!CryptDecodeObjectEx(X509_ASN_ENCODING, X509_ALTERNATE_NAME, ext->Value.pbData,
                             ext->Value.cbData, CRYPT_DECODE_ALLOC_FLAG, NULL, &info, &size))
        return 0;
    unsigned char ip[16];
    int ip_len = 0;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, name, &a4) == 1) {
        memcpy(ip, &a4, 4);
        ip_len = 4;
    } else if (inet_pton(AF_INET6, name, &a6) == 1) {
        memcpy(ip, &a6, 16);
        ip_len = 16;
    }
    wchar_t wide[256];
    int wide_ok = MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, 256) > 0;
    int found = 0;
    for (DWORD i = 0; i < info->cAltEntry && !found; i++) {
        CERT_ALT_NAME_ENTRY *e = &info->rgAltEntry[i];
        if (e->dwAltNameChoice == CERT_ALT_NAME_DNS_NAME && !ip_len && wide_ok)
            found = _wcsicmp(e->pwszDNSName, wide) == 0;
        else if (e->dwAltNameChoice == CERT_ALT_NAME_IP_ADDRESS && ip_len)
            found = e->IPAddress.cbData == (DWORD)ip_len && !memcmp(e->IPAddress.pbData, ip, ip_len);
    }
    LocalFree(info);
    return found;
}

/* The server's certificate against the ready file's CA and the computer name: 0 or 1236. */
static int verify_with_ca(schannel_transport *s, const char *ca, const char *name) {
    PCCERT_CONTEXT server = NULL;
    if (QueryContextAttributesA(&s->ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &server) != SEC_E_OK)
        return ERR_TLS_FAILED;
    PCCERT_CONTEXT issuer = load_ca(ca);
    int ok = issuer != NULL;
    ok = ok && CertCompareCertificateName(X509_ASN_ENCODING, &server->pCertInfo->Issuer,
                                          &issuer->pCertInfo->Subject);
    ok = ok && CryptVerifyCertificateSignatureEx(
                   0, X509_ASN_ENCODING, CRYPT_VERIFY_CERT_SIGN_SUBJECT_CERT, (void *)server,
                   CRYPT_VERIFY_CERT_SIGN_ISSUER_CERT, (void *)issuer, 0, NULL);
    ok = ok && CertVerifyTimeValidity(NULL, server->pCertInfo) == 0 &&
         CertVerifyTimeValidity(NULL, issuer->pCertInfo) == 0;
    ok = ok && names_match(server, name);
    if (issuer) CertFreeCertificateContext(issuer);
    CertFreeCertificateContext(server);
    return ok ? 0 : ERR_TLS_FAILED;
}

/* Without a CA: Windows' chain validation and its name check (SSL policy). */
static int verify_with_system(schannel_transport *s, const char *name) {
    PCCERT_CONTEXT server = NULL;
    if (QueryContextAttributesA(&s->ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &server) != SEC_E_OK)
        return ERR_TLS_FAILED;
    CERT_CHAIN_PARA para;
    memset(&para, 0, sizeof para);
    para.cbSize = sizeof para;
    PCCERT_CHAIN_CONTEXT chain = NULL;
    int ok = CertGetCertificateChain(NULL, server, NULL, server->hCertStore, &para, 0, NULL,
                                     &chain);
    if (ok) {
        wchar_t wide[256];
        MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, 256);
        SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl;
        memset(&ssl, 0, sizeof ssl);
        ssl.cbSize = sizeof ssl;
        ssl.dwAuthType = AUTHTYPE_SERVER;
        ssl.pwszServerName = wide;
        CERT_CHAIN_POLICY_PARA policy = {sizeof policy, 0, &ssl};
        CERT_CHAIN_POLICY_STATUS status = {sizeof status, 0, 0, 0, NULL};
        ok = CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain, &policy, &status) &&
             status.dwError == 0;
        CertFreeCertificateChain(chain);
    }
    CertFreeCertificateContext(server);
    return ok ? 0 : ERR_TLS_FAILED;
}

/* ---- records ------------------------------------------------------------------------------ */
static int tls_send_all(ct_transport *t, const char *buf, size_t len) {
    schannel_transport *s = (schannel_transport *)t;
    char record[IO_MAX + 64];
    while (len) {
        size_t n = len < s->sizes.cbMaximumMessage ? len : s->sizes.cbMaximumMessage;
        if (s->sizes.cbHeader + n + s->sizes.cbTrailer > sizeof record) n = 16384;
        memcpy(record + s->sizes.cbHeader, buf, n);
        SecBuffer b[4] = {
            {s->sizes.cbHeader, SECBUFFER_STREAM_HEADER, record},
            {(unsigned long)n, SECBUFFER_DATA, record + s->sizes.cbHeader},
            {s->sizes.cbTrailer, SECBUFFER_STREAM_TRAILER, record + s->sizes.cbHeader + n},
            {0, SECBUFFER_EMPTY, NULL}};
        SecBufferDesc desc = {SECBUFFER_VERSION, 4, b};
        if (EncryptMessage(&s->ctx, 0, &desc, 0) != SEC_E_OK) return ERR_CONNECTION_LOST;
        int err = s->tcp->send_all(s->tcp, record, b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer);
        if (err) return err;
        buf += n;
        len -= n;
    }
    return 0;
}

static ssize_t tls_recv(ct_transport *t, char *buf, size_t room) {
    schannel_transport *s = (schannel_transport *)t;
    for (;;) {
        if (s->plain_len) {
            size_t n = s->plain_len < room ? s->plain_len : room;
            memcpy(buf, s->plain, n);
            s->plain += n;
            s->plain_len -= n;
            if (!s->plain_len) {
                /* the record is handed out: what followed it becomes the buffer */
                if (s->extra_keep) memmove(s->in, s->extra, s->extra_keep);
                s->in_len = s->extra_keep;
                s->extra_keep = 0;
            }
            return (ssize_t)n;
        }
        if (s->in_len) {
            SecBuffer b[4] = {{(unsigned long)s->in_len, SECBUFFER_DATA, s->in},
                              {0, SECBUFFER_EMPTY, NULL},
                              {0, SECBUFFER_EMPTY, NULL},
                              {0, SECBUFFER_EMPTY, NULL}};
            SecBufferDesc desc = {SECBUFFER_VERSION, 4, b};
            SECURITY_STATUS st = DecryptMessage(&s->ctx, &desc, 0, NULL);
            if (st == SEC_I_CONTEXT_EXPIRED) return 0; /* close_notify */
            if (st == SEC_E_OK) {
                SecBuffer *data = NULL, *extra = NULL;
                for (int i = 0; i < 4; i++) {
                    if (b[i].BufferType == SECBUFFER_DATA) data = &b[i];
                    if (b[i].BufferType == SECBUFFER_EXTRA) extra = &b[i];
                }
                s->extra_keep = extra ? extra->cbBuffer : 0;
                s->extra = extra ? (char *)extra->pvBuffer : NULL;
                if (data && data->cbBuffer) {
                    s->plain = data->pvBuffer;
                    s->plain_len = data->cbBuffer;
                } else {
                    if (s->extra_keep) memmove(s->in, s->extra, s->extra_keep);
                    s->in_len = s->extra_keep;
                    s->extra_keep = 0;
                }
                continue;
            }
            if (st != SEC_E_INCOMPLETE_MESSAGE) return -(ssize_t)ERR_CONNECTION_LOST;
        }
        int err = recv_more(s);
        if (err == -ERR_CONNECTION_LOST && s->in_len == 0) return 0;
        if (err) return err;
    }
}

static void tls_close(ct_transport *t) {
    schannel_transport *s = (schannel_transport *)t;
    if (s->have_ctx) DeleteSecurityContext(&s->ctx);
    if (s->have_cred) FreeCredentialsHandle(&s->cred);
    if (s->tcp) s->tcp->close(s->tcp);
    free(s);
}

ct_transport *ct_tls_connect(const char *host, int port, int timeout_ms, const char *server_name,
                             const char *ca, int *error) {
    schannel_transport *s = calloc(1, sizeof *s);
    if (!s) {
        *error = 8;
        return NULL;
    }
    s->base.send_all = tls_send_all;
    s->base.recv = tls_recv;
    s->base.close = tls_close;
    s->base.fd = -1;
    SCHANNEL_CRED cred;
    memset(&cred, 0, sizeof cred);
    cred.dwVersion = SCHANNEL_CRED_VERSION;
    cred.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT;
    cred.dwFlags = SCH_CRED_NO_DEFAULT_CREDS | SCH_CRED_MANUAL_CRED_VALIDATION;
    if (AcquireCredentialsHandleA(NULL, (SEC_CHAR *)UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL,
                                  &cred, NULL, NULL, &s->cred, NULL) != SEC_E_OK) {
        tls_close(&s->base);
        *error = ERR_TLS_FAILED;
        return NULL;
    }
    s->have_cred = 1;
    s->tcp = ct_tcp_connect(host, port, timeout_ms, error);
    if (!s->tcp) {
        tls_close(&s->base);
        return NULL;
    }
    s->base.sock = s->tcp->sock; /* what ct_transport_wake shuts down */
    const char *name = server_name && *server_name ? server_name : host;
    int err = handshake(s, name);
    if (!err) err = ca && *ca ? verify_with_ca(s, ca, name) : verify_with_system(s, name);
    if (!err && QueryContextAttributesA(&s->ctx, SECPKG_ATTR_STREAM_SIZES, &s->sizes) != SEC_E_OK)
        err = ERR_TLS_FAILED;
    if (err) {
        tls_close(&s->base);
        *error = err;
        return NULL;
    }
    return &s->base;
}
