"""What every operator tool (``python -m shared....``) shares: one-line errors, exit codes.

``argparse`` answers a mistake with its usage block and an error line; an operator reading a
log or a CI output wants the one line that says what is wrong, and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

USAGE_ERROR = 2
FAILURE = 1


class OperatorParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see {self.prog} --help)", status=USAGE_ERROR, prog=self.prog)


def fail(message: str, *, status: int = FAILURE, prog: str | None = None) -> NoReturn:
    """Print ``prog: error: message`` on stderr and exit with ``status``."""
    prefix = f"{prog}: " if prog else ""
    print(f"{prefix}error: {message}", file=sys.stderr)
    raise SystemExit(status)
