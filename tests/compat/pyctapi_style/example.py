"""An example in pyctapi's style (its examples/test_wrapper.py): connect to 127.0.0.1 with the
Windows install path, read a tag, run Cicode, overflow a buffer, print what came back."""

import sys

sys.path.append("../")

import ctwrap  # type: ignore[import-not-found, unused-ignore]

BIN = "C:/Program Files (x86)/Schneider Electric/CitectSCADA 7.50/Bin"
TAG = sys.argv[1] if len(sys.argv) > 1 else "PUMP1_SPEED"

w = ctwrap.Wrapper(BIN)
connection = w.open("127.0.0.1", "engineer", "control", 0)
print("connected" if connection != 0 else f"failed to connect {w.error()}")

value = ctwrap.buffer(16)
if w.tag_read(connection, TAG, value) == ctwrap.CT_SUCCESS:
    print("read", value.value.decode())
else:
    err = w.error()
    print(
        "read error", err - ctwrap.ERROR_USER_DEFINED_BASE if ctwrap.is_citect_error(err) else err
    )

value = ctwrap.buffer(32)
if w.cicode(connection, "Version(3)", value) == ctwrap.CT_SUCCESS:
    print("version", value.value.decode())

small = ctwrap.buffer(3)
if not w.cicode(connection, "Version(3)", small):
    print("overflow", w.error())

alarms = w.search(connection, "Alarm")
print("alarms", len(alarms), "with", ", ".join(list(alarms[0])[:3]) if alarms else "no fields")

w.close(connection)
