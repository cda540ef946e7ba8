-- Status mix
--
-- Responses per destination cluster and HTTP status code over the last `window` seconds, with
-- each code's share of the cluster's requests, from edge_stats (status 0: no response was sent).
--
-- @param window 300 seconds back from now()
SELECT
  destination,
  status,
  responses,
  round(responses / total, 4) AS share
FROM
(
  SELECT
    destination_cluster AS destination,
    sumMap(statuses) AS mix,
    arraySum(mapValues(mix)) AS total
  FROM edge_stats
  WHERE window_start >= now() - {window:UInt32}
  GROUP BY destination
)
ARRAY JOIN mapKeys(mix) AS status, mapValues(mix) AS responses
ORDER BY destination, responses DESC, status
