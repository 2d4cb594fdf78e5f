-- growth.sql: What keeps growing
-- Question: which of my sites hold more and more memory as the program runs (a slow leak,
--   a cache without bound)?
-- Parameters: @limit (default 20); @process (default: all). Steps: analysis_params
--   'growth_steps' (default 20).
-- Columns: process_id, site, location, live_bytes_end (live at the end of the last step),
--   slope_bytes_per_s (least-squares trend of the live bytes over the steps), r2 (1 =
--   steady line, 0 = no trend), trend (growing/shrinking: r2 >= 0.8; else steady).
-- Run: sqlite3 trace.db < queries/growth.sql
.headers on
.mode column --wrap 0
SELECT process_id, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, live_bytes_end, slope_bytes_per_s, r2, trend
FROM growth WHERE @process IS NULL OR process_id = @process
ORDER BY process_id, trend = 'growing' DESC, live_bytes_end DESC, site, location
LIMIT coalesce(@limit, 20);
