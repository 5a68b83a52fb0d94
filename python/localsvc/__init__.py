"""Throwaway Postgres and Redis servers from the installed binaries (tests, demo, bench).

    pg = start_postgres(tmpdir)        # initdb into a temp dir, postgres on a free port
    pg.dsn                             # postgresql://postgres@127.0.0.1:PORT/postgres
    pg.kill9(); pg.restart()           # crash and recover on the same data dir and port
    pg.stop()                          # fast shutdown, directory removed
    rd = start_redis(tmpdir)           # redis-server --save "" --appendonly no, free port
    rd.url                             # redis://127.0.0.1:PORT/0

initdb and postgres refuse to run as root, and CI runs as root: then both run as the
`postgres` user (subprocess `user=`, no PAM, no shell), in a directory of their own under
the system temp dir (a pytest tmp_path under /tmp/pytest-of-root is not reachable by that
user). The Unix socket directory is inside the temp dir; clients use TCP on 127.0.0.1.

Postgres runs with fsync=off: a kill -9 of the server (what the chaos test does) loses no
committed transaction, because the WAL is in the OS page cache; only a machine crash would.
Each server runs in its own session (process group) so kill9() takes the postmaster and
every backend at once, like a crash of the whole service, and a restart never meets a
backend of the old one still holding shared memory.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresHandle", "RedisHandle", "free_port", "start_postgres", "start_redis"]


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / name).exists():
            return str(d / name)
    raise FileNotFoundError(f"{name} not found (PostgreSQL server binaries are not installed)")


def _as_root() -> bool:
    return os.geteuid() == 0


def _tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _killpg(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


@dataclass
class PostgresHandle:
    root: Path          # temp dir owned by the server's user: data/, sock/, log
    port: int
    uid: int | None = None      # run as this user (root: `postgres`), else as ourselves
    gid: int | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def dsn_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _spawn(self) -> None:
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [_pg_bin("postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-k", str(self.root / "sock"), "-c", "listen_addresses=127.0.0.1",
                 "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=50",
                 "-c", "shared_buffers=32MB", "-c", "log_min_messages=warning"],
                stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, user=self.uid, group=self.gid,
                extra_groups=[] if self.uid is not None else None,
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        isready = _pg_bin("pg_isready")
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited {self.proc.returncode}: {self.tail()}")
            if _tcp_open(self.port):
                r = subprocess.run(
                    [isready, "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                    check=False, timeout=5,
                )
                if r.returncode == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"postgres not ready after {timeout} s: {self.tail()}")

    def tail(self, n: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL the postmaster and every backend (the whole process group)."""
        if self.proc is None:
            return
        _killpg(self.proc, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def restart(self, timeout: float = 30.0) -> None:
        """Start again on the same data dir and port (crash recovery runs if needed)."""
        if self.running:
            return
        pid = self.data / "postmaster.pid"
        deadline = time.monotonic() + timeout
        # a killed group leaves postmaster.pid; postgres checks it itself, but the port must
        # be free before it binds again
        while _tcp_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(FileNotFoundError):
            if not self.running:
                pid.unlink()
        self._spawn()
        self.wait_ready(timeout)

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then remove the directory."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _killpg(self.proc, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(tmpdir: Path | None = None, *, port: int | None = None) -> PostgresHandle:
    """initdb into a fresh temp dir and start postgres on a free port; returns when ready.

    tmpdir is used when the server's user can reach it; as root a private directory under
    the system temp dir (owned by `postgres`) is used instead."""
    uid: int | None = None
    gid: int | None = None
    if _as_root():
        pw = pwd.getpwnam("postgres")
        uid, gid = pw.pw_uid, pw.pw_gid
        root = Path(tempfile.mkdtemp(prefix="localpg-"))
        os.chown(root, uid, gid)
    else:
        base = tmpdir if tmpdir is not None else Path(tempfile.gettempdir())
        root = Path(tempfile.mkdtemp(prefix="localpg-", dir=base))
    handle = PostgresHandle(root=root, port=port or free_port(), uid=uid, gid=gid)
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    init = subprocess.run(
        [_pg_bin("initdb"), "-D", str(handle.data), "--auth=trust", "--username=postgres",
         "--encoding=UTF8", "--no-sync", "--no-instructions"],
        capture_output=True, check=False, timeout=120, env=env, cwd=root,
        user=uid, group=gid, extra_groups=[] if uid is not None else None,
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stdout!r} {init.stderr!r}")
    sock = root / "sock"
    sock.mkdir()
    if uid is not None and gid is not None:
        os.chown(sock, uid, gid)
    handle._spawn()
    try:
        handle.wait_ready()
    except BaseException:
        handle.stop()
        raise
    return handle


@dataclass
class RedisHandle:
    root: Path
    port: int
    owns_root: bool
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.root / "redis.log"

    def _spawn(self) -> None:
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.root),
                 "--daemonize", "no", "--protected-mode", "yes"],
                stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited {self.proc.returncode}: "
                                   f"{self.log.read_text(errors='replace')[-1000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"redis-server not ready after {timeout} s")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        if self.proc is None:
            return
        _killpg(self.proc, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def restart(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        self._spawn()
        self.wait_ready(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _killpg(self.proc, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self.owns_root:
            shutil.rmtree(self.root, ignore_errors=True)


def start_redis(tmpdir: Path | None = None, *, port: int | None = None) -> RedisHandle:
    """redis-server on a free port, no persistence; returns when it answers PING."""
    root = Path(tempfile.mkdtemp(prefix="localredis-", dir=tmpdir))
    handle = RedisHandle(root=root, port=port or free_port(), owns_root=True)
    handle._spawn()
    try:
        handle.wait_ready()
    except BaseException:
        handle.stop()
        raise
    return handle
