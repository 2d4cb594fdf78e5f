-- 55-derive.sql: derives, once after the load, what every analysis would otherwise
-- recompute per read: each stack's user frame (stack_sites), per-process facts
-- (process_info), per-stack totals, what was live at the peak, realloc chains.
-- Reads: the loaded tables, site_rules, analysis_params, function_names. Writes: the
-- derived tables of 15-tables-analyses.sql (emptied first). Re-run it after editing
-- site_rules or analysis_params:  sqlite3 trace.db < sql/55-derive.sql
DELETE FROM stack_sites;
DELETE FROM process_info;
DELETE FROM stack_totals;
DELETE FROM peak_stacks;
DELETE FROM realloc_chains;
DELETE FROM stack_functions;
DELETE FROM thread_pairs;
DELETE FROM bursts;
DELETE FROM stack_steps;
DELETE FROM stack_histograms;
DROP TABLE IF EXISTS temp.frame_kinds;
DROP TABLE IF EXISTS temp.stack_rows;

-- Every (frame, inlined function) with a label, whether it is the user's code (code in
-- no known module counts as the user's: nothing says it is the runtime's), and
-- whether it is the runtime's own code (in a runtime module, neither an allocator nor
-- standard-library template code): a block allocated below such a frame (a stdio
-- buffer, a thread's TLS) belongs to the runtime even when user code called it.
CREATE TEMP TABLE frame_kinds AS
WITH k AS (
  SELECT f.frame_id, coalesce(s.inline_depth, 0) AS inline_depth, s.function,
         fn.short_name, s.file, s.line, m.path AS module, f.module_offset,
         substr(m.path, length(rtrim(m.path, replace(m.path, '/', ''))) + 1) AS base
  FROM frames f
  LEFT JOIN modules m ON m.module_id = f.module_id
  LEFT JOIN symbols s ON s.frame_id = f.frame_id
  LEFT JOIN function_names fn ON fn.function = s.function
), c AS (
  SELECT k.*,
         EXISTS (SELECT 1 FROM site_rules r WHERE r.kind = 'runtime_module'
                 AND k.base GLOB r.pattern) AS in_runtime,
         k.short_name IS NOT NULL
           AND EXISTS (SELECT 1 FROM site_rules r WHERE r.kind IN ('allocator', 'std_code')
                       AND k.short_name GLOB r.pattern) AS is_library_code
  FROM k
)
SELECT frame_id, inline_depth, function, short_name, file, line, module,
       coalesce(short_name, base || '+0x' || printf('%x', module_offset),
                printf('0x%x', module_offset)) AS label,
       NOT coalesce(in_runtime, 0) AND NOT is_library_code AS is_user,
       module IS NOT NULL AND in_runtime AND NOT is_library_code AS is_runtime_own
FROM c;

-- The same, laid out per stack; k orders a stack's rows innermost first.
CREATE TEMP TABLE stack_rows AS
SELECT sf.stack_id, sf.position, sf.position * 4096 + fk.inline_depth AS k, fk.*
FROM stack_frames sf JOIN frame_kinds fk ON fk.frame_id = sf.frame_id;
CREATE INDEX temp.stack_rows_k ON stack_rows(stack_id, k);

INSERT INTO stack_sites
WITH u AS (SELECT stack_id, min(k) AS k FROM stack_rows WHERE is_user GROUP BY stack_id),
o AS (SELECT stack_id, min(k) AS k FROM stack_rows WHERE is_runtime_own GROUP BY stack_id),
a AS (SELECT stack_id, min(k) AS k FROM stack_rows WHERE function IS NOT NULL
      GROUP BY stack_id),
f AS (SELECT stack_id, min(k) AS k FROM stack_rows GROUP BY stack_id),
n AS (SELECT (SELECT value FROM analysis_params WHERE name = 'path_frames') AS n),
j AS (
  SELECT st.stack_id, u.stack_id IS NOT NULL AND (o.k IS NULL OR o.k > u.k) AS is_user,
         ur.label AS u_label, ur.file AS u_file, ur.line AS u_line, ur.module AS u_module,
         ur.function AS u_function, ur.position AS u_position,
         orr.label AS o_label, orr.file AS o_file, orr.line AS o_line,
         coalesce(ar.label, fr.label) AS a_label, ar.function AS a_function,
         coalesce(ar.file, fr.file) AS a_file, coalesce(ar.line, fr.line) AS a_line,
         coalesce(ar.module, fr.module) AS a_module
  FROM stacks st
  LEFT JOIN u ON u.stack_id = st.stack_id
  LEFT JOIN stack_rows ur ON ur.stack_id = u.stack_id AND ur.k = u.k
  LEFT JOIN o ON o.stack_id = st.stack_id
  LEFT JOIN stack_rows orr ON orr.stack_id = o.stack_id AND orr.k = o.k
  LEFT JOIN a ON a.stack_id = st.stack_id
  LEFT JOIN stack_rows ar ON ar.stack_id = a.stack_id AND ar.k = a.k
  LEFT JOIN f ON f.stack_id = st.stack_id
  LEFT JOIN stack_rows fr ON fr.stack_id = f.stack_id AND fr.k = f.k
)
SELECT j.stack_id,
       CASE WHEN j.is_user THEN j.u_label ELSE coalesce(j.o_label, j.a_label) END,
       CASE WHEN j.is_user THEN j.u_file || ':' || j.u_line
            WHEN j.o_label IS NOT NULL THEN j.o_file || ':' || j.o_line
            ELSE j.a_file || ':' || j.a_line END,
       CASE WHEN j.is_user THEN 'user' ELSE 'runtime' END,
       j.u_module, j.u_function, j.u_position, j.a_label, j.a_function,
       j.a_file || ':' || j.a_line, j.a_module,
       (SELECT group_concat(label, ' < ') FROM
          (SELECT x.label FROM stack_rows x WHERE x.stack_id = j.stack_id AND x.is_user
           ORDER BY x.k LIMIT (SELECT n FROM n)))
FROM j;

INSERT INTO stack_functions
SELECT DISTINCT stack_id, label FROM stack_rows WHERE is_user;

DROP TABLE temp.stack_rows;
DROP TABLE temp.frame_kinds;

-- Exit begins at the recorder's 'mtdb:exit' mark (written when exit() is called or main
-- returns); without it the trace cannot tell, and freed_at_exit stays unknown.
INSERT INTO process_info
SELECT p.process_id, coalesce(p.start_ns, s.first_event_ns),
       coalesce(p.end_ns, s.last_event_ns),
       (SELECT min(m.ts_ns) FROM marks m
        WHERE m.process_id = p.process_id AND m.label = 'mtdb:exit'),
       0, 0
