"""Files generated from the catalogue and committed (suites, dbt sources): write them, or check
that the committed ones are current (`--check`, as the tests do)."""

from __future__ import annotations

from pathlib import Path


def write_or_check(files: dict[str, tuple[Path, str]], kind: str, check: bool) -> int:
    """`files`: label -> (path, text). Writes the stale ones unless `check`; prints a line and
    returns the exit code (1 when checking finds stale files)."""
    stale = []
    for label, (path, text) in files.items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(label)
        if not check:
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if check else "written"
    print(f"{len(stale)} {kind} file(s) {verb}" + (": " + ", ".join(stale) if stale else ""))
    return 1 if (check and stale) else 0
