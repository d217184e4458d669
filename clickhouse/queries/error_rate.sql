-- error_rate: `JS Error` events / page views in [from, to), bots left out of
-- both (js_errors_by_hour, page_stats_by_hour), and the errors by message
-- (the {limit} most frequent). One row; null rate when there are no page views.
WITH
    toDateTime({from:String}, {tz:String}) AS p_from,
    toDateTime({to:String}, {tz:String}) AS p_to
SELECT
    (SELECT sum(errors) FROM js_errors_by_hour WHERE hour >= p_from AND hour < p_to) AS errors,
    (SELECT sum(page_views) FROM page_stats_by_hour WHERE hour >= p_from AND hour < p_to) AS page_views,
    if(page_views = 0, NULL, errors / page_views) AS error_rate,
    (
        SELECT groupArray((error_message, n))
        FROM
        (
            SELECT error_message, sum(errors) AS n
            FROM js_errors_by_hour
            WHERE hour >= p_from AND hour < p_to
            GROUP BY error_message
            ORDER BY n DESC, error_message
            LIMIT {limit:UInt32}
        )
    ) AS by_message