FROM processes p LEFT JOIN process_stats s ON s.process_id = p.process_id;

INSERT INTO stack_totals
SELECT a.process_id, a.thread_id, a.stack_id, count(*), sum(a.weight),
       sum(a.size_bytes * a.weight), min(a.size_bytes), max(a.size_bytes),
       sum(a.free_ns IS NULL), sum(CASE WHEN a.free_ns IS NULL THEN a.size_bytes ELSE 0 END),
       min(CASE WHEN a.free_ns IS NULL THEN a.alloc_ns END),
       max(CASE WHEN a.free_ns IS NULL THEN a.alloc_ns END),
       sum(coalesce(a.free_ns >= pi.exit_begin_ns AND a.alloc_ns < pi.exit_begin_ns, 0)),
       sum(CASE WHEN a.free_ns >= pi.exit_begin_ns AND a.alloc_ns < pi.exit_begin_ns
                THEN a.size_bytes ELSE 0 END),
       sum(CASE WHEN a.size_bytes <= t.small
                 AND (a.free_ns IS NULL OR a.free_ns >= pi.exit_begin_ns
                      OR a.free_ns - a.alloc_ns >= l.long_ns) THEN 1 ELSE 0 END),
       min(CASE WHEN a.size_bytes <= t.small
                 AND (a.free_ns IS NULL OR a.free_ns >= pi.exit_begin_ns
                      OR a.free_ns - a.alloc_ns >= l.long_ns) THEN a.alloc_ns END),
       max(CASE WHEN a.size_bytes <= t.small
                 AND (a.free_ns IS NULL OR a.free_ns >= pi.exit_begin_ns
                      OR a.free_ns - a.alloc_ns >= l.long_ns) THEN a.alloc_ns END),
       sum((max(32, (a.size_bytes + 8 + 15) / 16 * 16) - a.size_bytes) * a.weight),
       sum(CASE WHEN a.free_thread_id = a.thread_id AND a.free_ns - a.alloc_ns <= t.ns
                THEN a.weight ELSE 0 END),
       sum(CASE WHEN a.free_thread_id = a.thread_id AND a.free_ns - a.alloc_ns <= t.ns
                THEN a.size_bytes * a.weight ELSE 0 END),
       sum(CASE WHEN a.free_thread_id <> a.thread_id THEN a.weight ELSE 0 END),
       sum(CASE WHEN a.free_ns IS NOT NULL THEN (a.free_ns - a.alloc_ns) * a.weight ELSE 0 END),
       min(a.alloc_ns), max(a.alloc_ns)
FROM allocations a JOIN process_info pi ON pi.process_id = a.process_id
JOIN (SELECT process_id, max(end_ns - t0_ns, 1) * (SELECT value FROM analysis_params
                                                  WHERE name = 'long_lived_share') AS long_ns
      FROM process_info) l ON l.process_id = a.process_id,
     (SELECT (SELECT value FROM analysis_params WHERE name = 'temporary_us') * 1000 AS ns,
             (SELECT value FROM analysis_params WHERE name = 'small_bytes') AS small) t
