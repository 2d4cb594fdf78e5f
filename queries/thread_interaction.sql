-- thread_interaction.sql: Who allocates and who frees
-- Question: which threads free memory that other threads allocated, how much, and how
--   long do blocks wait between the two?
-- Parameters: @process (default: all).
-- Columns: process_id, alloc_thread, free_thread ('#N name'), blocks, bytes, median_us,
--   p90_us, max_us (allocation to free, exact nearest-rank percentiles). Cross-thread
--   pairs first, then same-thread ones.
-- Run: sqlite3 trace.db < queries/thread_interaction.sql
.headers on
.mode column --wrap 0
SELECT process_id, CASE WHEN cross THEN 'cross' ELSE 'same' END AS kind, alloc_thread,
       free_thread, blocks, bytes, median_us, p90_us, max_us
FROM thread_interaction WHERE @process IS NULL OR process_id = @process
ORDER BY process_id, cross DESC, blocks DESC, alloc_thread_id, free_thread_id;
