"""One module per `conductor` sub-command: `register(subparsers)` and `run(args) -> int`."""
