-- leaks.sql: What leaked, in the words of your code
-- Question: which of my functions left memory allocated at exit, and which kept it until
--   exit handlers freed it (a leak for a long-running program)?
-- Parameters (set with: sqlite3 -cmd '.parameter set @limit 50' trace.db < leaks.sql):
--   @limit (default 20): rows shown per list; @process (default: all): one process_id.
-- Columns: process_id, class (user first, then runtime: blocks the C/C++ runtime made for
--   itself, then unknown: no stack), site (the user function that allocated), location
--   (file:line), blocks, bytes, first_s/last_s (first and last of those allocations,
--   seconds from the process start), path (a few user frames, innermost first).
--   Then the blocks freed only at exit (kind freed_at_exit), then one row per block of
--   the largest user leaks, then what is incomplete (if anything).
-- Run: sqlite3 trace.db < queries/leaks.sql
.headers on
.mode column --wrap 0
SELECT process_id, class, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, blocks, bytes,
       printf('%.6f', first_alloc_s) AS first_s, printf('%.6f', last_alloc_s) AS last_s, path
FROM leaks
WHERE kind = 'live_at_exit' AND (@process IS NULL OR process_id = @process)
ORDER BY process_id, class_order, bytes DESC, site, location
LIMIT coalesce(@limit, 20);
SELECT process_id, class, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, blocks, bytes, kind, path
FROM leaks
WHERE kind = 'freed_at_exit' AND (@process IS NULL OR process_id = @process)
ORDER BY process_id, class_order, bytes DESC, site, location
LIMIT coalesce(@limit, 20);
SELECT process_id, block_id, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, size_bytes, printf('%.6f', alloc_s) AS alloc_s, thread_id
FROM leak_blocks
WHERE class = 'user' AND (@process IS NULL OR process_id = @process)
ORDER BY process_id, size_bytes DESC, alloc_s, block_id
LIMIT coalesce(@limit, 20);
SELECT process_id, note AS incomplete FROM data_gaps WHERE note <> ''
  AND (@process IS NULL OR process_id = @process);
SELECT process_id, 'exit start not recorded: freed_at_exit is unknown' AS incomplete
FROM data_gaps WHERE NOT exit_known AND (@process IS NULL OR process_id = @process);
