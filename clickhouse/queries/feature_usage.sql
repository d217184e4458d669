-- feature_usage: per feature, `Feature Used` events in [from, to) (bots left
-- out), distinct users (userIds) and distinct visitors (anonymousIds).
SELECT
    toString(feature) AS feature,
    count() AS events,
    uniqExactIf(user_id, user_id != '') AS users,
    uniqExactIf(anonymous_id, anonymous_id != '') AS visitors
FROM events
WHERE event = 'Feature Used' AND is_bot = 0
  AND event_time >= toDateTime64({from:String}, 3, {tz:String})
  AND event_time < toDateTime64({to:String}, 3, {tz:String})
GROUP BY feature
ORDER BY events DESC, feature
