-- Per-edge rollup: one row per (source_service, destination_cluster, 10-second window), fed from
-- access_log by a materialized view, so it is exactly as complete as the raw table.
--
-- - 10-second windows, the same windows as Kafka edge-stats.v1 (EdgeStats), so SQL and the
--   stream agree window for window; any longer interval re-aggregates in SQL:
--   GROUP BY toStartOfInterval(window_start, INTERVAL 1 MINUTE) with sum(requests) and
--   quantilesDDMerge(0.01, 0.5, 0.99)(latency_us).
-- - Counters are SimpleAggregateFunction(sum | sumMap): merged by adding, read with plain
--   sum()/sumMap() (rows of one window may sit in unmerged parts, so always aggregate).
-- - latency_us is a DDSketch state (quantilesDD, relative accuracy 0.01): merged over any
--   interval, its q-quantile is within 1% of the exact value at rank floor(q·(n−1)). (quantileExact
--   takes rank floor(q·n), one element higher for p99; on a thin tail they can differ by more.)
--   t-digest bounds the rank error, not the value error, so it could not promise "p99 within 2%".
--   The levels in the type are nominal: quantileDDMerge(0.01, q) reads any q from it.
-- - Column names follow meshgraph.v1.EdgeStats; statuses (status code → requests) is extra.
-- - non_replicated_deduplication_window: with deduplicate_blocks_in_dependent_materialized_views
--   (on by default in ClickHouse 26, hence chdb) the view inserts even when access_log dropped a
--   replayed batch, and relies on this table dropping it (its token is derived from the batch's);
--   without the window a replay would count twice here. Where the setting is off, the view is
--   skipped for a dropped batch, which also counts once.
-- - TTL 30 days: rollups outlive the 7 days of raw rows.
CREATE TABLE IF NOT EXISTS edge_stats
(
  window_start DateTime('UTC'),
  source_service LowCardinality(String),
  destination_cluster LowCardinality(String),
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
ORDER BY (source_service, destination_cluster, window_start)
TTL window_start + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS edge_stats_mv TO edge_stats AS
SELECT
  toStartOfInterval(toDateTime(start_time, 'UTC'), INTERVAL 10 SECOND) AS window_start,
  source_service,
  destination_cluster,
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
GROUP BY window_start, source_service, destination_cluster;
