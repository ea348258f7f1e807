"""pymodbus's asyncio TCP server: the peer a user would pick today for a simulated device.

It serves 16 holding registers (unit id ignored: device id 0 answers every unit); the generator
reads one register with precomputed Modbus/TCP frames. Needs the `bench` extra.
Run: `python -m bench.modbus --port-file F [--cpu N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Sequence

from bench import loop, procs
from bench.echo import write_port_file

REGISTERS = 16
VALUE = 1234


async def serve(host: str, port: int, port_file: str | None) -> None:
    from pymodbus.server import ModbusTcpServer  # noqa: PLC0415 - bench extra only
    from pymodbus.simulator import DataType, SimData, SimDevice  # noqa: PLC0415

    device = SimDevice(
        id=0,
        simdata=[SimData(address=0, count=REGISTERS, values=VALUE, datatype=DataType.REGISTERS)],
    )
    server = ModbusTcpServer(device, address=(host, port))
    await server.serve_forever(background=True)
    listener = server.transport
    sockets = getattr(listener, "sockets", None)
    if not sockets:
        raise RuntimeError("pymodbus did not expose its listening socket")
    if port_file:
        write_port_file(port_file, sockets[0].getsockname()[1])
    await server.serving


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.modbus", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--cpu", type=int, help="pin the server to this CPU")
    args = parser.parse_args(argv)
    procs.pin(args.cpu)
    procs.raise_nofile(65536)
    logging.getLogger("pymodbus").setLevel(logging.ERROR)
    with contextlib.suppress(KeyboardInterrupt):
        loop.run(serve(args.host, args.port, args.port_file))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
