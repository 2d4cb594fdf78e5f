-- peak.sql: What was live at the peak
-- Question: when did each process use the most heap, and which of my sites held it then?
-- Parameters: @limit (default 20): sites shown; @process (default: all).
-- Columns: process_id, peak_bytes, peak_s (seconds from the process start), class, site,
--   location, blocks and bytes live at the peak, share (of peak_bytes).
-- Run: sqlite3 trace.db < queries/peak.sql
.headers on
.mode column --wrap 0
SELECT process_id, peak_bytes, printf('%.6f', peak_s) AS peak_s, class, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, blocks, bytes, share
FROM peak WHERE @process IS NULL OR process_id = @process
ORDER BY process_id, class_order, bytes DESC, site, location
LIMIT coalesce(@limit, 20);
