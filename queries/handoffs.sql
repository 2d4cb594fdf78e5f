-- handoffs.sql: Producer -> consumer pairs
-- Question: which of my sites make blocks that another thread frees, which site frees
--   them (recorded with --preset leaks), and how long are they held?
-- Parameters: @limit (default 20); @process (default: all).
-- Columns: process_id, alloc_site, free_site, alloc_thread, free_thread, blocks, bytes,
--   median_us, p90_us, max_us (allocation to free, exact nearest-rank percentiles).
-- Run: sqlite3 trace.db < queries/handoffs.sql
.headers on
.mode column --wrap 0
SELECT process_id, alloc_site, free_site, alloc_thread, free_thread, blocks, bytes,
       median_us, p90_us, max_us
FROM handoffs WHERE @process IS NULL OR process_id = @process
ORDER BY process_id, blocks DESC, alloc_site, alloc_thread, free_thread
LIMIT coalesce(@limit, 20);
