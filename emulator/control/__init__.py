"""The control API of a running plant: HTTP (Starlette on uvicorn), metrics, event log.

Documented in docs/control.md.
"""
