-- Endpoint latency over time
--
-- Requests and p50 / p90 / p99 latency per upstream endpoint in `step`-second buckets over the
-- last `window` seconds, from endpoint_stats: each bucket merges the DDSketch states of its
-- 10-second windows (so `step` is best a multiple of 10). `cluster` narrows it to one
-- destination cluster; endpoint '' counts requests that no endpoint served.
--
-- @param window 3600 seconds back from now()
-- @param step 60 bucket width in seconds
-- @param cluster '' destination cluster to show ('' = all)
SELECT
  toStartOfInterval(window_start, toIntervalSecond({step:UInt32})) AS bucket,
  destination_cluster AS cluster,
  upstream_endpoint AS endpoint,
  sum(requests) AS requests,
  round(quantileDDMerge(0.01, 0.5)(latency_us) / 1000, 2) AS p50_ms,
  round(quantileDDMerge(0.01, 0.9)(latency_us) / 1000, 2) AS p90_ms,
  round(quantileDDMerge(0.01, 0.99)(latency_us) / 1000, 2) AS p99_ms
FROM endpoint_stats
WHERE window_start >= now() - {window:UInt32}
  AND ({cluster:String} = '' OR destination_cluster = {cluster:String})
GROUP BY bucket, cluster, endpoint
ORDER BY bucket, cluster, endpoint
