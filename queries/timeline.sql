-- timeline.sql: How the heap grew over time
-- Question: how many bytes were live during the run, per process and per thread, with
--   the highest value inside each step (an end value alone hides the peak)?
-- Parameters: @process (default: all); @thread (default: none, 'all' for every thread).
--   Steps: analysis_params 'timeline_steps' (default 40).
-- Columns: process_id, thread (blank: the whole process; else bytes allocated by that
--   thread still live), step, t_s (end of the step, seconds from the process start),
--   max_live_bytes (highest within the step), end_live_bytes, allocated_bytes,
--   freed_bytes, marks (mtrec.h marks in the step; mtdb:exit: exit began).
-- Run: sqlite3 trace.db < queries/timeline.sql
.headers on
.mode column --wrap 0
SELECT t.process_id, coalesce(n.thread, '') AS thread, t.step, printf('%.6f', t.t_s) AS t_s, t.max_live_bytes,
       t.end_live_bytes, t.allocated_bytes, t.freed_bytes, coalesce(t.marks, '') AS marks
FROM timeline t LEFT JOIN thread_names n ON n.thread_id = t.thread_id
WHERE (@process IS NULL OR t.process_id = @process)
  AND (t.thread_id IS NULL OR @thread = 'all' OR t.thread_id = @thread)
ORDER BY t.process_id, t.thread_id IS NOT NULL, t.thread_id, t.step;
