-- refunds: every Order Refunded event (grain: one row per messageId; two
-- partial refunds of one order are two rows).
--
-- Why it exists: refunds count at their own time for revenue and cash flow,
-- and against their order for refund rate and LTV; this names the columns
-- those queries read once. `events` already holds one row per messageId, so
-- no dedup is needed here. An absent amount reads 0.
CREATE VIEW IF NOT EXISTS refunds AS
SELECT
    message_id,
    order_id,
    user_id,
    event_time AS refund_time,
    ifNull(amount, toDecimal64(0, 4)) AS amount
FROM events
WHERE event = 'Order Refunded';
