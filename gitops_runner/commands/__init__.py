"""One module per user command, each `run(session, ...) -> int` (the exit status)."""
