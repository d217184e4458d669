-- traffic: visitors, sessions and page views in [from, to) of the reporting
-- zone, bots left out; with group_by (channel, landing_page, country, region,
-- device) also one row per value of the session's attribute.
-- visitors   = distinct anonymousIds with an event in the period;
-- sessions   = sessions starting in the period (a session belongs to the
--              period in which it starts);
-- page_views = page events in the period.
-- In grouped rows every event in the period counts under the attribute of the
-- session it belongs to (even one that started before the period), so the
-- rows' page views add up to the total; a visitor with sessions of two
-- channels counts in both rows. The total row is the one with is_total = 1.
SELECT
    grouping(key) = 1 AS is_total,
    key,
    uniqExactIf(anonymous_id, events_in_period > 0) AS visitors,
    countIf(starts_in_period) AS sessions,
    sum(page_views_in_period) AS page_views
FROM
(
    SELECT
        *,
        multiIf({group_by:String} = 'channel', channel,
                {group_by:String} = 'landing_page', landing_page,
                {group_by:String} = 'country', country,
                {group_by:String} = 'region', region,
                {group_by:String} = 'device', device,
                '') AS key
    FROM session_spans(period_from = {from:String}, period_to = {to:String}, tz = {tz:String})
)
GROUP BY GROUPING SETS ((), (key))
HAVING is_total OR {group_by:String} != ''
ORDER BY is_total DESC, sessions DESC, visitors DESC, key