GROUP BY a.process_id, a.thread_id, a.stack_id;

-- Under sampling the rows without a stack are already counted in the weights of the
-- sampled rows: their group keeps only what no weight accounts for.
UPDATE stack_totals AS g SET
  blocks = max(0, g.rows - x.extra),
  bytes = CASE WHEN g.rows > 0 THEN g.bytes * max(0, g.rows - x.extra) / g.rows ELSE 0 END,
  temp_blocks = CASE WHEN g.rows > 0 THEN g.temp_blocks * max(0, g.rows - x.extra) / g.rows
                ELSE 0 END,
  cross_blocks = CASE WHEN g.rows > 0 THEN g.cross_blocks * max(0, g.rows - x.extra) / g.rows
                 ELSE 0 END
FROM (SELECT process_id, thread_id, sum(blocks - rows) AS extra FROM stack_totals
      WHERE stack_id IS NOT NULL GROUP BY process_id, thread_id) x
WHERE g.stack_id IS NULL AND x.process_id = g.process_id AND x.thread_id = g.thread_id
  AND x.extra > 0;

UPDATE process_info AS pi SET
  sampled = coalesce((SELECT max(g.blocks > g.rows) FROM stack_totals g
                      WHERE g.process_id = pi.process_id AND g.stack_id IS NOT NULL), 0),
  unstacked_rows = coalesce((SELECT sum(g.rows) FROM stack_totals g
                             WHERE g.process_id = pi.process_id AND g.stack_id IS NULL), 0);

INSERT INTO peak_stacks
SELECT a.process_id, a.stack_id, count(*), sum(a.size_bytes)
FROM allocations a JOIN process_stats s ON s.process_id = a.process_id
WHERE a.alloc_ns <= s.peak_ns AND (a.free_ns IS NULL OR a.free_ns > s.peak_ns)
GROUP BY a.process_id, a.stack_id;

-- A chain starts at a block that a realloc replaced and that no realloc produced.
CREATE INDEX IF NOT EXISTS allocations_prev ON allocations(prev_block_id)
  WHERE prev_block_id IS NOT NULL;
INSERT INTO realloc_chains
WITH RECURSIVE chain(first, block_id, len, moves, moved, size, address) AS (
  SELECT a.block_id, a.block_id, 1, 0, 0, a.size_bytes, a.address
  FROM (SELECT DISTINCT prev_block_id AS id FROM allocations
        WHERE prev_block_id IS NOT NULL) r
  JOIN allocations a ON a.block_id = r.id
  WHERE a.prev_block_id IS NULL
  UNION ALL
  SELECT c.first, n.block_id, c.len + 1, c.moves + (n.address <> c.address),
         c.moved + CASE WHEN n.address <> c.address THEN min(c.size, n.size_bytes) ELSE 0 END,
         n.size_bytes, n.address
  FROM chain c JOIN allocations n ON n.prev_block_id = c.block_id
)
SELECT a.process_id, a.thread_id, c.first, a.stack_id, max(c.len), c.moves, c.moved, c.size
FROM chain c JOIN allocations a ON a.block_id = c.first
GROUP BY c.first;

-- Hand-offs: every freed block, ranked by lifetime within its group: per thread pair
-- ('threads') and per thread pair and user sites ('sites').
DROP TABLE IF EXISTS temp.freed;
CREATE TEMP TABLE freed AS
SELECT a.process_id, a.thread_id, a.free_thread_id, a.stack_id, a.free_stack_id,
       a.size_bytes, a.free_ns - a.alloc_ns AS ns
FROM allocations a WHERE a.free_ns IS NOT NULL;

INSERT INTO thread_pairs
WITH r AS (
  SELECT *, row_number() OVER w AS rank, count(*) OVER w2 AS n
  FROM freed
  WINDOW w AS (PARTITION BY process_id, thread_id, free_thread_id ORDER BY ns),
         w2 AS (PARTITION BY process_id, thread_id, free_thread_id)
)
SELECT 'threads', process_id, thread_id, free_thread_id, NULL, NULL, count(*), sum(size_bytes),
       max(CASE WHEN rank = (n + 1) / 2 THEN ns END),
       max(CASE WHEN rank = (9 * n + 9) / 10 THEN ns END), max(ns)
FROM r GROUP BY process_id, thread_id, free_thread_id;

