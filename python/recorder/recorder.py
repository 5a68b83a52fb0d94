"""The recorder: follows trader's journal over IPC and writes it to Postgres, idempotently.

Loop: open the store (migrations), read `recorder_progress.last_seq` for this journal, connect
to trader and `follow` from last_seq + 1; for each batch of records, write their rows AND the
new last_seq in one transaction. A kill -9 anywhere therefore either committed a batch with its
position or did not, and the next start replays from the committed position: no record is
written twice (the rows' keys make even a replayed batch a no-op) and none is skipped (seqs
must be consecutive, or the stream is dropped and resumed).

Failure handling:
- Postgres down or failing: drop the stream and the pool, back off (0.1 s doubling to 2 s),
  retry. Nothing is lost: the journal holds every record; trader only keeps a file position
  for us.
- trader gone (restart, crash): reconnect with the same back-off and resume from the
  committed position.
- a record this recorder cannot read: an `alerts` row (kind bad_journal_record) in the same
  transaction, and the stream moves on: never a silent skip, never a stall.
- Redis (live event stream) down: the record goes on, the stream has a gap, a warning is
  logged and an alerts row is written once per outage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from control.events import DEFAULT_STREAM, StreamWriter
from recorder.follower import Follow, FollowGone
from recorder.journal_rows import BadRecord, JournalRows
from recorder.records import AlertRecord
from recorder.store import Batch, Bulk, Store, write_bulk
from trader import protocol as p

log = logging.getLogger(__name__)

_PG_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)
_DATA_ERRORS = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)


@dataclass
class RecorderStats:
    applied_seq: int = 0            # last journal seq committed to Postgres
    records: int = 0
    batches: int = 0
    pg_failures: int = 0
    trader_disconnects: int = 0
    connected: bool = False
    started: float = field(default_factory=time.monotonic)


class Backoff:
    def __init__(self, first: float = 0.1, cap: float = 2.0) -> None:
        self.first, self.cap, self.delay = first, cap, first

    async def wait(self) -> None:
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.cap)

    def reset(self) -> None:
        self.delay = self.first


class Recorder:
    def __init__(self, socket_path: str, dsn: str, *, source: str = "trader",
                 redis_url: str | None = None, stream: str = DEFAULT_STREAM,
                 batch_max: int = 2000) -> None:
        self.socket_path = socket_path
        self.dsn = dsn
        self.source = source
        self.batch_max = batch_max
        self.rows = JournalRows(source)
        self.stats = RecorderStats()
        self.stream = StreamWriter(redis_url, stream) if redis_url else None
        self._stream_alerted = False
        self.caught_up = asyncio.Event()   # set whenever a batch ends at trader's jseq

    async def run(self) -> None:
        """Record until cancelled."""
        store: Store | None = None
        backoff = Backoff()
        try:
            while True:
                if store is None:
                    try:
                        store = await Store.open(self.dsn)
                        log.info("recorder: postgres connected")
                    except _PG_ERRORS as e:
                        log.warning("recorder: postgres unavailable (%s); retrying", e)
                        self.stats.pg_failures += 1
                        await backoff.wait()
                        continue
                try:
                    await self._follow(store, backoff)
                except _PG_ERRORS as e:
                    log.warning("recorder: postgres failed (%s); reconnecting", e)
                    self.stats.pg_failures += 1
                    store.terminate()
                    store = None
                    await backoff.wait()
                except (OSError, FollowGone) as e:
                    log.info("recorder: trader connection ended (%s); reconnecting", e)
                    self.stats.trader_disconnects += 1
                    await backoff.wait()
                except Exception:
                    # anything else (a library raising an error type we did not foresee)
                    # must not end the recorder: start over from the committed position
                    log.exception("recorder: unexpected error; starting over")
                    self.stats.pg_failures += 1
                    store.terminate()
                    store = None
                    await backoff.wait()
        finally:
            self.stats.connected = False
            if store is not None:
                store.terminate()
            if self.stream is not None:
                await self.stream.close()

    async def _follow(self, store: Store, backoff: Backoff) -> None:
        last = await store.progress(self.source)
        self.stats.applied_seq = last
        follow = await Follow.open(self.socket_path, last + 1)
        async with follow:
            if follow.jseq < last:
                # the journal is behind what we recorded: a different or rebuilt journal;
                # recording it under the same name would mix two histories
                log.error("recorder: trader journal at seq %d but %s is recorded up to %d; "
                          "refusing to follow (use another --source)", follow.jseq,
                          self.source, last)
                raise FollowGone("journal behind the record")
            await follow.start()
            self.stats.connected = True
            backoff.reset()
            if follow.jseq <= last:
                self.caught_up.set()
            try:
                while True:
                    batch = await follow.next_batch(self.batch_max)
                    await self._commit(store, batch)
                    if batch[-1].seq >= follow.jseq:
                        self.caught_up.set()
            finally:
                self.stats.connected = False

    async def _commit(self, store: Store, batch: list[p.Jrec]) -> None:
        try:
            async with store.batch() as b:
                events = await self._apply_all(b, batch)
                await self._stream(b, batch[-1].seq, events)
                await b.set_progress(self.source, batch[-1].seq)
            # committed: rows and position together
        except _DATA_ERRORS as e:
            # one record the database refuses must not block the rest: redo the batch one
            # record per transaction and turn the refused ones into alerts
            log.error("recorder: batch refused by postgres (%s); retrying record by record", e)
            for jr in batch:
                await self._commit_one(store, jr)
        self.stats.applied_seq = batch[-1].seq
        self.stats.records += len(batch)
        self.stats.batches += 1

    async def _commit_one(self, store: Store, jr: p.Jrec) -> None:
        try:
            async with store.batch() as b:
                events = await self._apply_all(b, [jr])
                await self._stream(b, jr.seq, events)
                await b.set_progress(self.source, jr.seq)
        except _DATA_ERRORS as e:
            async with store.batch() as b:
                await self._alert(b, jr.seq, "bad_journal_record",
                                  f"record {jr.seq} (type {jr.type}) refused by postgres: {e}")
                await b.set_progress(self.source, jr.seq)

    async def _apply_all(self, b: Batch, batch: list[p.Jrec]
                         ) -> list[tuple[int, int, dict[str, str]]]:
        """Rows of the whole batch, written with one statement per table."""
        events: list[tuple[int, int, dict[str, str]]] = []
        bulk = Bulk()
        for jr in batch:
            try:
                out = self.rows.apply(bulk, jr.seq, jr.type, jr.rec)
            except BadRecord as e:
                log.error("recorder: journal record %d unreadable: %s", jr.seq, e)
                bulk.alerts.append(self._alert_row(jr.seq, "bad_journal_record",
                                                   f"record {jr.seq}: {e}"))
                continue
            ts = jr.rec.get("ts")
            head = {"seq": str(jr.seq), "ts": str(ts) if type(ts) is int else ""}
            events.extend((jr.seq, n, head | ev) for n, ev in enumerate(out))
            if bulk.resolves:
                # a resolve settles the positions the records before it made, and not the
                # fills after it: write up to here (same transaction) and go on
                await write_bulk(b.conn, bulk)
                bulk = Bulk()
        await write_bulk(b.conn, bulk)
        return events

    def _alert_row(self, seq: int, kind: str, text: str) -> AlertRecord:
        return AlertRecord(source=f"recorder:{self.source}", seq=seq, kind=kind,
                           severity="error", text=text, at=datetime.now(UTC))

    async def _alert(self, b: Batch, seq: int, kind: str, text: str) -> None:
        await b.record_alert(self._alert_row(seq, kind, text))

    async def _stream(self, b: Batch, seq: int,
                      events: list[tuple[int, int, dict[str, str]]]) -> None:
        """Live events go to Redis before the commit (see control.events for why)."""
        if self.stream is None:
            return
        ok = await self.stream.append(events)
        if ok:
            self._stream_alerted = False
        elif not self._stream_alerted:
            self._stream_alerted = True
            log.warning("recorder: redis down, live event stream paused (record unaffected)")
            await b.record_alert(AlertRecord(
                source=f"recorder:{self.source}:redis", seq=seq, kind="redis_down",
                severity="warning", at=datetime.now(UTC),
                text="live event stream paused: redis unreachable (the record is unaffected)"))
