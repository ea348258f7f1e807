"""`python -m emulator` is `scada-emu`."""

import signal

# Ctrl-C while the interpreter imports the CLI ends it quietly, as any Unix tool (no
# traceback); emulator.cli.main keeps it so until a command sets up its own handling.
signal.signal(signal.SIGINT, signal.SIG_DFL)

from emulator.cli import main  # noqa: E402

raise SystemExit(main())
