"""Independent checks for the stack tests: what is still running, read from /proc rather
than from the runner's own bookkeeping."""

from __future__ import annotations

import os
from pathlib import Path


def processes_mentioning(*needles: str) -> list[str]:
    """`pid: cmdline` of every live process whose command line or working directory
    mentions one of `needles` (zombies and this process excluded)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            if (d / "stat").read_text().split(") ", 1)[1].startswith("Z"):
                continue
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            try:
                cwd = os.readlink(d / "cwd")
            except OSError:
                cwd = ""
        except (OSError, IndexError):
            continue
        if any(n in cmd or (cwd and cwd.startswith(n)) for n in needles):
            found.append(f"{d.name}: {cmd.strip()[:200]}")
    return found
