"""`python -m bench [--quick]` runs every measure and writes the results."""

from bench.run import main

raise SystemExit(main())
