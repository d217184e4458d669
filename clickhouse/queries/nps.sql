-- nps: Net Promoter Score of the NPS Submitted events in [from, to):
-- 100 * (share of scores 9-10 - share of scores 0-6); null without responses.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to
SELECT
    count() AS responses,
    countIf(score >= 9) AS promoters,
    countIf(score > 6 AND score < 9) AS passives,
    countIf(score <= 6) AS detractors,
    if(responses = 0, NULL, 100 * (toInt64(promoters) - toInt64(detractors)) / responses) AS nps
FROM events
WHERE event = 'NPS Submitted' AND score IS NOT NULL AND event_time >= t_from AND event_time < t_to
