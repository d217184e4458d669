-- Run once by the clickhouse-server image on an empty data volume
-- (/docker-entrypoint-initdb.d): the database the pipeline's users are granted.
-- The tables are made by `drtroy-metrics migrate` (the compose file's migrate service).
CREATE DATABASE IF NOT EXISTS drtroy;
