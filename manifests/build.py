"""Write (or check) the generated app files: `python -m manifests.build [--check]`.

Output is deterministic: JSON with sorted keys, 2-space indent and a trailing newline; text files
as generated. `--check` exits 1 and lists the differences when the files on disk are not what
the code generates.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
GENERATED_NOTE = (
    "# Generated: do not edit\n\n"
    "Everything in this folder is written by `backbone manifests build` from the trigger and action\n"
    "catalogs (`triggers/`, `actions/`). Change the catalogs, then run the build; CI fails when these\n"
    "files differ from what the code generates.\n"
)


def dump_json(value: Any) -> str:
    """The one JSON rendering of every generated file.

    Args:
        value: A JSON-serializable value.

    Returns:
        Sorted keys, 2-space indent, trailing newline.
    """
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """Every generated file, by path relative to `manifests/`.

    Returns:
        File contents by relative path.
    """
    from manifests import make, zapier

    files: dict[str, str] = {}
    for platform, module in (("zapier", zapier), ("make", make)):
        files[f"{platform}/README.md"] = GENERATED_NOTE
        for path, content in module.files().items():
            files[f"{platform}/{path}"] = content if isinstance(content, str) else dump_json(content)
    return files


def _on_disk(platform: str) -> set[str]:
    base = ROOT / platform
    if not base.exists():
        return set()
    return {
        str(p.relative_to(ROOT))
        for p in base.rglob("*")
        if p.is_file() and "node_modules" not in p.parts and p.name != "package-lock.json"
    }


def differences(files: dict[str, str]) -> list[str]:
    """Paths whose content on disk differs from `files`, and stale files no longer generated.

    Args:
        files: What the code generates.

    Returns:
        Human-readable lines, empty when everything matches.
    """
    problems = []
    for path, content in sorted(files.items()):
        target = ROOT / path
        if not target.exists():
            problems.append(f"missing: manifests/{path}")
        elif target.read_text() != content:
            problems.append(f"differs: manifests/{path}")
    stale = (_on_disk("zapier") | _on_disk("make")) - set(files)
    problems.extend(f"not generated (stale): manifests/{path}" for path in sorted(stale))
    return problems


def write(files: dict[str, str]) -> list[str]:
    """Writes the files and removes stale ones; returns the paths that changed.

    Args:
        files: What the code generates.

    Returns:
        The relative paths written or removed.
    """
    changed = []
    for path, content in sorted(files.items()):
        target = ROOT / path
        if target.exists() and target.read_text() == content:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        changed.append(path)
    for path in sorted((_on_disk("zapier") | _on_disk("make")) - set(files)):
        (ROOT / path).unlink()
        changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command line entry point.

    Args:
        argv: Arguments (default: sys.argv).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="backbone manifests build", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the files on disk are out of date")
    args = parser.parse_args(argv)
    files = generate()
    if args.check:
        problems = differences(files)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("Run `backbone manifests build` and commit the result.", file=sys.stderr)
        return 1 if problems else 0
    for path in write(files):
        print(f"wrote manifests/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
