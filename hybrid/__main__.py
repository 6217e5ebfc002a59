"""Run the CLI as `python -m hybrid`."""

import sys

from hybrid import interrupts

interrupts.install()  # before the CLI's imports: a Ctrl-C during start-up is held like any other

from hybrid.cli import main  # noqa: E402

status = main()
# The command is over: a stop signal now would only kill Python's tear-down (exit -2 or -15 with
# the work complete); ignored, it is dropped as the process ends.
interrupts.block()
sys.exit(status)
