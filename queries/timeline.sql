-- timeline.sql: How the heap grew over time
-- Question: how many bytes and blocks were live during the run, per process, step by step?
-- Parameters: @steps (default 40): how many equal time steps the run is cut into.
-- Columns: process_id, step, t_s (end of the step, seconds after the process's first
--   recorded allocation), live_bytes and live_blocks at the end of the step,
--   allocated_bytes and freed_bytes during the step. Steps without events are left out.
-- Run: sqlite3 trace.db < queries/timeline.sql
.headers on
.mode column
WITH params AS (SELECT coalesce(@steps, 40) AS n),
span AS (
  SELECT process_id, min(ts_ns) AS t0, max(max(ts_ns) - min(ts_ns), 1) AS len_ns
  FROM heap_events GROUP BY process_id
),
steps AS (
  SELECT e.process_id,
         min(CAST((e.ts_ns - s.t0) * 1.0 * p.n / s.len_ns AS INTEGER), p.n - 1) AS step,
         sum(max(e.delta_bytes, 0)) AS allocated_bytes,
         -sum(min(e.delta_bytes, 0)) AS freed_bytes,
         sum(e.delta_bytes) AS net_bytes, sum(e.delta_blocks) AS net_blocks
  FROM heap_events e JOIN span s ON s.process_id = e.process_id, params p
  GROUP BY e.process_id, step
)
SELECT st.process_id, st.step,
       round((st.step + 1) * s.len_ns / p.n / 1e9, 6) AS t_s,
       sum(st.net_bytes) OVER w AS live_bytes,
       sum(st.net_blocks) OVER w AS live_blocks,
       st.allocated_bytes, st.freed_bytes
FROM steps st JOIN span s ON s.process_id = st.process_id, params p
WINDOW w AS (PARTITION BY st.process_id ORDER BY st.step ROWS UNBOUNDED PRECEDING)
ORDER BY st.process_id, st.step;
