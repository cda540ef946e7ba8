-- Where each access_log row came from in Kafka, so the rollup job knows what is already stored.
--
-- The rollup job inserts one block per (Kafka batch, partition) with a deduplication token, but
-- after a crash kafkajs may redeliver the same records in batches with other boundaries (other
-- tokens). So on every partition assignment it reads the partition's high-water mark,
-- max(kafka_offset) WHERE kafka_partition = p, and does not insert records at or below it again.
--
-- - kafka_partition defaults to -1, never a real partition: rows written by anything other than
--   the rollup job (tests, backfills, rows older than this migration) never count as consumed.
-- - offsets_by_partition: an aggregate projection, so that max() reads one tiny row per part
--   instead of scanning the table (parts written before this migration are scanned as usual).
-- - The materialized views of 0002/0003 select named columns, so they ignore the new ones.
ALTER TABLE access_log
  ADD COLUMN IF NOT EXISTS kafka_partition Int32 DEFAULT -1,
  ADD COLUMN IF NOT EXISTS kafka_offset Int64 DEFAULT -1;

ALTER TABLE access_log
  ADD PROJECTION IF NOT EXISTS offsets_by_partition
  (
    SELECT kafka_partition, max(kafka_offset)
    GROUP BY kafka_partition
  );
