-- traffic_by_channel: traffic (see traffic.sql for visitors, sessions and page
-- views in [from, to), bots left out) with group_by=channel: the total row
-- (is_total = 1) and one row per channel of the session (session_spans).
-- Every event in the period counts under the channel of the session it belongs
-- to (even one that started before the period), so the rows' page views add
-- up to the total; a visitor with sessions of two values counts in both rows.
-- One file per group_by so that session_spans computes only this attribute.
SELECT
    grouping(channel) = 1 AS is_total,
    channel AS key,
    uniqExactIf(anonymous_id, events_in_period > 0) AS visitors,
    countIf(starts_in_period) AS sessions,
    sum(page_views_in_period) AS page_views
FROM session_spans(period_from = {from:String}, period_to = {to:String}, tz = {tz:String})
GROUP BY GROUPING SETS ((), (channel))
ORDER BY is_total DESC, sessions DESC, visitors DESC, key
