"""The Python client of the emulator's CtAPI ports (docs/client.md)."""
