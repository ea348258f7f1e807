/* A text value (a record's field, a tag's property) as the OLE DB type a caller asks for:
 * DBTYPE_STR as text, the integer, real and boolean types as binary, little-endian as on
 * Windows. Pure. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

BOOL property_store(const char *text, DWORD dwType, void *pData, DWORD dwBufferLength,
                    DWORD *written) {
    *written = 0;
    if (!pData || !dwBufferLength) return fail(E_INVALID_ARGUMENT);
    if (dwType == DBTYPE_STR) {
        size_t n = strlen(text);
        if (n + 1 > dwBufferLength) {
            /* what fits, NUL-terminated, and FALSE (CtAPI 1150521) */
            size_t cut = dwBufferLength - 1;
            memcpy(pData, text, cut);
            ((char *)pData)[cut] = '\0';
            *written = (DWORD)cut;
            return fail(E_BUFFER_OVERFLOW);
        }
        memcpy(pData, text, n + 1);
        *written = (DWORD)n;
        return TRUE;
    }
    size_t size;
    switch (dwType) {
    case DBTYPE_I1: case DBTYPE_UI1: size = 1; break;
    case DBTYPE_I2: case DBTYPE_UI2: case DBTYPE_BOOL: size = 2; break;
    case DBTYPE_I4: case DBTYPE_UI4: case DBTYPE_R4: size = 4; break;
    case DBTYPE_I8: case DBTYPE_UI8: case DBTYPE_R8: size = 8; break;
    default: return fail(E_INVALID_ARGUMENT);
    }
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(x)) return fail(E_INVALID_ARGUMENT);
    if (size > dwBufferLength) return fail(E_BUFFER_OVERFLOW);
    union {
        int8_t i1; uint8_t u1; int16_t i2; uint16_t u2; int32_t i4; uint32_t u4;
        int64_t i8; uint64_t u8; float r4; double r8;
    } v;
    double t = trunc(x);
    int fits = 1;
    switch (dwType) {
    case DBTYPE_I1: fits = t >= -128 && t <= 127; v.i1 = fits ? (int8_t)t : 0; break;
    case DBTYPE_UI1: fits = t >= 0 && t <= 255; v.u1 = fits ? (uint8_t)t : 0; break;
    case DBTYPE_I2: fits = t >= -32768 && t <= 32767; v.i2 = fits ? (int16_t)t : 0; break;
    case DBTYPE_UI2: fits = t >= 0 && t <= 65535; v.u2 = fits ? (uint16_t)t : 0; break;
    case DBTYPE_BOOL: v.i2 = x != 0 ? -1 : 0; break; /* VARIANT_BOOL */
    case DBTYPE_I4: fits = t >= -2147483648.0 && t <= 2147483647.0; v.i4 = fits ? (int32_t)t : 0; break;
    case DBTYPE_UI4: fits = t >= 0 && t <= 4294967295.0; v.u4 = fits ? (uint32_t)t : 0; break;
    case DBTYPE_I8: fits = t >= -9.2233720368547758e18 && t < 9.2233720368547758e18; v.i8 = fits ? (int64_t)t : 0; break;
    case DBTYPE_UI8: fits = t >= 0 && t < 1.8446744073709552e19; v.u8 = fits ? (uint64_t)t : 0; break;
    case DBTYPE_R4: fits = fabs(x) <= 3.4028234663852886e38; v.r4 = (float)x; break;
    default: v.r8 = x; break;
    }
    if (!fits) return fail(E_INVALID_ARGUMENT);
    memcpy(pData, &v, size); /* little-endian hosts (x86-64, arm64), as on Windows */
    *written = (DWORD)size;
    return TRUE;
}
