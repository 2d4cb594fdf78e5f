-- fragmentation.sql: Fragmentation risk
-- Question: which sites keep small blocks alive for long while many short-lived blocks
--   come and go around them, and how much does malloc's rounding waste?
-- Parameters: @limit (default 20); @process (default: all).
-- Columns: process_id, site, location, long_lived_small (blocks of at most small_bytes
--   living at least long_lived_share of the run), short_lived_between (temporaries made
--   while those were allocated, estimated), min_bytes, max_bytes, alignment_waste_bytes,
--   risk (high, medium, low).
-- Run: sqlite3 trace.db < queries/fragmentation.sql
.headers on
.mode column --wrap 0
SELECT process_id, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, long_lived_small, short_lived_between, min_bytes,
       max_bytes, alignment_waste_bytes, risk
FROM fragmentation WHERE @process IS NULL OR process_id = @process
ORDER BY process_id, CASE risk WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
         class_order, long_lived_small DESC, site
LIMIT coalesce(@limit, 20);
