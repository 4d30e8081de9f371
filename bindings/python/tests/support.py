"""Test support: the real cairn-collector on loopback and a client made for it."""

from __future__ import annotations

import ctypes
import os
import selectors
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

import cairn

WRITE_KEY = "python-test-write-key"
POLICY = "2026-11"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
# Generous: the same tests run in sanitizer builds, where the SDK is slow.
FLUSH_TIMEOUT = 20.0
LISTENING = "cairn-collector listening on "


def _die_with_parent() -> None:
    """In the child: the kernel kills it if the test process dies without a tearDown."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Collector:
    """cairn-collector on 127.0.0.1, on a port the kernel picks (--listen=...:0).

    Its log (stderr) goes to the test's stderr; stop() ends it (SIGTERM,
    SIGKILL after STOP_TIMEOUT).
    """

    def __init__(self, db_path: str, write_key: str = WRITE_KEY) -> None:
        binary = os.environ.get("CAIRN_COLLECTOR")
        if not binary:
            raise unittest.SkipTest("CAIRN_COLLECTOR is not set")
        self.db_path = db_path
        self._process = subprocess.Popen(
            # Every attribute kept at the collector: what is stored is what the SDK let through.
            [binary, "--listen=127.0.0.1:0", f"--db={db_path}", f"--write-key={write_key}", "--attribute_allowlist=*"],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            # A sanitizer runtime preloaded for this interpreter (see
            # bindings/CMakeLists.txt) would clash with the one a sanitized
            # collector binary carries.
            env={name: value for name, value in os.environ.items() if name != "LD_PRELOAD"},
            preexec_fn=_die_with_parent,
        )
        try:
            self.port = self._read_port()
        except BaseException:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{self.port}"

    def _read_port(self) -> int:
        """The port of the first stdout line, "cairn-collector listening on HOST:PORT"."""
        deadline = time.monotonic() + START_TIMEOUT
        data = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            while b"\n" not in data:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("cairn-collector did not start in time")
                if not selector.select(left):
                    continue
                chunk = os.read(self._process.stdout.fileno(), 256)
                if not chunk:
                    raise RuntimeError("cairn-collector exited before listening")
                data += chunk
        line = data.split(b"\n", 1)[0].decode()
        if not line.startswith(LISTENING):
            raise RuntimeError(f"unexpected first line: {line}")
        return int(line.rsplit(":", 1)[1])

    def stop(self) -> int:
        """Ends the process and returns its exit status."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process.stdout.close()
        return self._process.returncode

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """The rows of `sql` on the collector's SQLite file, opened read-only."""
        connection = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()


class CollectorTestCase(unittest.TestCase):
    """Each test gets its own collector, temporary directory and clean-up."""

    def setUp(self) -> None:
        temp = tempfile.TemporaryDirectory(prefix="cairn-py-")
        self.addCleanup(temp.cleanup)
        self.dir = temp.name
        self.collector = Collector(os.path.join(self.dir, "collector.db"))
        self.addCleanup(self.collector.stop)

    def storage(self, name: str = "device") -> str:
        return os.path.join(self.dir, name)

    def make_client(self, storage: str | None = None, **options) -> cairn.Client:
        """A client of this test's collector, closed at the end of the test."""
        options.setdefault("write_key", WRITE_KEY)
        options.setdefault("collector_url", self.collector.url)
        client = cairn.Client(storage_dir=storage or self.storage(), app=("python-tests", "1.0"), **options)
        self.addCleanup(client.close)
        return client

    def stored_kinds(self, user_id: str) -> list[str]:
        """Kinds of the user's events at the collector, consent changes left out, in order."""
        rows = self.collector.query(
            "SELECT kind FROM events WHERE user_id = ? AND kind != 'consent_change' ORDER BY sequence",
            (user_id,),
        )
        return [kind for (kind,) in rows]


def grant_all(client: cairn.Client, account: str, user: str) -> None:
    """The user grants usage analytics and milestones (what a login and milestones need)."""
    for purpose in (cairn.Purpose.USAGE_ANALYTICS, cairn.Purpose.MILESTONES):
        client.set_consent(account, user, purpose, policy_version=POLICY, source_surface="onboarding")
