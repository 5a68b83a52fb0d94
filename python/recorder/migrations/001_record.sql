-- 001_record: the record's tables. Money and quantities NUMERIC (exact), times timestamptz,
-- every row names its venue and instrument. Primary keys are the idempotency keys of
-- python/recorder/records.py: writing the same row twice changes nothing.

CREATE TABLE orders (
    venue            text        NOT NULL,
    instrument       text        NOT NULL,
    order_key        text        NOT NULL,   -- trader's reservation id, or the venue order id
    side             text        NOT NULL CHECK (side IN ('buy', 'sell')),
    price            numeric     NOT NULL,
    quantity         numeric     NOT NULL CHECK (quantity > 0),
    client_order_id  text        NOT NULL,
    venue_order_id   text        NOT NULL DEFAULT '',
    source           text        NOT NULL,
    tif              text        NOT NULL,
    post_only        boolean     NOT NULL,
    created_at       timestamptz NOT NULL,
    status           text        NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'filled', 'cancel', 'expire', 'reject')),
    filled_qty       numeric     NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (venue, order_key)
);
CREATE INDEX orders_open ON orders (venue, instrument) WHERE status = 'open';

CREATE TABLE order_events (
    venue            text        NOT NULL,
    instrument       text        NOT NULL,
    order_key        text        NOT NULL,
    seq              bigint      NOT NULL,   -- journal seq, or a per-source counter
    kind             text        NOT NULL
                     CHECK (kind IN ('accept', 'ack', 'reject', 'fill', 'cancel', 'expire')),
    at               timestamptz NOT NULL,
    venue_order_id   text        NOT NULL DEFAULT '',
    reason           text        NOT NULL DEFAULT '',
    quantity         numeric     NOT NULL DEFAULT 0,  -- fill: the quantity booked by this event
    PRIMARY KEY (venue, order_key, seq)
);

CREATE TABLE fills (
    venue            text        NOT NULL,
    instrument       text        NOT NULL,
    trade_id         text        NOT NULL,
    order_key        text        NOT NULL,
    side             text        NOT NULL CHECK (side IN ('buy', 'sell')),
    price            numeric     NOT NULL,
    quantity         numeric     NOT NULL CHECK (quantity > 0),
    fee              numeric     NOT NULL,   -- quote currency; negative = rebate
    fee_ccy          text        NOT NULL,
    liquidity        text        NOT NULL CHECK (liquidity IN ('maker', 'taker', 'unknown')),
    at               timestamptz NOT NULL,
    venue_order_id   text        NOT NULL DEFAULT '',
    usd_rate         numeric     NOT NULL,
    PRIMARY KEY (venue, trade_id)            -- a venue's trade is booked once
);
CREATE INDEX fills_instrument_at ON fills (venue, instrument, at);

CREATE TABLE positions (
    venue            text        NOT NULL,
    instrument       text        NOT NULL,
    quantity         numeric     NOT NULL,   -- signed: negative = short
    avg_price        numeric     NOT NULL,   -- average cost of the open quantity
    realized_pnl_usd numeric     NOT NULL,
    at               timestamptz NOT NULL,
    PRIMARY KEY (venue, instrument)
);

CREATE TABLE book_snapshots (
    source           text        NOT NULL,
    seq              bigint      NOT NULL,
    venue            text        NOT NULL,
    instrument       text        NOT NULL,
    at               timestamptz NOT NULL,
    bid_prices       numeric[]   NOT NULL,
    bid_sizes        numeric[]   NOT NULL,
    ask_prices       numeric[]   NOT NULL,
    ask_sizes        numeric[]   NOT NULL,
    PRIMARY KEY (source, seq)
);
CREATE INDEX book_snapshots_instrument_at ON book_snapshots (venue, instrument, at);

CREATE TABLE pnl_snapshots (
    source           text        NOT NULL,
    seq              bigint      NOT NULL,
    venue            text        NOT NULL,   -- '' = all venues
    instrument       text        NOT NULL DEFAULT '',  -- '' = all instruments
    realized_usd     numeric     NOT NULL,
    unrealized_usd   numeric     NOT NULL,
    fees_usd         numeric     NOT NULL,
    exposure_usd     numeric     NOT NULL,
    at               timestamptz NOT NULL,
    PRIMARY KEY (source, seq)
);

CREATE TABLE risk_events (
    source           text        NOT NULL,
    seq              bigint      NOT NULL,
    scope            text        NOT NULL,   -- global / venue / market
    scope_name       text        NOT NULL,
    state            text        NOT NULL,   -- ACTIVE / REDUCING / HALTED, or a breach name
    reason           text        NOT NULL,
    text             text        NOT NULL,
    at               timestamptz NOT NULL,
    venue            text        NOT NULL DEFAULT '',
    instrument       text        NOT NULL DEFAULT '',
    PRIMARY KEY (source, seq)
);

CREATE TABLE rebates (
    venue            text        NOT NULL,
    instrument       text        NOT NULL,
    source           text        NOT NULL,
    seq              bigint      NOT NULL,
    amount           numeric     NOT NULL,   -- positive = received
    ccy              text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('rebate', 'fee')),
    at               timestamptz NOT NULL,
    PRIMARY KEY (source, seq)
);

CREATE TABLE alerts (
    source           text        NOT NULL,
    seq              bigint      NOT NULL,
    kind             text        NOT NULL,
    severity         text        NOT NULL,
    text             text        NOT NULL,
    at               timestamptz NOT NULL,
    venue            text        NOT NULL DEFAULT '',
    instrument       text        NOT NULL DEFAULT '',
    PRIMARY KEY (source, seq)
);

-- How far the recorder has applied a journal: written in the same transaction as the rows
-- of those records, so a crash anywhere replays from here and writes nothing twice.
CREATE TABLE recorder_progress (
    source           text        PRIMARY KEY,   -- which trader journal
    last_seq         bigint      NOT NULL,
    updated_at       timestamptz NOT NULL
);