INSERT INTO thread_pairs
WITH b AS (
  SELECT f.process_id, f.thread_id, f.free_thread_id, f.size_bytes, f.ns,
         coalesce(sa.site, '(no stack)')
           || coalesce(' (' || substr(sa.location, length(rtrim(sa.location,
                replace(sa.location, '/', ''))) + 1) || ')', '') AS alloc_site,
         sf.site || coalesce(' (' || substr(sf.location, length(rtrim(sf.location,
                replace(sf.location, '/', ''))) + 1) || ')', '') AS free_site
  FROM freed f
  LEFT JOIN stack_sites sa ON sa.stack_id = f.stack_id
  LEFT JOIN stack_sites sf ON sf.stack_id = f.free_stack_id
  WHERE f.free_thread_id <> f.thread_id
), r AS (
  SELECT *, row_number() OVER w AS rank, count(*) OVER w2 AS n
  FROM b
  WINDOW w AS (PARTITION BY process_id, thread_id, free_thread_id, alloc_site, free_site
               ORDER BY ns),
         w2 AS (PARTITION BY process_id, thread_id, free_thread_id, alloc_site, free_site)
)
SELECT 'sites', process_id, thread_id, free_thread_id, alloc_site, free_site, count(*),
       sum(size_bytes),
       max(CASE WHEN rank = (n + 1) / 2 THEN ns END),
       max(CASE WHEN rank = (9 * n + 9) / 10 THEN ns END), max(ns)
FROM r GROUP BY process_id, thread_id, free_thread_id, alloc_site, free_site;
DROP TABLE temp.freed;

-- Bursts, per thread, in windows of burst_ms: a window with burst_factor times the
-- thread's median per active window (the median: a burst does not raise it).
INSERT INTO bursts
WITH p AS (SELECT (SELECT value FROM analysis_params WHERE name = 'burst_ms') * 1000000 AS w,
                  (SELECT value FROM analysis_params WHERE name = 'burst_factor') AS f,
                  (SELECT value FROM analysis_params WHERE name = 'min_blocks') AS m),
win AS (SELECT a.process_id, a.thread_id, a.alloc_ns / p.w AS k, sum(a.weight) AS blocks,
               sum(a.size_bytes * a.weight) AS bytes
        FROM allocations a, p GROUP BY a.process_id, a.thread_id, k),
ranked AS (SELECT thread_id, blocks,
                  row_number() OVER (PARTITION BY thread_id ORDER BY blocks) AS r,
                  count(*) OVER (PARTITION BY thread_id) AS n
           FROM win),
median AS (SELECT thread_id, max(blocks) AS median FROM ranked WHERE r = (n + 1) / 2
           GROUP BY thread_id)
SELECT win.process_id, win.thread_id, win.k * p.w, win.blocks, win.bytes, median.median
FROM win JOIN median ON median.thread_id = win.thread_id, p
WHERE win.blocks >= p.f * median.median AND win.blocks >= p.m;

-- Growth: bytes allocated minus freed per stack in each of growth_steps steps of the run
-- while the program ran: up to the start of exit when known (what exit handlers free
-- is not a shrinking site).
INSERT INTO stack_steps
WITH p AS (SELECT (SELECT value FROM analysis_params WHERE name = 'growth_steps') AS n),
span AS (SELECT process_id, t0_ns, coalesce(exit_begin_ns, end_ns) AS until,
                max(coalesce(exit_begin_ns, end_ns) - t0_ns, 1) AS len FROM process_info),
e AS (SELECT a.process_id, a.stack_id, a.alloc_ns AS ts, a.size_bytes AS db, 1 AS dn
      FROM allocations a
      UNION ALL
      SELECT a.process_id, a.stack_id, a.free_ns, -a.size_bytes, -1
      FROM allocations a WHERE a.free_ns IS NOT NULL)
SELECT e.process_id, e.stack_id,
       max(0, min(CAST((e.ts - s.t0_ns) * 1.0 * p.n / s.len AS INTEGER), p.n - 1)) AS step,
       sum(e.db), sum(e.dn)
FROM e JOIN span s ON s.process_id = e.process_id, p
WHERE e.ts < s.until OR s.until IS NULL
GROUP BY e.process_id, e.stack_id, step;

-- Histograms of lifetimes (freed blocks) and sizes, log2 buckets.
INSERT INTO stack_histograms
SELECT process_id, stack_id, 'lifetime',
       CASE WHEN free_ns - alloc_ns < 1000 THEN -1
            ELSE CAST(log2((free_ns - alloc_ns) / 1000.0) AS INTEGER) END AS bucket,
       sum(weight), sum(size_bytes * weight)
FROM allocations WHERE free_ns IS NOT NULL
GROUP BY process_id, stack_id, bucket;
INSERT INTO stack_histograms
SELECT process_id, stack_id, 'size',
       CASE WHEN size_bytes = 0 THEN -1 ELSE CAST(log2(size_bytes) AS INTEGER) END AS bucket,
       sum(weight), sum(size_bytes * weight)
FROM allocations
GROUP BY process_id, stack_id, bucket;
