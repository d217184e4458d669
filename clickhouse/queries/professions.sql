-- professions: customers, orders and revenue of [from, to) by buyer profession.
-- The trait is the user's latest known value by event time, as of now, from
-- identify traits and Signed Up properties (rows with an empty value don't
-- count; the `user_traits` view); 'unknown' when never known. Orders once
-- per order_id (the `orders` view).
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to
SELECT
    if(t.trait = '', 'unknown', t.trait) AS profession,
    uniqExactIf(o.user_id, o.user_id != '') AS customers,
    count() AS orders,
    sum(o.rev) AS revenue
FROM (SELECT user_id, revenue AS rev FROM orders WHERE order_time >= t_from AND order_time < t_to) AS o
LEFT JOIN (SELECT user_id, profession AS trait FROM user_traits) AS t ON t.user_id = o.user_id
GROUP BY profession
ORDER BY revenue DESC, profession
