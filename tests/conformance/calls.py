"""The conformance suite's data: CtAPI call sequences, each step with what it must give.

A case is a list of steps; a step is one CtAPI call with its arguments written as data:
Python str for `char*` (None for NULL), int for DWORD/BOOL, `Ref(name)` for a handle an earlier
step returned, and placeholders for the caller's out-arguments (`Buf`, `Overlapped`,
`TagValueItems`, `DoubleOut`, `DwordOut`, `HandleOut`, `Scale`). Every backend
(backends.py) turns the same data into its own call and reports the same `Outcome`: the
return value (a handle as "handle"/NULL), every out-argument after the call, and the error
code when the call failed. `expect` pins the parts the CtAPI reference fixes; the rest must
merely agree between the backends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CITECT = 0x10000000  # ERROR_USER_DEFINED_BASE

INVALID_HANDLE = 6
BUFFER_OVERFLOW = 111
COMPUTER_NOT_FOUND = 53
TAG_NOT_FOUND = CITECT + 424
INVALID_ARGUMENT = CITECT + 274
OUT_OF_RANGE = CITECT + 257
TAG_READ_ONLY = CITECT + 0x1003
NO_MORE_RECORDS = CITECT + 0x1000 + 8  # the emulator's own (errors.py NO_MORE_RECORDS)
IO_PENDING = 997
DBTYPE_STR = 129
DBTYPE_R8 = 5
CT_SCALE_RANGE_CHECK = 1
CT_SCALE_CLAMP_LIMIT = 2
CT_LIST_QUALITY_GENERAL = 5


@dataclass(frozen=True)
class Ref:
    """The handle an earlier step saved under `name` (its return value or a HandleOut)."""

    name: str


@dataclass(frozen=True)
class Buf:
    """A `char` result buffer of `size` bytes, filled with `fill` before the call."""

    size: int
    fill: bytes = b""


@dataclass(frozen=True)
class Overlapped:
    """A CTOVERLAPPED, 0xFF-filled; after the call its dwStatus and dwLength are compared. Steps
    that give the same `name` share one; each lives until its case ends (an I/O thread may
    still write into it)."""

    name: str = ""


@dataclass(frozen=True)
class TagValueItems:
    """A CT_TAGVALUE_ITEMS; compared: dwLength, the quality parts, which timestamps are set."""


@dataclass(frozen=True)
class DoubleOut:
    """A double* result."""


@dataclass(frozen=True)
class DwordOut:
    """A DWORD* result, preset to 0xFFFFFFFF."""


@dataclass(frozen=True)
class HandleOut:
    """A HANDLE* result (ctFindFirst's pObjHnd), saved under `name` for later steps."""

    name: str


@dataclass(frozen=True)
class Scale:
    """A CTSCALE (raw zero, raw full, engineering zero, engineering full)."""

    raw_zero: float
    raw_full: float
    eng_zero: float
    eng_full: float


@dataclass(frozen=True)
class Outcome:
    """What one call gave: its return value, its out-arguments, and the error when it failed."""

    returned: Any
    outs: tuple[Any, ...]
    error: int | None


@dataclass(frozen=True)
class Step:
    function: str
    args: tuple[Any, ...]
    save: str | None = None  # keep the returned handle under this name
    expect: dict[str, Any] = field(default_factory=dict)  # returned=, outs=, error=


def call(function: str, *args: Any, save: str | None = None, **expect: Any) -> Step:
    return Step(function, args, save, expect)


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]


H = Ref("h")
HANDLE = "handle"  # a non-NULL handle returned
NULL = None

OPEN = call("ctOpen", "", "engineer", "control", 0, save="h", returned=HANDLE)
CLOSE = call("ctClose", H, returned=1)


def case(name: str, *steps: Step, connected: bool = True) -> Case:
    return Case(name, (OPEN, *steps, CLOSE) if connected else steps)


