-- discount_codes: per coupon, for [from, to) of the reporting zone: orders
-- with it, their revenue and discount given, roi = revenue / discount (null
-- when no discount), kind (the coupon_kind of its latest order), sessions
-- with a Coupon Applied for it, and code_conversion = orders / those sessions
-- (null without such sessions). Orders count once per order_id (the
-- `orders` view).
-- profession / state (optional; '' = everyone) keep the orders whose buyer's
-- latest known trait (the `user_traits` view) matches: orders, revenue,
-- discount, roi and kind. Sessions are visitors' (anonymousIds'), who carry
-- no traits (no identity stitching), so they are not narrowed: under a
-- filter, code_conversion is the filtered buyers' orders per session with
-- the code.
-- Sessions: a visitor's (anonymousId's) non-bot events, cut where the gap to
-- the visitor's previous event exceeds 30 minutes (1800 s); a session belongs
-- to the period it starts in, and counts for every coupon applied in it.
-- Only visitors with a Coupon Applied on or after `from` are sessionised, and
-- only from 30 minutes before `from`: enough to tell whether an event on or
-- after `from` starts a session.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    buyer_orders AS (
        SELECT order_id, user_id, order_time, revenue AS rev, discount AS disc, coupon, coupon_kind
        FROM orders
        WHERE ({profession:String} = '' OR user_id IN (SELECT user_id FROM user_traits WHERE profession = {profession:String}))
          AND ({state:String} = '' OR user_id IN (SELECT user_id FROM user_traits WHERE license_state = {state:String}))
    ),
    coupon_orders AS (
        SELECT
            coupon,
            count() AS order_count,
            sum(rev) AS rev_sum,
            sum(disc) AS disc_sum,
            argMax(coupon_kind, (order_time, order_id)) AS coupon_kind_latest
        FROM buyer_orders
        WHERE coupon != '' AND order_time >= t_from AND order_time < t_to
        GROUP BY coupon
    ),
    visit_events AS (
        SELECT
            anonymous_id,
            event_time,
            event,
            coupon,
            row_number() OVER w AS seq,
            lagInFrame(event_time, 1) OVER w AS prev_time
        FROM events
        WHERE anonymous_id != '' AND is_bot = 0
          AND event_time >= t_from - INTERVAL 1800 SECOND
          AND anonymous_id IN
          (
              SELECT anonymous_id FROM events
              WHERE event = 'Coupon Applied' AND anonymous_id != '' AND is_bot = 0 AND event_time >= t_from
          )
        WINDOW w AS (PARTITION BY anonymous_id ORDER BY event_time, message_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    numbered AS (
        SELECT
            anonymous_id,
            event_time,
            event,
            coupon,
            sum(if(seq = 1 OR dateDiff('millisecond', prev_time, event_time) > 1800000, 1, 0))
                OVER (PARTITION BY anonymous_id ORDER BY event_time, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_no
        FROM visit_events
    ),
    sessions AS (
        SELECT anonymous_id, session_no, min(event_time) AS started, groupUniqArrayIf(coupon, event = 'Coupon Applied') AS applied
        FROM numbered
        GROUP BY anonymous_id, session_no
    ),
    coupon_sessions AS (
        SELECT arrayJoin(applied) AS coupon, count() AS session_count
        FROM sessions
        WHERE started >= t_from AND started < t_to
        GROUP BY coupon
    )
SELECT
    if(o.coupon != '', o.coupon, s.coupon) AS coupon,
    o.coupon_kind_latest AS kind,
    o.order_count AS orders,
    o.rev_sum AS revenue,
    o.disc_sum AS discount,
    if(o.disc_sum = 0, NULL, toFloat64(o.rev_sum) / toFloat64(o.disc_sum)) AS roi,
    s.session_count AS sessions,
    if(s.session_count = 0, NULL, o.order_count / s.session_count) AS code_conversion
FROM coupon_orders AS o
FULL OUTER JOIN coupon_sessions AS s ON s.coupon = o.coupon
ORDER BY revenue DESC, orders DESC, coupon
