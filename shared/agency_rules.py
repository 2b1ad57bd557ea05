"""What makes an agency's code, kind or service code valid, written once.

The agency service enforces these, the event catalogue and the API models declare them, and
mppctl tells a code from an id with them. Standard library only, so the CLI imports it cheaply.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

AgencyKind = Literal["ministry", "agency", "soe", "public_body", "local_government"]
AGENCY_KINDS: Final[tuple[AgencyKind, ...]] = get_args(AgencyKind)
LOCAL_GOVERNMENT: Final[AgencyKind] = "local_government"
"""The one kind that may run counters without an MoU in force."""

AGENCY_CODE_PATTERN: Final = r"^[A-Z][A-Z0-9_]{1,31}$"
"""Upper case letters, digits or _, 2-32 long, starting with a letter: ``KEMENPANRB``."""
SERVICE_CODE_PATTERN: Final = r"^[A-Z0-9][A-Z0-9_\-]{0,39}$"
"""A service (layanan) code: upper case letters, digits, _ or -, 1-40 long: ``PASPOR``."""
