-- commerce_hourly_mv: feeds commerce_hourly (grain: UTC hour) from every
-- insert into `events`. Writes TO an explicit table so the target can be
-- read, truncated and backfilled like any table. Each inserted block adds
-- its own per-hour partial sums; readers sum them.
CREATE MATERIALIZED VIEW IF NOT EXISTS commerce_hourly_mv TO commerce_hourly AS
SELECT
    toStartOfHour(toDateTime(event_time, 'UTC')) AS hour,
    countIf(event = 'Order Completed') AS order_deliveries,
    sumIf(toDecimal128(ifNull(revenue, toDecimal64(0, 4)), 4), event = 'Order Completed') AS delivered_revenue,
    countIf(event = 'Order Refunded') AS refunds,
    sumIf(toDecimal128(ifNull(amount, toDecimal64(0, 4)), 4), event = 'Order Refunded') AS refund_amount
FROM events
WHERE event IN ('Order Completed', 'Order Refunded')
GROUP BY hour;
