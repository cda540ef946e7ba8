-- Slowest routes
--
-- Routes (and the cluster each sent to) ranked by p99 latency over the last `window` seconds,
-- from the raw access_log rows, since routes are not rolled up (raw rows are kept 7 days).
-- Quantiles are DDSketch estimates (1% relative accuracy, bounded memory however many rows).
-- Routes with fewer than `min_requests` requests are left out, so one slow request cannot top
-- the list; route '' is requests that matched no route.
--
-- @param window 3600 seconds back from now()
-- @param min_requests 10 fewest requests a route needs to be listed
-- @param limit 20 routes shown
SELECT
  route,
  destination_cluster AS destination,
  count() AS requests,
  round(countIf(status >= 500 OR status = 0) / requests, 4) AS error_rate,
  round(quantileDD(0.01, 0.5)(duration_us) / 1000, 2) AS p50_ms,
  round(quantileDD(0.01, 0.99)(duration_us) / 1000, 2) AS p99_ms,
  round(max(duration_us) / 1000, 2) AS max_ms
FROM access_log
WHERE start_time >= now() - {window:UInt32}
GROUP BY route, destination
HAVING requests >= {min_requests:UInt32}
ORDER BY p99_ms DESC, route, destination
LIMIT {limit:UInt32}
