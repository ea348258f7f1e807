/*
 * ctapi.h - the CtAPI client interface of plant-scada-emulator's native library.
 *
 * Written for this project from the published CtAPI function reference (Plant SCADA help,
 * reference section 5); not a copy of AVEVA's header. Function names, argument order,
 * structure layouts and constants follow the documented interface so that programs written
 * for CtApi.dll compile and link unchanged. docs/native.md says which functions work today.
 */
#ifndef PLANT_SCADA_EMU_CTAPI_H
#define PLANT_SCADA_EMU_CTAPI_H

#ifdef _WIN32
#include <windows.h>
#else
#include <stdint.h>
#include <stddef.h>

/* The Windows types ctapi.h is written in, for Linux and other non-Windows systems. */
typedef void *HANDLE;
typedef uint32_t DWORD;
typedef DWORD *LPDWORD;
typedef int BOOL;
typedef uint8_t BYTE;
typedef uint8_t BOOLEAN;
typedef uint16_t WORD;
typedef unsigned int UINT;
typedef int32_t LONG;
typedef char CHAR;
typedef char *LPSTR;
typedef const char *LPCSTR;
typedef const char *LPCTSTR;
typedef void *LPVOID;
typedef int64_t __int64;
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#endif /* _WIN32 */

/* The calling convention: __stdcall on 32-bit Windows, the platform's default elsewhere. */
#if defined(_WIN32) && !defined(_WIN64)
#define CTAPI __stdcall
#else
#define CTAPI
#endif

/* CtApi.dll's exports are named by its .def file (native/src/CtApi.def): its build defines
 * CTAPI_EXPORT empty (src/win32.h). */
#if defined(CTAPI_EXPORT)
#elif defined(_WIN32)
#ifdef CTAPI_BUILDING
#define CTAPI_EXPORT __declspec(dllexport)
#else
#define CTAPI_EXPORT __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define CTAPI_EXPORT __attribute__((visibility("default")))
#else
#define CTAPI_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------------------------- */
#define ERROR_USER_DEFINED_BASE 0x10000000
#define CT_TO_WIN32_ERROR(dwStatus) ((DWORD)(dwStatus) + ERROR_USER_DEFINED_BASE)
#define WIN32_TO_CT_ERROR(dwStatus) \
    (((DWORD)(dwStatus) >= ERROR_USER_DEFINED_BASE) ? ((DWORD)(dwStatus) - ERROR_USER_DEFINED_BASE) : 0)
#define IsCitectError(dwStatus) ((DWORD)(dwStatus) > ERROR_USER_DEFINED_BASE)

/* ---- ctOpen modes ---------------------------------------------------------------------- */
#define CT_OPEN_CRYPT 0x00000001
#define CT_OPEN_RECONNECT 0x00000002
#define CT_OPEN_READ_ONLY 0x00000004
#define CT_OPEN_BATCH 0x00000008
#define CT_OPEN_EXTENDED 0x00000010
#define CT_OPEN_WINDOWSUSER 0x00000020

/* ---- ctFindFirst flags, ctFindScroll modes ---------------------------------------------- */
#define CT_FIND_SCROLL_NEXT 0x00000001
#define CT_FIND_SCROLL_PREV 0x00000002
#define CT_FIND_SCROLL_FIRST 0x00000003
#define CT_FIND_SCROLL_LAST 0x00000004
#define CT_FIND_SCROLL_ABSOLUTE 0x00000005
#define CT_FIND_SCROLL_RELATIVE 0x00000006

/* ---- ctEngToRaw / ctRawToEng modes ------------------------------------------------------ */
#define CT_SCALE_RANGE_CHECK 0x00000001
#define CT_SCALE_CLAMP_LIMIT 0x00000002
#define CT_SCALE_NOISE_FACTOR 0x00000004

/* ---- formats (ctListData, ctTagRead modes, ctEngToRaw) ----------------------------------- */
#define CT_FMT_NO_SCALE 0x00000001
#define CT_FMT_NO_FORMAT 0x00000002
#define CT_FMT_LAST 0x00000004
#define CT_FMT_RANGE_CHECK 0x00000008

/* ---- lists ------------------------------------------------------------------------------ */
#define CT_LIST_EVENT 0x00000001
#define CT_LIST_LIGHTWEIGHT_MODE 0x00000002
#define CT_LIST_EVENT_NEW 0x00000001
#define CT_LIST_EVENT_STATUS 0x00000002

