"""`python -m conductor` is the same as the `conductor` console script."""

from conductor.cli import main

raise SystemExit(main())
