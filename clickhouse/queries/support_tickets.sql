-- support_tickets: tickets (distinct ticket_id) opened in [from, to), by day of
-- the reporting zone and category. A ticket counts once, on the day of its
-- first `Support Ticket Opened`, with that event's category.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to
SELECT
    toDate(opened_at, {tz:String}) AS day,
    category,
    count() AS tickets
FROM
(
    SELECT
        ticket_id,
        min(event_time) AS opened_at,
        toString(argMin(category, (event_time, message_id))) AS category
    FROM events
    WHERE event = 'Support Ticket Opened' AND ticket_id != ''
      AND ticket_id IN (
          SELECT ticket_id FROM events
          WHERE event = 'Support Ticket Opened' AND event_time >= p_from AND event_time < p_to
      )
    GROUP BY ticket_id
    HAVING opened_at >= p_from AND opened_at < p_to
)
GROUP BY day, category
ORDER BY day, category