/* ctListItem dwItem */
#define CT_LIST_VALUE 0x00000001
#define CT_LIST_TIMESTAMP 0x00000002
#define CT_LIST_VALUE_TIMESTAMP 0x00000003
#define CT_LIST_QUALITY_TIMESTAMP 0x00000004
#define CT_LIST_QUALITY_GENERAL 0x00000005
#define CT_LIST_QUALITY_SUBSTATUS 0x00000006
#define CT_LIST_QUALITY_LIMIT 0x00000007
#define CT_LIST_QUALITY_EXTENDED_SUBSTATUS 0x00000008
#define CT_LIST_QUALITY_DATASOURCE_ERROR 0x00000009
#define CT_LIST_QUALITY_OVERRIDE 0x0000000A
#define CT_LIST_QUALITY_CONTROL_MODE 0x0000000B

/* ---- points ----------------------------------------------------------------------------- */
#define CT_POINT_PROPERTY_TYPE 0x00000001
#define CT_POINT_PROPERTY_SIZE 0x00000002

/* ---- overlapped status ------------------------------------------------------------------ */
#ifndef STATUS_PENDING
#define STATUS_PENDING 0x00000103
#endif

/* ---- property types (OLE DB DBTYPEENUM, as ctGetProperty takes them) --------------------- */
typedef enum DBTYPEENUM {
    DBTYPE_EMPTY = 0,
    DBTYPE_NULL = 1,
    DBTYPE_I2 = 2,
    DBTYPE_I4 = 3,
    DBTYPE_R4 = 4,
    DBTYPE_R8 = 5,
    DBTYPE_CY = 6,
    DBTYPE_DATE = 7,
    DBTYPE_BSTR = 8,
    DBTYPE_IDISPATCH = 9,
    DBTYPE_ERROR = 10,
    DBTYPE_BOOL = 11,
    DBTYPE_VARIANT = 12,
    DBTYPE_IUNKNOWN = 13,
    DBTYPE_DECIMAL = 14,
    DBTYPE_UI1 = 17,
    DBTYPE_ARRAY = 0x2000,
    DBTYPE_BYREF = 0x4000,
    DBTYPE_I1 = 16,
    DBTYPE_UI2 = 18,
    DBTYPE_UI4 = 19,
    DBTYPE_I8 = 20,
    DBTYPE_UI8 = 21,
    DBTYPE_GUID = 72,
    DBTYPE_VECTOR = 0x1000,
    DBTYPE_RESERVED = 0x8000,
    DBTYPE_BYTES = 128,
    DBTYPE_STR = 129,
    DBTYPE_WSTR = 130,
    DBTYPE_NUMERIC = 131,
    DBTYPE_UDT = 132,
    DBTYPE_DBDATE = 133,
    DBTYPE_DBTIME = 134,
    DBTYPE_DBTIMESTAMP = 135
} DBTYPEENUM;

/* ---- structures: byte-packed, as CtApi.dll lays them out ------------------------------- */
#pragma pack(push, 1)

/* The overlapped block of the asynchronous calls (ctTagWriteEx, ctCicode, ctListRead...). */
typedef struct _CTOVERLAPPED {
    DWORD dwStatus; /* 0 when complete, STATUS_PENDING while pending, else the error */
    DWORD dwLength; /* the length of the result */
    BYTE *pData;
    DWORD OffsetHigh;
    HANDLE hEvent;
} CTOVERLAPPED;

/* ctTagReadEx's quality and timestamps (timestamps as FILETIME: 100 ns since 1601, UTC). */
typedef struct _CT_TAGVALUE_ITEMS {
    DWORD dwLength;
    __int64 nTimestamp;
    __int64 nValueTimestamp;
    __int64 nQualityTimestamp;
    BYTE bQualityGeneral;
    BYTE bQualitySubstatus;
    BYTE bQualityLimit;
    BYTE bQualityExtendedSubstatus;
    UINT nQualityDatasourceErrorCode;
    BOOLEAN bOverride;
    BOOLEAN bControlMode;
} CT_TAGVALUE_ITEMS;

/* The raw and engineering ranges of ctEngToRaw and ctRawToEng. */
typedef struct _CTSCALE {
    double RawZero;
    double RawFull;
    double EngZero;
    double EngFull;
} CTSCALE;

/* A point's metadata (ctPointGetProperty). */
typedef struct _META_PROPERTY {
    CHAR szName[256];
    DWORD dwType;
} META_PROPERTY;

