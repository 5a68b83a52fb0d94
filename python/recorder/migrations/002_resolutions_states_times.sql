-- 002: market resolutions in the positions, a state change's effective state, venue time.

-- Instruments as trader's journal registered them (INSTRUMENT records, written by the
-- recorder). A RESOLVE record names one outcome token; settling its market needs the other
-- outcome of the same market key, also after a recorder restart in the middle of the journal.
CREATE TABLE instruments (
    venue            text        NOT NULL,
    instrument       text        NOT NULL,
    market           text        NOT NULL,   -- trader's market key (the symbol for non-binary)
    kind             integer     NOT NULL,   -- c/core/instrument.h enum instrument_kind (3 = binary)
    quote_ccy        text        NOT NULL,
    usd_rate         numeric     NOT NULL,   -- the latest the journal gave
    at               timestamptz NOT NULL,
    PRIMARY KEY (venue, instrument)
);
CREATE INDEX instruments_market ON instruments (venue, market);

-- One row per resolved outcome token, whoever writes it first (the recorder from trader's
-- RESOLVE record, or the gateway from the venue's market_resolved): same key, so the second
-- write is a no-op and each resolution is in the record once.
CREATE TABLE resolutions (
    venue            text        NOT NULL,
    instrument       text        NOT NULL,
    won              boolean     NOT NULL,
    at               timestamptz NOT NULL,
    source           text        NOT NULL,   -- the writer that got there first
    seq              bigint      NOT NULL,
    PRIMARY KEY (venue, instrument)
);

-- Markets whose positions the recorder settled (winner at 1, the other outcome at 0), once
-- per market like the engine's `resolved` flag (c/risk/risk_book.c risk_resolve_market): a
-- second RESOLVE of the same market (trader journals one per resolve call) moves nothing.
CREATE TABLE settlements (
    venue            text        NOT NULL,
    market           text        NOT NULL,
    winner           text        NOT NULL,   -- the winning instrument; '' = none
    source           text        NOT NULL,
    seq              bigint      NOT NULL,   -- the journal record that settled it
    at               timestamptz NOT NULL,
    PRIMARY KEY (venue, market)
);

-- A STATE record changes one reason's hold; the scope's state is the strictest of all its
-- holds (c/risk/risk_state.c). `state` is the scope's state after the change when the
-- record says it (trader writes "eff" since this migration), `hold_state` the hold's own.
ALTER TABLE risk_events ADD COLUMN hold_state text NOT NULL DEFAULT '';

-- Rows carry wall-clock times (`at`, `created_at`); a writer running on a fast-forwarded
-- venue clock (the gateway on a simulator with timing.speed) also gives the venue's time
-- here. NULL = the same as the wall-clock time.
ALTER TABLE orders ADD COLUMN venue_at timestamptz;
ALTER TABLE order_events ADD COLUMN venue_at timestamptz;
ALTER TABLE fills ADD COLUMN venue_at timestamptz;
ALTER TABLE book_snapshots ADD COLUMN venue_at timestamptz;
ALTER TABLE rebates ADD COLUMN venue_at timestamptz;
ALTER TABLE alerts ADD COLUMN venue_at timestamptz;
