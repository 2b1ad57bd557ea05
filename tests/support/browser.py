"""Debian's Chromium for browser tests, driven by Playwright (never ``playwright install``)."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("MPP_CHROMIUM", "/usr/bin/chromium")
"""The browser binary: Debian's package, which scripts/_setup.sh installs when missing."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # this machine's closed network refuses its calls
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
