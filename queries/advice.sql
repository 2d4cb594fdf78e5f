-- advice.sql: What to change
-- Question: what should I change in my code first, and why?
-- Parameters: @limit (default 20); @process (default: all).
-- Columns: process_id, rank, severity, kind, site, location, suggestion, evidence.
-- Run: sqlite3 trace.db < queries/advice.sql
.headers on
.mode column --wrap 0
SELECT process_id, rank, severity, kind, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, suggestion, evidence
FROM advice WHERE @process IS NULL OR process_id = @process
ORDER BY process_id, rank
LIMIT coalesce(@limit, 20);
SELECT process_id, note AS incomplete FROM data_gaps WHERE note <> ''
  AND (@process IS NULL OR process_id = @process);
