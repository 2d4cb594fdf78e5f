-- hotspots.sql: Allocation hotspots
-- Question: which call sites allocate most often (and how many bytes in total)?
-- Parameters: @limit (default 20): rows shown.
-- Columns: calls (blocks allocated), weighted_calls (with sampling weights), bytes,
--   avg_bytes, site, location, stack_id.
-- Run: sqlite3 trace.db < queries/hotspots.sql
.headers on
.mode column
SELECT calls, weighted_calls, bytes, bytes / calls AS avg_bytes, site, location, stack_id
FROM hotspots_by_stack
ORDER BY weighted_calls DESC
LIMIT coalesce(@limit, 20);
