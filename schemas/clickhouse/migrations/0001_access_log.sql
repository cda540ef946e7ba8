-- Raw access log: one row per request Envoy logged (Kafka topic access-logs.v1, AccessLogRecord).
--
-- Columns carry the protobuf field names and types, so every valid record fits and one odd value
-- never makes the engine refuse a whole batch. One exception: start_time is a DateTime64(6)
-- rather than start_time_us, so ORDER BY, partitions and TTL can use it; insert it as the
-- record's start_time_us (a JSON integer into DateTime64(6) is read as microseconds).
--
-- Writers: the rollup job, one INSERT per Kafka batch with insert_deduplication_token
-- "<topic>:<partition>:<firstOffset>-<lastOffset>", so a replay after a crash is dropped here and
-- in the rollups fed by the materialized views (0002, 0003).
--
-- - ORDER BY (source_service, destination_cluster, start_time): edge first, then time, the
--   shape of every per-edge question; daily partitions let time ranges skip whole days.
-- - TTL 7 days on start_time; ttl_only_drop_parts drops whole daily parts instead of rewriting.
-- - non_replicated_deduplication_window: how many recent insert tokens the table remembers;
--   10000 covers the inserts between two offset commits with a wide margin.
CREATE TABLE IF NOT EXISTS access_log
(
  start_time DateTime64(6, 'UTC'),
  source_service LowCardinality(String),
  destination_cluster LowCardinality(String),
  upstream_endpoint LowCardinality(String),
  route LowCardinality(String),
  method LowCardinality(String),
  authority LowCardinality(String),
  path String,
  status UInt32,
  response_flags LowCardinality(String),
  duration_us Int64,
  upstream_duration_us Int64,
  request_bytes UInt64,
  response_bytes UInt64,
  request_id String,
  node_id LowCardinality(String),
  model LowCardinality(String),
  prompt_tokens UInt32,
  completion_tokens UInt32
)
ENGINE = MergeTree
PARTITION BY toDate(start_time)
ORDER BY (source_service, destination_cluster, start_time)
TTL toDateTime(start_time) + INTERVAL 7 DAY
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;
