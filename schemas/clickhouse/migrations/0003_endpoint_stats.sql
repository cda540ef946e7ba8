-- Per-endpoint rollup: one row per (destination_cluster, upstream_endpoint, 10-second window),
-- across all callers, fed from access_log by a materialized view; the endpoint's health as the
-- routing policy weighs it. Same columns, windows, sketch, deduplication and TTL as edge_stats
-- (0002, which explains each choice); upstream_endpoint '' counts requests no endpoint served.

CREATE TABLE IF NOT EXISTS endpoint_stats
(
  window_start DateTime('UTC'),
  destination_cluster LowCardinality(String),
  upstream_endpoint LowCardinality(String),
  requests SimpleAggregateFunction(sum, UInt64),
  status_1xx SimpleAggregateFunction(sum, UInt64),
  status_2xx SimpleAggregateFunction(sum, UInt64),
  status_3xx SimpleAggregateFunction(sum, UInt64),
  status_4xx SimpleAggregateFunction(sum, UInt64),
  status_5xx SimpleAggregateFunction(sum, UInt64),
  no_response SimpleAggregateFunction(sum, UInt64),
  statuses SimpleAggregateFunction(sumMap, Map(UInt32, UInt64)),
  response_flags SimpleAggregateFunction(sumMap, Map(String, UInt64)),
  request_bytes SimpleAggregateFunction(sum, UInt64),
  response_bytes SimpleAggregateFunction(sum, UInt64),
  prompt_tokens SimpleAggregateFunction(sum, UInt64),
  completion_tokens SimpleAggregateFunction(sum, UInt64),
  duration_sum_us SimpleAggregateFunction(sum, Int64),
  latency_us AggregateFunction(quantilesDD(0.01, 0.5, 0.9, 0.99, 0.999), Int64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(window_start)
ORDER BY (destination_cluster, upstream_endpoint, window_start)
TTL window_start + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS endpoint_stats_mv TO endpoint_stats AS
SELECT
  toStartOfInterval(toDateTime(start_time, 'UTC'), INTERVAL 10 SECOND) AS window_start,
  destination_cluster,
  upstream_endpoint,
  count() AS requests,
  countIf(status >= 100 AND status < 200) AS status_1xx,
  countIf(status >= 200 AND status < 300) AS status_2xx,
  countIf(status >= 300 AND status < 400) AS status_3xx,
  countIf(status >= 400 AND status < 500) AS status_4xx,
  countIf(status >= 500 AND status < 600) AS status_5xx,
  countIf(status = 0) AS no_response,
  sumMap(map(status, toUInt64(1))) AS statuses,
  -- "UF,URX" → {UF: 1, URX: 1}; Envoy's "-" and the empty string mean no flag. Source columns
  -- that share a name with an output column are qualified, so the column is read, not the alias.
  sumMap(
    CAST(
      (
        arrayFilter(f -> f NOT IN ('', '-'), splitByChar(',', toString(access_log.response_flags))) AS flags,
        arrayMap(f -> toUInt64(1), flags)
      ),
      'Map(String, UInt64)'
    )
  ) AS response_flags,
  sum(access_log.request_bytes) AS request_bytes,
  sum(access_log.response_bytes) AS response_bytes,
  sum(access_log.prompt_tokens) AS prompt_tokens,
  sum(access_log.completion_tokens) AS completion_tokens,
  sum(duration_us) AS duration_sum_us,
  quantilesDDState(0.01, 0.5, 0.9, 0.99, 0.999)(duration_us) AS latency_us
FROM access_log
GROUP BY window_start, destination_cluster, upstream_endpoint;
