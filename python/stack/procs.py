"""One child process of the stack: its own session (process group), its output in a log file
in the state dir, a stop that escalates to SIGKILL of the whole group after a timeout.

Every child gets a session of its own so that a Ctrl-C at the terminal reaches only the
runner (which then stops the children in order), and so that "is anything of it left?" is
one `killpg(pgid, 0)`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class StackError(RuntimeError):
    """A part of the stack did not start, did not become healthy or did not stop."""


@dataclass
class Proc:
    name: str
    argv: list[str]
    log: Path                          # stderr (and stdout unless stdout_file is set)
    cwd: Path
    env: dict[str, str] | None = None
    stdout_file: Path | None = None    # simulators: their one ready line goes here
    popen: subprocess.Popen[bytes] | None = None
    stop_how: str = ""                 # how it ended: "exit 0", "SIGKILL after 15 s", ...
    history: list[str] = field(default_factory=list)

    def start(self) -> None:
        with contextlib.ExitStack() as files:
            err = files.enter_context(self.log.open("ab"))
            out = files.enter_context(self.stdout_file.open("ab")) if self.stdout_file else err
            self.popen = subprocess.Popen(
                self.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=self.cwd,
                env=self.env, start_new_session=True)
        self.history.append(f"started pid {self.popen.pid}")

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise StackError(f"{self.name}: not started")
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def group_alive(self) -> bool:
        """Whether any process of this child's group is still there (the child or anything
        it started)."""
        if self.popen is None:
            return False
        try:
            os.killpg(self.popen.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def check_running(self) -> None:
        if self.popen is not None and self.popen.poll() is not None:
            raise StackError(f"{self.name} exited with {self.popen.returncode}; "
                             f"log {self.log}:\n{self.tail()}")

    def wait_exit(self, timeout: float) -> bool:
        if self.popen is None:
            return True
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> str:
        """Signal the child, wait for it, SIGKILL its group after `timeout`; then SIGKILL
        whatever of its group is left. Returns (and keeps) how it ended."""
        if self.popen is None:
            self.stop_how = "never started"
            return self.stop_how
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(sig)
            if self.wait_exit(timeout):
                self.stop_how = f"exit {self.popen.returncode} after {signal.Signals(sig).name}"
            else:
                self._killpg()
                self.popen.wait()
                self.stop_how = f"SIGKILL after {signal.Signals(sig).name} + {timeout:g} s"
        elif not self.stop_how:
            self.stop_how = f"exit {self.popen.returncode}"
        if self.group_alive():
            self._killpg()
            self.stop_how += " (+ SIGKILL of left-over group members)"
        self.history.append(self.stop_how)
        return self.stop_how

    def _killpg(self) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)


def wait_for(what: str, pred: Any, timeout: float, *, procs: list[Proc] | None = None,
             interval: float = 0.05) -> Any:
    """Poll `pred()` until it returns something truthy; fail early when one of `procs` dies."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while True:
        for p in procs or []:
            p.check_running()
        try:
            value = pred()
        except (OSError, ValueError, StackError) as exc:
            value, last_exc = None, exc
        if value:
            return value
        if time.monotonic() >= deadline:
            why = f" (last error: {last_exc})" if last_exc is not None else ""
            raise StackError(f"{what}: not within {timeout:g} s{why}")
        time.sleep(interval)


def ready_line(path: Path) -> dict[str, Any] | None:
    """The simulator's one JSON ready line, once it is complete in its stdout file."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return None
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            return None
        with contextlib.suppress(json.JSONDecodeError):
            doc = json.loads(line)
            if isinstance(doc, dict) and doc.get("ready") is True:
                return doc
    return None


def _interrupt(_sig: int, _frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """SIGTERM and SIGINT end the program through its `finally`s, so the stack of the
    current run is stopped (a background job starts with SIGINT ignored: set it again)."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
