"""The exit codes of every command (docs/cli.md), in a module of their own so that code which runs before
click loads (`reviewflow.launch`, `commands.validating`) can name them."""

EXIT_OK = 0
EXIT_PROBLEM = 1  # a user-level problem: invalid definition, refused event, unknown case, failed scenario
EXIT_USAGE = 2  # click's usage errors
EXIT_BUG = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a program stopped by Ctrl-C
EXIT_CLOSED_PIPE = 1  # as Python's own recipe for SIGPIPE (docs: library/signal, "Note on SIGPIPE")
