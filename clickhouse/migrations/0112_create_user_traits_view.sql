-- user_traits: each user's latest known traits, as of now (grain: user_id).
--
-- Why it exists: metrics.md groups and filters buyers by their last known
-- profession and license state ("a later identify changes profession or
-- state"); every query that needs a trait reads this one definition.
--
-- Sources: identify rows sent with a server key and Signed Up rows (the
-- aggregator fills the trait columns from identify traits of server keys and
-- from Signed Up properties only; a browser key's identify leaves them
-- empty, and the key_trust condition says so here too). Each trait
-- independently takes the value of the latest row, by (event_time,
-- message_id), that carries it: an identify without a profession does not
-- erase the profession known before. Never known: '' (is_employee: NULL).
CREATE VIEW IF NOT EXISTS user_traits AS
SELECT
    user_id,
    argMaxIf(profession, (event_time, message_id), profession != '') AS profession,
    argMaxIf(license_state, (event_time, message_id), license_state != '') AS license_state,
    argMaxIf(is_employee, (event_time, message_id), is_employee IS NOT NULL) AS is_employee
FROM events
WHERE user_id != ''
  AND ((type = 'identify' AND key_trust = 'server') OR event = 'Signed Up')
GROUP BY user_id;
