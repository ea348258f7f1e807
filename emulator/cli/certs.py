"""`scada-emu certs`: where the emulator CA is, so a client can trust it (made when missing).

Documented in docs/running.md ("Certificates").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from emulator.runtime.state import default_state_dir


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "certs",
        help="print where the emulator CA certificate is (create it if missing)",
        description="Print the path of the emulator CA certificate that signs the TLS "
        "certificates of the CtAPI encrypted port (3073); create the CA if it is missing.",
    )
    parser.add_argument(
        "--state-dir", type=Path, help=f"the state directory (default: {default_state_dir()})"
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from emulator.logs import configure
    from emulator.runtime.certs import CertificateAuthority, CertificateError

    configure()
    state_dir: Path = args.state_dir or default_state_dir()
    try:
        ca = CertificateAuthority(state_dir).ensure()
    except CertificateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(ca.certificate_path)
    return 0
