-- orders: one row per order (grain: order_id), as every commerce metric
-- counts them.
--
-- Why it exists: the same order_id may arrive under several messageIds
-- (retries with a new id, re-sent batches, imports). metrics.md counts an
-- order once per order_id; of its deliveries the one with the earliest
-- (event_time, message_id) is the order: its time places it in a period, and
-- its buyer, revenue, coupon and product lines are the order's. Defining that
-- rule once keeps the metric queries from each carrying (and drifting from) a
-- copy of it.
--
-- A plain view, not a materialized one: which delivery wins depends on every
-- delivery ever stored, which no insert-time rule can know (see
-- commerce_hourly). ClickHouse inlines the view into each query, so a reader
-- pays for the columns it uses.
-- Money is non-null (an absent revenue/subtotal/discount reads 0) and stays
-- Decimal(18, 4); the products are the parallel arrays of `events`.
CREATE VIEW IF NOT EXISTS orders AS
SELECT
    order_id,
    message_id,
    user_id,
    anonymous_id,
    event_time AS order_time,
    ifNull(revenue, toDecimal64(0, 4)) AS revenue,
    ifNull(subtotal, toDecimal64(0, 4)) AS subtotal,
    ifNull(discount, toDecimal64(0, 4)) AS discount,
    coupon,
    coupon_kind,
    currency,
    product_course_ids,
    product_package_ids,
    product_prices,
    product_ce_hours
FROM events
WHERE event = 'Order Completed' AND order_id != ''
ORDER BY order_id, event_time, message_id
LIMIT 1 BY order_id;
