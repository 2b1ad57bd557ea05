"""Write the JSON Schema of every event type: ``python -m shared.events.schema [OUT_DIR]``.

``OUT_DIR`` defaults to ``schemas``. Each file ``<type>.schema.json`` describes the whole
CloudEvent with that type's ``data``, so a subscriber in any language can validate what it
receives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.cli import OperatorParser, fail
from shared.events.catalogue import EVENT_TYPE_DESCRIPTIONS, EVENT_TYPES, event_source
from shared.events.envelope import CloudEvent


def event_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of a CloudEvent of ``event_type``."""
    envelope = CloudEvent.model_json_schema()
    data_schema = EVENT_TYPES[event_type].model_json_schema(ref_template="#/$defs/{model}")
    defs = {**envelope.pop("$defs", {}), **data_schema.pop("$defs", {})}
    envelope["properties"]["type"] = {"const": event_type}
    envelope["properties"]["source"] = {"const": event_source(event_type)}
    envelope["properties"]["data"] = data_schema
    envelope["title"] = event_type
    envelope["description"] = EVENT_TYPE_DESCRIPTIONS[event_type]
    envelope["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    envelope["$id"] = f"urn:mpp:event:{event_type}"
    if defs:
        envelope["$defs"] = defs
    return envelope


def write_schemas(out_dir: Path) -> list[Path]:
    """Write one schema file per event type into ``out_dir``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type in EVENT_TYPES:
        path = out_dir / f"{event_type}.schema.json"
        path.write_text(json.dumps(event_schema(event_type), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = OperatorParser(
        prog="python -m shared.events.schema",
        description="Write <type>.schema.json, the JSON Schema of each event type's CloudEvent.",
    )
    parser.add_argument(
        "out_dir", nargs="?", default="schemas", type=Path, help="where to write (default: schemas)"
    )
    args = parser.parse_args(argv)
    if args.out_dir.exists() and not args.out_dir.is_dir():
        fail(f"{args.out_dir} exists and is not a directory", prog=parser.prog)
    try:
        written = write_schemas(args.out_dir)
    except OSError as exc:
        fail(f"cannot write into {args.out_dir}: {exc.strerror or exc}", prog=parser.prog)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
