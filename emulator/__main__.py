"""`python -m emulator` is `scada-emu`."""

from emulator.cli import main

raise SystemExit(main())
