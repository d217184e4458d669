-- events: every accepted event, exactly once (one row per messageId).
--
-- Why it exists: the single source every metric and materialized view reads.
-- The aggregator guarantees one row per message_id (it drops ids already
-- present before inserting), so count() here is a count of distinct events.
--
-- Partitioning: by month of event_time (UTC), so late events land in their
-- own month and old months can be dropped or moved as a unit.
-- Sort key: (event, event_time, message_id). Nearly every metric filters on
-- the event name and a time range first; message_id last makes the key
-- unique. The bloom filter on message_id serves the aggregator's
-- "already stored?" lookup, which cannot use the sort key because a retried
-- delivery may carry a different skew-corrected time.
--
-- Typed columns hold what metrics group or sum by; everything the client sent
-- is kept as JSON text in properties / traits / context.
CREATE TABLE IF NOT EXISTS events
(
    message_id        String,
    type              LowCardinality(String),
    event             LowCardinality(String),
    event_time        DateTime64(3, 'UTC'),
    received_at       DateTime64(3, 'UTC'),
    sent_at           Nullable(DateTime64(3, 'UTC')),
    original_timestamp Nullable(DateTime64(3, 'UTC')),
    anonymous_id      String,
    user_id           String,
    key_trust         LowCardinality(String),

    -- page and campaign
    page_url          String,
    page_path         String,
    page_title        String,
    page_referrer     String,
    referrer_host     LowCardinality(String),
    utm_source        LowCardinality(String),
    utm_medium        LowCardinality(String),
    utm_campaign      LowCardinality(String),
    utm_term          String,
    utm_content       String,
    channel           LowCardinality(String),

    -- client
    user_agent        String,
    browser           LowCardinality(String),
    os                LowCardinality(String),
    device            LowCardinality(String),
    is_bot            UInt8,
    country           LowCardinality(String),
    region            LowCardinality(String),
    ip_hash           String,
    locale            LowCardinality(String),
    timezone          LowCardinality(String),
    screen_width      UInt16,
    screen_height     UInt16,

    -- courses and lessons
    course_id         LowCardinality(String),
    lesson_id         String,
    lesson_index      UInt16,
    lesson_count      UInt16,
    percent           Nullable(Float32),
    duration_s        Nullable(Float64),

    -- commerce (money in Decimal: no float error)
    order_id          String,
    revenue           Nullable(Decimal(18, 4)),
    subtotal          Nullable(Decimal(18, 4)),
    discount          Nullable(Decimal(18, 4)),
    amount            Nullable(Decimal(18, 4)),
    coupon            LowCardinality(String),
    coupon_kind       LowCardinality(String),
    currency          LowCardinality(String),
    product_course_ids  Array(String),
    product_package_ids Array(String),
    product_prices      Array(Decimal(18, 4)),
    product_ce_hours    Array(Float64),

    -- people
    profession        LowCardinality(String),
    license_state     LowCardinality(String),
    is_employee       Nullable(UInt8),

    -- feedback, search, features, support, auth
    score             Nullable(Float64),
    stars             Nullable(UInt8),
    query             String,
    results_count     Nullable(UInt32),
    feature           LowCardinality(String),
    url               String,
    method            LowCardinality(String),
    reason            String,
    ticket_id         String,
    category          LowCardinality(String),
    support_channel   LowCardinality(String),

    -- operations
    target            LowCardinality(String),
    ok                Nullable(UInt8),
    status_code       Nullable(UInt16),
    latency_ms        Nullable(Float64),
    error             String,
    load_ms           Nullable(Float64),
    lcp_ms            Nullable(Float64),
    fcp_ms            Nullable(Float64),
    ttfb_ms           Nullable(Float64),
    inp_ms            Nullable(Float64),
    cls               Nullable(Float64),
    error_message     String,
    expense_date      Nullable(Date),

    -- everything as sent (minus the raw IP)
    properties        String,
    traits            String,
    context           String,

    -- provenance
    _partition        UInt16,
    _offset           UInt64,
    inserted_at       DateTime64(3, 'UTC') DEFAULT now64(3),

    INDEX idx_message_id message_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_anonymous_id anonymous_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (event, event_time, message_id);
