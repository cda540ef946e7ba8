-- Top edges
--
-- Request rate, error rate and latency per source → destination edge over the last `window`
-- seconds, from edge_stats: counts add up across its 10-second windows and the latency
-- quantiles merge their DDSketch states (1% relative accuracy). error_rate is the share of
-- requests answered 5xx or not answered at all (status 0).
--
-- @param window 300 seconds back from now()
-- @param sort rate order by: rate, error_rate or p99
-- @param limit 20 edges shown
SELECT
  source_service AS source,
  destination_cluster AS destination,
  sum(requests) AS requests,
  round(requests / {window:UInt32}, 2) AS rps,
  round((sum(status_5xx) + sum(no_response)) / requests, 4) AS error_rate,
  round(quantileDDMerge(0.01, 0.5)(latency_us) / 1000, 2) AS p50_ms,
  round(quantileDDMerge(0.01, 0.99)(latency_us) / 1000, 2) AS p99_ms
FROM edge_stats
WHERE window_start >= now() - {window:UInt32}
  AND throwIf({sort:String} NOT IN ('rate', 'error_rate', 'p99'), 'sort must be rate, error_rate or p99') = 0
GROUP BY source, destination
ORDER BY
  multiIf({sort:String} = 'error_rate', error_rate, {sort:String} = 'p99', p99_ms, toFloat64(requests)) DESC,
  source,
  destination
LIMIT {limit:UInt32}
