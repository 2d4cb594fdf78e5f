-- bottlenecks.sql: Allocation patterns that cost time
-- Question: which sites make short-lived temporaries, many tiny blocks, long realloc
--   chains, and which threads allocate in bursts?
-- Parameters: @limit (default 30); @process (default: all). Thresholds live in the
--   analysis_params table (docs/analyses.md): UPDATE it, then sqlite3 trace.db <
--   sql/55-derive.sql.
-- Columns: process_id, kind (temporary, tiny_frequent, realloc_chain, burst), severity
--   (high, medium, low), site, location, thread (burst only), blocks, bytes, evidence.
-- Run: sqlite3 trace.db < queries/bottlenecks.sql
.headers on
.mode column --wrap 0
SELECT b.process_id, b.kind, b.severity, b.site, replace(b.location, rtrim(b.location, replace(b.location, '/', '')), '') AS location,
       n.thread, b.blocks, b.bytes, b.evidence
FROM bottlenecks b LEFT JOIN thread_names n ON n.thread_id = b.thread_id
WHERE @process IS NULL OR b.process_id = @process
ORDER BY b.process_id, CASE b.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
         b.class_order, b.blocks DESC, b.kind, b.site
LIMIT coalesce(@limit, 30);
SELECT process_id, note AS incomplete FROM data_gaps WHERE note <> ''
  AND (@process IS NULL OR process_id = @process);
