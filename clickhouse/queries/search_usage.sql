-- search_usage: over [from, to), bots left out:
-- searches = `Products Searched` events; zero_result_searches = those with
-- results_count = 0 (a search without results_count is not a zero-result one);
-- sessions starting in the period and those containing a search;
-- top queries (trimmed, lower-cased) with their searches and zero-result searches.
-- Both session counts come from one read of session_spans (a CTE named twice
-- would be computed twice).
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to,
    searched AS (
        SELECT lower(trimBoth(query)) AS q, results_count
        FROM events
        WHERE event = 'Products Searched' AND is_bot = 0
          AND event_time >= p_from AND event_time < p_to
    ),
    (
        SELECT (countIf(starts_in_period), countIf(starts_in_period AND searches > 0))
        FROM session_spans(period_from = {from:String}, period_to = {to:String}, tz = {tz:String})
    ) AS spans,
    (SELECT (count(), countIf(results_count = 0)) FROM searched) AS searched_n
SELECT
    searched_n.1 AS searches,
    searched_n.2 AS zero_result_searches,
    spans.1 AS sessions,
    spans.2 AS sessions_with_search,
    (
        SELECT groupArray((q, n, z))
        FROM
        (
            SELECT q, count() AS n, countIf(results_count = 0) AS z
            FROM searched
            GROUP BY q
            ORDER BY n DESC, q
            LIMIT {limit:UInt32}
        )
    ) AS top_queries
