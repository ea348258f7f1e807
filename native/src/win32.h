/* The Windows build's prelude, force-included (-include) before every source file of
 * CtApi.dll (native/Makefile). Winsock comes before windows.h, as Winsock requires.
 *
 * ctapi.c keeps the last error in its own thread-local variable and defines GetLastError and
 * SetLastError for Linux callers. On Windows those names are kernel32's: here they are renamed
 * to the library's internal ct_get_last_error and ct_set_last_error, and each export
 * (src/exports_win32.c) hands the code to kernel32's SetLastError just before it returns, the
 * last thing it does, so no later call inside the library (TlsGetValue clears the Win32 error
 * when it succeeds) can overwrite what the caller reads. */
#ifndef CTAPI_WIN32_H
#define CTAPI_WIN32_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

/* no __declspec(dllexport): src/CtApi.def names every export (include/ctapi.h) */
#define CTAPI_EXPORT

#define GetLastError ct_get_last_error
#define SetLastError ct_set_last_error
DWORD ct_get_last_error(void);
void ct_set_last_error(DWORD code);

#endif