#pragma pack(pop)

#if defined(__x86_64__) || defined(_M_X64)
_Static_assert(sizeof(CTOVERLAPPED) == 28, "CTOVERLAPPED is 28 bytes on x86-64");
_Static_assert(sizeof(CT_TAGVALUE_ITEMS) == 38, "CT_TAGVALUE_ITEMS is 38 bytes on x86-64");
_Static_assert(sizeof(CTSCALE) == 32, "CTSCALE is 32 bytes on x86-64");
_Static_assert(sizeof(META_PROPERTY) == 260, "META_PROPERTY is 260 bytes on x86-64");
#endif

#define ctHasOverlappedIoCompleted(lpOverlapped) ((lpOverlapped)->dwStatus != STATUS_PENDING)

/* ---- connections ------------------------------------------------------------------------ */
CTAPI_EXPORT HANDLE CTAPI ctOpen(LPCSTR szComputer, LPCSTR szUser, LPCSTR szPassword, DWORD nMode);
CTAPI_EXPORT BOOL CTAPI ctOpenEx(LPCSTR szComputer, LPCSTR szUser, LPCSTR szPassword, DWORD nMode,
                                 HANDLE hCtapi);
CTAPI_EXPORT HANDLE CTAPI ctClientCreate(void);
CTAPI_EXPORT BOOL CTAPI ctClientDestroy(HANDLE hCtapi);
CTAPI_EXPORT BOOL CTAPI ctClose(HANDLE hCtapi);
CTAPI_EXPORT BOOL CTAPI ctCloseEx(HANDLE hCtapi, BOOL bDestroy);
CTAPI_EXPORT BOOL CTAPI ctCancelIO(HANDLE hCtapi, CTOVERLAPPED *pctOverlapped);
CTAPI_EXPORT BOOL CTAPI ctGetOverlappedResult(HANDLE hCtapi, CTOVERLAPPED *lpctOverlapped,
                                              DWORD *pBytes, BOOL bWait);
CTAPI_EXPORT BOOL CTAPI ctSetManagedBinDirectory(LPCSTR szPath);

/* ---- Cicode and tags -------------------------------------------------------------------- */
CTAPI_EXPORT DWORD CTAPI ctCicode(HANDLE hCtapi, LPCSTR sCmd, DWORD hWin, DWORD nMode, LPSTR sResult,
                                  DWORD dwLength, CTOVERLAPPED *pctOverlapped);
CTAPI_EXPORT BOOL CTAPI ctTagRead(HANDLE hCtapi, LPCSTR szTag, LPSTR szValue, DWORD dwLength);
CTAPI_EXPORT BOOL CTAPI ctTagReadEx(HANDLE hCtapi, LPCSTR szTag, LPSTR szValue, DWORD dwLength,
                                    CT_TAGVALUE_ITEMS *pctTagvalueItems);
CTAPI_EXPORT BOOL CTAPI ctTagWrite(HANDLE hCtapi, LPCSTR szTag, LPCSTR szValue);
CTAPI_EXPORT BOOL CTAPI ctTagWriteEx(HANDLE hCtapi, LPCSTR szTag, LPCSTR szValue,
                                     CTOVERLAPPED *pctOverlapped);
CTAPI_EXPORT BOOL CTAPI ctTagGetProperty(HANDLE hCtapi, LPCSTR szTagName, LPCSTR szProperty,
                                         void *pData, DWORD dwBufferLength, DWORD dwType);
CTAPI_EXPORT BOOL CTAPI ctEngToRaw(double *pResult, double dValue, CTSCALE *pScale, DWORD dwMode);
CTAPI_EXPORT BOOL CTAPI ctRawToEng(double *pResult, double dValue, CTSCALE *pScale, DWORD dwMode);

/* ---- find ------------------------------------------------------------------------------- */
CTAPI_EXPORT HANDLE CTAPI ctFindFirst(HANDLE hCtapi, LPCTSTR szTableName, LPCTSTR szFilter,
                                      HANDLE *pObjHnd, DWORD dwFlags);
CTAPI_EXPORT HANDLE CTAPI ctFindFirstEx(HANDLE hCtapi, LPCTSTR szTableName, LPCTSTR szFilter,
                                        LPCTSTR szCluster, HANDLE *pObjHnd, DWORD dwFlags);
