-- hotspots.sql: Where the program allocates
-- Question: which of my call sites and functions allocate most often and most bytes?
-- Parameters: @limit (default 20): rows per list; @process (default: all).
--   Set: sqlite3 -cmd '.parameter set @limit 50' trace.db < hotspots.sql
-- Columns: first list, by user site: process_id, class, site, location, calls (sampling
--   weights counted), bytes, avg_bytes, path. Second, by user function through the call
--   tree: self_calls/self_bytes (the function itself called the allocator, through
--   library code at most), inclusive_calls/inclusive_bytes (it is anywhere on the stack).
-- Run: sqlite3 trace.db < queries/hotspots.sql
.headers on
.mode column --wrap 0
SELECT process_id, class, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, calls, bytes, avg_bytes, path
FROM hotspots WHERE @process IS NULL OR process_id = @process
ORDER BY process_id, class_order, calls DESC, bytes DESC, site, location
LIMIT coalesce(@limit, 20);
SELECT process_id, function, self_calls, self_bytes, inclusive_calls, inclusive_bytes
FROM hotspot_functions WHERE @process IS NULL OR process_id = @process
ORDER BY process_id, inclusive_calls DESC, self_calls DESC, function
LIMIT coalesce(@limit, 20);
SELECT process_id, note AS incomplete FROM data_gaps WHERE note <> ''
  AND (@process IS NULL OR process_id = @process);
