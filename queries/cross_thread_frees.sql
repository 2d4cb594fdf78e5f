-- cross_thread_frees.sql: Cross-thread frees by call site
-- Question: which allocation sites hand their blocks to another thread to free?
-- Parameters: @limit (default 20): rows shown.
-- Columns: process_id, alloc_thread, free_thread ('#N name'), blocks, bytes,
--   avg_lifetime_ms (allocation to free), site, location, stack_id.
-- Run: sqlite3 trace.db < queries/cross_thread_frees.sql
.headers on
.mode column --wrap 0
SELECT process_id, alloc_thread, free_thread, blocks, bytes,
       round(avg_lifetime_ns / 1e6, 3) AS avg_lifetime_ms, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, stack_id
FROM cross_thread_by_stack
ORDER BY blocks DESC, process_id, alloc_thread_id, free_thread_id, stack_id
LIMIT coalesce(@limit, 20);