CASES: tuple[Case, ...] = (
    # --- open, read, write, Cicode ------------------------------------------------------------
    case(
        "open_read_close",
        call("ctTagRead", H, "PRODUCT_CODE", Buf(64), 64, returned=1, outs=(b"BLEND-A42",)),
        call("ctTagRead", H, "PRODUCT_CODE", Buf(10), 10, returned=1, outs=(b"BLEND-A42",)),
    ),
    case(
        # C# clients call it before anything else; here any directory, NULL too, is accepted
        "managed_bin_directory_first",
        call(
            "ctSetManagedBinDirectory",
            "C:\\Program Files (x86)\\AVEVA Plant SCADA\\Bin",
            returned=1,
        ),
        call("ctSetManagedBinDirectory", None, returned=1),
        call("ctSetManagedBinDirectory", "", returned=1),
        connected=False,
    ),
    case(
        "open_local_with_nulls",
        call("ctOpen", None, "engineer", "control", 0, save="n", returned=HANDLE),
        call("ctTagRead", Ref("n"), "PRODUCT_CODE", Buf(64), 64, returned=1),
        call("ctClose", Ref("n"), returned=1),
        # this machine's own names, where no listener has them: the local computer (as on a
        # runtime's machine; pyctapi's examples open 127.0.0.1)
        call("ctOpen", "127.0.0.1", "engineer", "control", 0, save="l", returned=HANDLE),
        call("ctTagRead", Ref("l"), "PRODUCT_CODE", Buf(64), 64, returned=1),
        call("ctClose", Ref("l"), returned=1),
        call("ctOpen", "localhost", "engineer", "control", 0, save="l", returned=HANDLE),
        call("ctClose", Ref("l"), returned=1),
    ),
    case(
        "write_and_read_back",
        call("ctTagWrite", H, "BLEND_RATIO_SP", "0.25", returned=1),
        call("ctTagRead", H, "BLEND_RATIO_SP", Buf(64), 64, returned=1, outs=(b"0.250",)),
        call("ctTagWriteEx", H, "BLEND_RATIO_SP", "0.5", None, returned=1),
        call("ctTagRead", H, "BLEND_RATIO_SP", Buf(64), 64, returned=1, outs=(b"0.500",)),
        call("ctTagWriteEx", H, "BLEND_RATIO_SP", "0.25", None, returned=1),
    ),
    case(
        "read_ex",
        call("ctTagWrite", H, "BLEND_RATIO_SP", "0.25", returned=1),
        call("ctTagReadEx", H, "BLEND_RATIO_SP", Buf(64), 64, TagValueItems(), returned=1),
        call("ctTagReadEx", H, "PRODUCT_CODE", Buf(64), 64, None, returned=1),
    ),
    case(
        "cicode",
        call("ctCicode", H, "Version(3)", 0, 0, Buf(32), 32, None, returned=1, outs=(b"8.40",)),
        call("ctCicode", H, "Version(3)", 0, 0, None, 0, None, returned=1),
        call("ctCicode", H, "Version(3)", 0, 0, Buf(3, b"ab"), 3, None, returned=0),
        call("ctCicode", H, "NoSuchFunction()", 0, 0, Buf(32), 32, None, returned=0),
    ),
    # --- errors ------------------------------------------------------------------------------
    case(
        "server_errors",
        call("ctTagRead", H, "NO_SUCH_TAG", Buf(64), 64, returned=0, error=TAG_NOT_FOUND),
        call("ctTagWrite", H, "NO_SUCH_TAG", "1", returned=0, error=TAG_NOT_FOUND),
        call("ctTagWrite", H, "BLEND_RATIO_SP", "not a number", returned=0),
        call("ctTagReadEx", H, "NO_SUCH_TAG", Buf(64), 64, None, returned=0, error=TAG_NOT_FOUND),
    ),
    case(
        "closed_and_made_up_handles",
        call("ctOpen", "", "engineer", "control", 0, save="c", returned=HANDLE),
        call("ctClose", Ref("c"), returned=1),
        call("ctTagRead", Ref("c"), "PRODUCT_CODE", Buf(64), 64, returned=0, error=INVALID_HANDLE),
        call("ctClose", Ref("c"), returned=0, error=INVALID_HANDLE),
        call("ctTagRead", 0xDEAD, "PRODUCT_CODE", Buf(64), 64, returned=0, error=INVALID_HANDLE),
        call("ctTagWrite", None, "BLEND_RATIO_SP", "1", returned=0, error=INVALID_HANDLE),
        call("ctCicode", 0xDEAD, "Version(3)", 0, 0, Buf(8), 8, None, returned=0),
        call("ctClose", None, returned=0, error=INVALID_HANDLE),
        connected=False,
    ),
    case(
        "open_failures",
        call("ctOpen", "", "engineer", "wrong", 0, returned=NULL, error=INVALID_ARGUMENT),
        call("ctOpen", "NO-SUCH-PC", "engineer", "control", 0, returned=NULL),
        call(
            "ctOpen", "", "engineer", "control", 0x40000000, returned=NULL, error=INVALID_ARGUMENT
        ),
        connected=False,
    ),
    # --- bad arguments -----------------------------------------------------------------------
    case(
        "bad_arguments",
        call("ctTagRead", H, None, Buf(64), 64, returned=0, error=INVALID_ARGUMENT),
        call(
            "ctTagRead",
            H,
            "PRODUCT_CODE",
            Buf(9, b"1200"),
            9,
            returned=0,
            outs=(b"1200",),
            error=BUFFER_OVERFLOW,
        ),
        call("ctTagWrite", H, "BLEND_RATIO_SP", None, returned=0, error=INVALID_ARGUMENT),
        call("ctTagWrite", H, None, "1", returned=0, error=INVALID_ARGUMENT),
        call("ctCicode", H, None, 0, 0, Buf(8), 8, None, returned=0),
        call("ctSetManagedBinDirectory", "C:\\Program Files\\Bin", returned=1),
    ),
    # --- scaling (no connection) -------------------------------------------------------------
    case(
        "scaling",
        call("ctEngToRaw", DoubleOut(), 50.0, Scale(0, 32000, 0, 100), 0, returned=1),
        call("ctRawToEng", DoubleOut(), 8000.0, Scale(0, 32000, 0, 100), 0, returned=1),
        call("ctRawToEng", DoubleOut(), -8000.0, Scale(0, 32000, 0, 100), 0, returned=1),
        call("ctEngToRaw", DoubleOut(), 150.0, Scale(0, 32000, 0, 100), 0, returned=1),
        call(
            "ctEngToRaw",
            DoubleOut(),
            150.0,
            Scale(0, 32000, 0, 100),
            CT_SCALE_CLAMP_LIMIT,
            returned=1,
            outs=(32000.0,),
        ),
        call("ctEngToRaw", DoubleOut(), 5.0, None, 0, returned=0),
        call("ctEngToRaw", None, 5.0, Scale(0, 32000, 0, 100), 0, returned=0),
        call("ctEngToRaw", DoubleOut(), 5.0, Scale(0, 32000, 10, 10), 0, returned=0),
        connected=False,
    ),
    # --- lists -------------------------------------------------------------------------------
    case(
        "lists",
        call("ctTagWrite", H, "BLEND_RATIO_SP", "0.25", returned=1),
        call("ctListNew", H, 0, save="l", returned=HANDLE),
        call("ctListAdd", Ref("l"), "PRODUCT_CODE", save="t1", returned=HANDLE),
        call("ctListAddEx", Ref("l"), "BLEND_RATIO_SP", 0, 500, 0.0, save="t2", returned=HANDLE),
        call("ctListData", Ref("t1"), Buf(64), 64, 0, returned=0),
        call("ctListRead", Ref("l"), None, returned=1),
        call("ctListData", Ref("t1"), Buf(64), 64, 0, returned=1, outs=(b"BLEND-A42",)),
        call("ctListData", Ref("t2"), Buf(64), 64, 0, returned=1, outs=(b"0.250",)),
        call("ctListData", Ref("t1"), Buf(4, b"abc"), 4, 0, returned=0, outs=(b"abc",)),
        call("ctListItem", Ref("t1"), CT_LIST_QUALITY_GENERAL, Buf(16), 16, 0, returned=1),
        call("ctListWrite", Ref("t2"), "0.5", None, returned=1),
        call("ctListRead", Ref("l"), None, returned=1),
        call("ctListData", Ref("t2"), Buf(64), 64, 0, returned=1, outs=(b"0.500",)),
        call("ctListWrite", Ref("t2"), "0.25", Overlapped(), returned=1),
        call("ctListDelete", Ref("t1"), returned=1),
        call("ctListData", Ref("t1"), Buf(64), 64, 0, returned=0),
        call("ctListFree", Ref("l"), returned=1),
        call("ctListRead", Ref("l"), None, returned=0),
    ),
    case(
        "list_errors",
        call("ctListNew", H, 0, save="l", returned=HANDLE),
        call("ctListAdd", Ref("l"), None, returned=NULL),
        call("ctListAdd", 0xDEAD, "PRODUCT_CODE", returned=NULL),
        call("ctListFree", 0xDEAD, returned=0),
        call("ctListNew", 0xDEAD, 0, returned=NULL, error=INVALID_HANDLE),
        call("ctListFree", Ref("l"), returned=1),
    ),
    # --- find and query ----------------------------------------------------------------------
    case(
        "find",
        call(
            "ctFindFirst",
            H,
            "Tag",
            "TAG=PRODUCT_CODE",
            HandleOut("o"),
            0,
            save="f",
            returned=HANDLE,
        ),
        call("ctGetProperty", Ref("o"), "TAG", Buf(64), 64, DwordOut(), DBTYPE_STR, returned=1),
        call("ctGetProperty", Ref("o"), "TAG", Buf(4), 4, DwordOut(), DBTYPE_STR, returned=0),
        call("ctGetProperty", Ref("o"), "NO_SUCH_FIELD", Buf(64), 64, DwordOut(), DBTYPE_STR),
        # 1150521: the field metadata pyctapi's search() builds its dictionaries from
        call(
            "ctGetProperty",
            Ref("o"),
            "object.fields.count",
            Buf(8),
            8,
            DwordOut(),
            DBTYPE_STR,
            returned=1,
            outs=(b"9", 1),
        ),
        call(
            "ctGetProperty",
            Ref("o"),
            "object.fields(1).name",
            Buf(8),
            8,
            DwordOut(),
            DBTYPE_STR,
            returned=1,
            outs=(b"TAG", 3),
        ),
        call("ctGetProperty", Ref("o"), "object.fields(10).name", Buf(8), 8, DwordOut(), 129),
        call("ctFindNumRecords", Ref("f")),
        call("ctFindNext", Ref("f"), HandleOut("o2"), returned=0),
        call("ctFindClose", Ref("f"), returned=1),
        call("ctFindClose", Ref("f"), returned=0),
    ),
    case(
        "find_ex_and_scroll",
        call("ctFindFirstEx", H, "Tag", "", "", HandleOut("o"), 0, save="f", returned=HANDLE),
        call("ctFindNext", Ref("f"), HandleOut("o"), returned=1),
        call("ctFindPrev", Ref("f"), HandleOut("o"), returned=1),
        call("ctFindScroll", Ref("f"), 4, 0, HandleOut("o")),
        call("ctGetProperty", Ref("o"), "TAG", Buf(64), 64, DwordOut(), DBTYPE_STR, returned=1),
        call("ctFindClose", Ref("f"), returned=1),
        call("ctFindFirst", H, "NoSuchTable", "", HandleOut("x"), 0, returned=NULL),
        call("ctFindFirst", H, "Tag", "TAG=NO_SUCH_TAG", HandleOut("x"), 0, returned=NULL),
    ),
    # --- alarms as the runtime shows them (1068486, 1150514, 1150547) -------------------------
    case(
        "alarm_properties_written",
        call("ctTagWrite", H, "PUMP1_FAULT_ALM.Custom8", "conformance", returned=1),
        call(
            "ctTagRead",
            H,
            "PUMP1_FAULT_ALM.Custom8",
            Buf(64),
            64,
            returned=1,
            outs=(b"conformance",),
        ),
        call("ctTagWrite", H, "PUMP1_FAULT_ALM.Ack", "1", returned=1),  # nothing to ack: fine
        call("ctTagWrite", H, "PUMP1_FAULT_ALM.On", "1", returned=0, error=TAG_READ_ONLY),
        call("ctTagWrite", H, "PUMP1_FAULT_ALM.Ack", "0", returned=0, error=INVALID_ARGUMENT),
        call("ctTagWrite", H, "PUMP1_FAULT_ALM.Custom8", "", returned=1),
    ),
    case(
        "alarm_tables",
        call(
            "ctFindFirst",
            H,
            "Alarm",
            "TAG=PUMP1_FAULT_ALM",
            HandleOut("o"),
            0,
            save="f",
            returned=HANDLE,
        ),
        call("ctFindNumRecords", Ref("f"), returned=1),
        call("ctGetProperty", Ref("o"), "CUSTOM2", Buf(64), 64, DwordOut(), DBTYPE_STR, returned=1),
        call("ctGetProperty", Ref("o"), "EQUIPMENT", Buf(8), 8, DwordOut(), DBTYPE_STR, returned=1),
        call("ctFindClose", Ref("f"), returned=1),
        call("ctFindFirst", H, "Equipment", "", HandleOut("x"), 0, returned=NULL),
        call(
            "ctFindFirst",
            H,
            'CTAPITrend("","",1,2,1,"TANK1_LEVEL")',
            "",
            HandleOut("t"),
            0,
            save="q",
            returned=HANDLE,
        ),
        call("ctFindNumRecords", Ref("q"), returned=2),
        call("ctFindClose", Ref("q"), returned=1),
        # 1150515: the cluster argument restricts a query string as it does a table
        call(
            "ctFindFirstEx",
            H,
            "TRNQUERY,1767225600,0,1,2,TANK1_LEVEL,0,1",
            "",
            "CLUSTER1",
            HandleOut("t"),
            0,
            save="c",
            returned=HANDLE,
        ),
        call("ctFindClose", Ref("c"), returned=1),
        call(
            "ctFindFirstEx",
            H,
            "TRNQUERY,1767225600,0,1,2,TANK1_LEVEL,0,1",
            "",
            "NO_SUCH_CLUSTER",
            HandleOut("t"),
            0,
            returned=NULL,
        ),
    ),
    case(
        # a window before the demo's history: the same records for both backends, whenever run
        "trend_and_alarm_queries",
        call(
            "ctFindFirst",
            H,
            "TRNQUERY,1767225600,0,1,3,TANK1_LEVEL,0,1",
            "",
            HandleOut("q"),
            0,
            save="t",
            returned=HANDLE,
            outs=(HANDLE,),
        ),
        call(
            "ctGetProperty",
            Ref("q"),
            "DATETIME",
            Buf(32),
            32,
            DwordOut(),
            DBTYPE_STR,
            returned=1,
            outs=(b"1767225598", 10),
        ),
        call("ctGetProperty", Ref("q"), "VALUE", Buf(32), 32, DwordOut(), DBTYPE_R8, returned=1),
        call("ctGetProperty", Ref("q"), "QUALITY", Buf(32), 32, DwordOut(), DBTYPE_STR, returned=1),
        call("ctFindNext", Ref("t"), HandleOut("q"), returned=1),
        call(
            "ctGetProperty",
            Ref("q"),
            "DATETIME",
            Buf(32),
            32,
            DwordOut(),
            DBTYPE_STR,
            returned=1,
            outs=(b"1767225599", 10),
        ),
        call("ctFindNumRecords", Ref("t")),
        call("ctFindClose", Ref("t"), returned=1),
        call(
            "ctFindFirst",
            H,
            "ALMQUERY,DigAlm,PUMP1_FAULT_ALM,1767225600,0,1767225660,0,0",
            "",
            HandleOut("x"),
            0,
            returned=NULL,
            error=NO_MORE_RECORDS,
        ),
        call("ctFindFirst", H, "TRNQUERY,1,0,1", "", HandleOut("x"), 0, returned=NULL),
    ),
    # --- properties --------------------------------------------------------------------------
    case(
        "tag_properties",
        call(
            "ctTagGetProperty", H, "TANK1_LEVEL", "ENG_UNITS", Buf(64), 64, DBTYPE_STR, returned=1
        ),
        call("ctTagGetProperty", H, "TANK1_LEVEL", "ENG_FULL", Buf(64), 64, DBTYPE_STR, returned=1),
        call("ctTagGetProperty", H, "TANK1_LEVEL", "NO_SUCH", Buf(64), 64, DBTYPE_STR, returned=0),
        call(
            "ctTagGetProperty", H, "NO_SUCH_TAG", "ENG_UNITS", Buf(64), 64, DBTYPE_STR, returned=0
        ),
    ),
    # --- overlapped and sessions ---------------------------------------------------------------
    case(
        "overlapped",
        call("ctListNew", H, 0, save="l", returned=HANDLE),
        call("ctListAdd", Ref("l"), "PRODUCT_CODE", save="t", returned=HANDLE),
        call("ctListRead", Ref("l"), None, returned=1),
        call("ctListWrite", Ref("t"), "BLEND-A42", Overlapped("w"), returned=1),
        call("ctGetOverlappedResult", H, Overlapped("w"), DwordOut(), 1, returned=1),
        call("ctCancelIO", H, None, returned=0, error=INVALID_ARGUMENT),
        call("ctListFree", Ref("l"), returned=1),
    ),
    case(
        "client_create_open_ex",
        call("ctClientCreate", save="c", returned=HANDLE),
        call("ctOpenEx", "", "engineer", "control", 0, Ref("c"), returned=1),
        call("ctTagRead", Ref("c"), "PRODUCT_CODE", Buf(64), 64, returned=1, outs=(b"BLEND-A42",)),
        call("ctCloseEx", Ref("c"), 0, returned=1),
        call("ctTagRead", Ref("c"), "PRODUCT_CODE", Buf(64), 64, returned=0),
        call("ctClientDestroy", Ref("c"), returned=1),
        call("ctClientDestroy", Ref("c"), returned=0),
        connected=False,
    ),
    # --- where the shim once departed from the reference (fixed in both) ----------------------
    case(
        "overlapped_lengths",
        call(
            "ctCicode",
            H,
            "Version(3)",
            0,
            0,
            Buf(32),
            32,
            Overlapped(),
            returned=1,
            outs=(b"8.40", ("dwStatus", 0, "dwLength", 4)),
        ),
        call(
            "ctTagWriteEx",
            H,
            "BLEND_RATIO_SP",
            "0.25",
            Overlapped(),
            returned=1,
            outs=(("dwStatus", 0, "dwLength", 0),),
        ),
    ),
    case(
        "null_value_buffer",
        call("ctTagRead", H, "PRODUCT_CODE", None, 64, returned=0, error=INVALID_ARGUMENT),
        call("ctTagReadEx", H, "PRODUCT_CODE", None, 64, None, returned=0, error=INVALID_ARGUMENT),
    ),
    case(
        "scaling_range_check",
        call(
            "ctEngToRaw",
            DoubleOut(),
            150.0,
            Scale(0, 32000, 0, 100),
            CT_SCALE_RANGE_CHECK,
            returned=0,
            outs=(48000.0,),
            error=OUT_OF_RANGE,
        ),
        call(
            "ctEngToRaw",
            DoubleOut(),
            150.0,
            Scale(0, 32000, 0, 100),
            CT_SCALE_RANGE_CHECK | CT_SCALE_CLAMP_LIMIT,
            returned=0,
            error=INVALID_ARGUMENT,
        ),
        connected=False,
    ),
    case(
        "list_default_deadband",
        call("ctListNew", H, 0, save="l", returned=HANDLE),
        call("ctListAddEx", Ref("l"), "BLEND_RATIO_SP", 0, 500, -1.0, returned=HANDLE),
        call("ctListFree", Ref("l"), returned=1),
    ),
)
