-- peak.sql: What was live at the peak
-- Question: when did each process use the most heap, and which call sites held it then?
-- Parameters: @limit (default 20): stacks shown.
-- Columns: first result: process_id, peak_live_bytes, peak_at_s (seconds after the
--   process started). Second: process_id, blocks, bytes live at the peak, site,
--   location, stack_id.
-- Run: sqlite3 trace.db < queries/peak.sql
.headers on
.mode column
SELECT s.process_id, s.peak_live_bytes,
       round((s.peak_ns - coalesce(p.start_ns, s.first_event_ns)) / 1e9, 6) AS peak_at_s
FROM process_stats s JOIN processes p ON p.process_id = s.process_id;
SELECT process_id, blocks, bytes, site, location, stack_id
FROM peak_by_stack
ORDER BY bytes DESC
LIMIT coalesce(@limit, 20);
