-- leaks.sql: Largest leaks by stack
-- Question: which call sites left the most bytes allocated when the program exited?
-- Parameters: @limit (default 20): rows shown.
-- Columns: process_id, blocks (still live), bytes (still live), weighted_blocks (with
--   sampling weights), site (innermost function or module+offset), location (file:line),
--   stack_id (see the stack_symbols view for every frame).
-- Run: sqlite3 trace.db < queries/leaks.sql
.headers on
.mode column
SELECT process_id, blocks, bytes, weighted_blocks, site, location, stack_id
FROM leaks_by_stack
ORDER BY bytes DESC
LIMIT coalesce(@limit, 20);
