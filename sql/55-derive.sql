-- 55-derive.sql: derives, once after the load, what every analysis would otherwise
-- recompute per read: each stack's user frame (stack_sites, stack_functions),
-- per-process facts (process_info), realloc chains. 56-derive-blocks.sql derives the
-- per-block totals after it. Reads: the loaded tables, site_rules, analysis_params,
-- function_names. Writes those tables (emptied first). Re-run it after editing
-- site_rules:  sqlite3 trace.db < sql/55-derive.sql  (then 56-derive-blocks.sql, which
-- the hand-off sites and the sampled flag depend on).
DELETE FROM stack_sites;
DELETE FROM process_info;
DELETE FROM realloc_chains;
DELETE FROM stack_functions;
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
         coalesce(fn.short_name, s.function) AS short_name, s.file, s.line, m.path AS module, f.module_offset,
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

