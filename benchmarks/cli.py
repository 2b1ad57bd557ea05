"""How a benchmark runs from the command line: ``python -m benchmarks.<name> [--count N]``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


def run(
    main: Callable[..., Coroutine[Any, Any, Any]], description: str | None, **counts: int
) -> Any:
    """Run the benchmark's async ``main`` with its whole-number options read from the command
    line: each keyword of ``counts`` is an option (``--name N``) and its default."""
    parser = argparse.ArgumentParser(description=description)
    for name, default in counts.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    return asyncio.run(main(**vars(parser.parse_args())))
