-- 14-tables-health.sql: how complete the data is.
-- Reads: nothing. Creates: health_counters (the recorder's own counters, cumulative,
-- last value per thread), import_problems (what the importer skipped, where),
-- import_info (key/value facts about the import).
CREATE TABLE health_counters (
  process_id INTEGER NOT NULL,
  thread_id INTEGER,                    -- NULL for process-level counters
  counter TEXT NOT NULL,                -- events, dropped_write_error, ... (docs/schema.md)
  value INTEGER NOT NULL
) STRICT;

CREATE TABLE import_problems (
  problem_id INTEGER PRIMARY KEY,
  file TEXT,                            -- trace file, NULL when not about one file
  offset_bytes INTEGER,                 -- where the damage starts in the file
  kind TEXT NOT NULL,                   -- bad_block, bad_record, torn_tail, event_gap, ...
  process_id INTEGER,
  thread_number INTEGER,
  bytes_skipped INTEGER NOT NULL,
  events_lost INTEGER NOT NULL,         -- heap events known lost, 0 if unknown
  message TEXT NOT NULL
) STRICT;

CREATE TABLE import_info (
  key TEXT PRIMARY KEY,
  value ANY
) STRICT;
