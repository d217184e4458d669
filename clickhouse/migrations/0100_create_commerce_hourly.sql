-- commerce_hourly: Order Completed deliveries and Order Refunded events
-- summed per UTC hour (grain: one row per hour once merged).
--
-- Why it exists: live revenue panels and the benchmark read a few hundred
-- rows instead of scanning `events`. Reporting-zone offsets are whole hours,
-- so UTC hours re-bucket exactly into the zone's days, weeks and months
-- (DST days included).
--
-- Exactness: each row of `events` is one messageId (the aggregator never
-- inserts one twice), so `refunds` / `refund_amount` are exact. Orders are
-- not: the same order_id may arrive under two messageIds, possibly in two
-- different hours, and no insert-time rule can tell which delivery is the
-- order without looking at all history. So this table counts deliveries
-- (`order_deliveries`, `delivered_revenue`), and the catalog's order metrics
-- (revenue, aov, customers, ...) stay exact queries on `events`, where every
-- order_id is counted once.
--
-- SummingMergeTree only shrinks the table when it merges; readers always
-- sum() ... GROUP BY hour and never rely on merges having happened.
CREATE TABLE IF NOT EXISTS commerce_hourly
(
    hour              DateTime('UTC'),
    order_deliveries  UInt64,
    delivered_revenue Decimal(38, 4),
    refunds           UInt64,
    refund_amount     Decimal(38, 4)
)
ENGINE = SummingMergeTree
ORDER BY hour;
