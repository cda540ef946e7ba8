-- The calling instance ("host:port" as its own cluster lists it; AccessLogRecord.source_instance),
-- so SQL can follow a request from the endpoint that made it, not just from its service: the
-- same question graph-aware routing asks (which endpoints of a cluster call a failing
-- dependency). Empty for rows written before it existed and when the caller did not say.
ALTER TABLE access_log
  ADD COLUMN IF NOT EXISTS source_instance LowCardinality(String) DEFAULT '' AFTER source_service;