CTAPI_EXPORT BOOL CTAPI ctFindNext(HANDLE hnd, HANDLE *pObjHnd);
CTAPI_EXPORT BOOL CTAPI ctFindPrev(HANDLE hnd, HANDLE *pObjHnd);
CTAPI_EXPORT DWORD CTAPI ctFindScroll(HANDLE hnd, DWORD dwMode, LONG dwOffset, HANDLE *pObjHnd);
CTAPI_EXPORT BOOL CTAPI ctFindClose(HANDLE hnd);
CTAPI_EXPORT LONG CTAPI ctFindNumRecords(HANDLE hnd);
CTAPI_EXPORT BOOL CTAPI ctGetProperty(HANDLE hnd, LPCSTR szName, void *pData, DWORD dwBufferLength,
                                      DWORD *dwResultLength, DWORD dwType);

/* ---- lists ------------------------------------------------------------------------------ */
CTAPI_EXPORT HANDLE CTAPI ctListNew(HANDLE hCtapi, DWORD dwMode);
CTAPI_EXPORT BOOL CTAPI ctListFree(HANDLE hList);
CTAPI_EXPORT HANDLE CTAPI ctListAdd(HANDLE hList, LPCSTR szTag);
CTAPI_EXPORT HANDLE CTAPI ctListAddEx(HANDLE hList, LPCSTR szTag, BOOL bRaw, int nPollPeriodMS,
                                      double dDeadband);
CTAPI_EXPORT BOOL CTAPI ctListDelete(HANDLE hTag);
CTAPI_EXPORT BOOL CTAPI ctListRead(HANDLE hList, CTOVERLAPPED *pctOverlapped);
CTAPI_EXPORT BOOL CTAPI ctListWrite(HANDLE hTag, LPCSTR szValue, CTOVERLAPPED *pctOverlapped);
CTAPI_EXPORT BOOL CTAPI ctListData(HANDLE hTag, void *pBuffer, DWORD dwLength, DWORD dwMode);
CTAPI_EXPORT HANDLE CTAPI ctListEvent(HANDLE hCtapi, DWORD dwMode);
CTAPI_EXPORT BOOL CTAPI ctListItem(HANDLE hTag, DWORD dwItem, void *pBuffer, DWORD dwLength,
                                   DWORD dwMode);

/* ---- points (legacy): a tag by handle, its data in raw units (docs/native.md "Points") -- */
CTAPI_EXPORT HANDLE CTAPI ctTagToPoint(HANDLE hCtapi, LPCSTR szTag, DWORD dwMode,
                                       CTOVERLAPPED *pctOverlapped);
CTAPI_EXPORT BOOL CTAPI ctPointRead(HANDLE hCtapi, HANDLE hPoint, void *pBuffer, DWORD dwLength,
                                    CTOVERLAPPED *pctOverlapped);
CTAPI_EXPORT BOOL CTAPI ctPointWrite(HANDLE hCtapi, HANDLE hPoint, void *pBuffer, DWORD dwLength,
                                     CTOVERLAPPED *pctOverlapped);
CTAPI_EXPORT BOOL CTAPI ctPointClose(HANDLE hCtapi, HANDLE hPoint);
CTAPI_EXPORT HANDLE CTAPI ctPointCopy(HANDLE hPoint);
CTAPI_EXPORT BOOL CTAPI ctPointGetProperty(HANDLE hPoint, LPCTSTR szName, void *pData,
                                           DWORD dwBufferLength, DWORD *dwResultLength,
                                           DWORD dwType);
CTAPI_EXPORT DWORD CTAPI ctPointDataSize(HANDLE hPoint);
CTAPI_EXPORT DWORD CTAPI ctPointBitShift(HANDLE hPoint);
CTAPI_EXPORT BOOL CTAPI ctPointToStr(HANDLE hPoint, BYTE *pData, DWORD dwDataLength, BYTE *sValue,
                                     DWORD dwStrLength, DWORD dwMode);
CTAPI_EXPORT BOOL CTAPI ctStrToPoint(HANDLE hPoint, LPCSTR sValue, DWORD dwStrLength, BYTE *pData,
                                     DWORD dwDataLength, DWORD dwMode);

#ifndef _WIN32
/* Win32's thread-local last error, as this library sets it (Linux builds only). */
CTAPI_EXPORT DWORD CTAPI GetLastError(void);
CTAPI_EXPORT void CTAPI SetLastError(DWORD dwErrCode);
#endif

#ifdef __cplusplus
}
#endif

#endif /* PLANT_SCADA_EMU_CTAPI_H */
