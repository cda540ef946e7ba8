-- Response flags
--
-- Envoy response flags (UF upstream connection failure, UO overflow, URX retry limit, NR no
-- route, UT timeout, …) per source → destination edge over the last `window` seconds, with the
-- share of the edge's requests that carried each, from edge_stats. Edges without flags are left
-- out; a request with several flags counts once for each.
--
-- @param window 300 seconds back from now()
-- @param limit 50 rows shown
SELECT
  source,
  destination,
  flag,
  flagged AS requests,
  round(flagged / total, 4) AS share_of_edge
FROM
(
  SELECT
    source_service AS source,
    destination_cluster AS destination,
    sumMap(response_flags) AS flags,
    sum(requests) AS total
  FROM edge_stats
  WHERE window_start >= now() - {window:UInt32}
  GROUP BY source, destination
)
ARRAY JOIN mapKeys(flags) AS flag, mapValues(flags) AS flagged
ORDER BY flagged DESC, source, destination, flag
LIMIT {limit:UInt32}
