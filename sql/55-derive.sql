-- 55-derive.sql: derives, once after the load, what every analysis would otherwise
-- recompute per read: each stack's user frame (site_labels and stacks.site_label_id, the
-- stack_sites view; function_sets and stacks.set_id, the stack_functions view),
-- per-process facts (process_info), realloc chains.
-- 56-derive-blocks.sql derives the per-block totals after it. Reads: the loaded tables,
-- site_rules, analysis_params, function_names. Writes those tables (emptied first).
-- Re-run it after editing site_rules:  sqlite3 trace.db < sql/55-derive.sql  (then
-- 56-derive-blocks.sql, which the hand-off sites and the sampled flag depend on).
DELETE FROM site_labels;
DELETE FROM process_info;
DELETE FROM realloc_chains;
DELETE FROM function_sets;
DELETE FROM function_labels;
DROP TABLE IF EXISTS temp.frame_kinds;
DROP TABLE IF EXISTS temp.frame_firsts;
DROP TABLE IF EXISTS temp.stack_firsts;
DROP TABLE IF EXISTS temp.stack_site_rows;
DROP TABLE IF EXISTS temp.stack_site_firsts;
DROP TABLE IF EXISTS temp.stack_site_ids;

-- Every (frame, inlined function) with a label, whether it is the user's code (code in
-- no known module counts as the user's: nothing says it is the runtime's), and
-- whether it is the runtime's own code (in a runtime module, neither an allocator nor
-- standard-library template code): a block allocated below such a frame (a stdio
-- buffer, a thread's TLS) belongs to the runtime even when user code called it. The
-- rules are matched once per module and once per function name (mk, nk), not twice per
-- row (a compiler's 8,458 rows: 0.025 s of CPU instead of 0.40 s); a name rule without
-- a wildcard is looked up in site_rules' key, so only the GLOB rules (fn_globs) are
-- tried one by one against every function name. A frame without a name is matched by
-- its label (module+0xoffset), against the rules written for labels (label_globs) and a
-- rule that is the label itself (the advice view suggests one for a stripped wrapper):
-- the hidden functions of a stripped libstdc++ are the library's code, not the runtime's.
-- A function whose code is in a library's header (library_file rules, matched once per
-- file: fk) is library code too.
CREATE TEMP TABLE frame_kinds AS
WITH fn_globs AS MATERIALIZED (
  SELECT pattern FROM site_rules WHERE kind IN ('allocator', 'std_code')
  AND (instr(pattern, '*') OR instr(pattern, '?') OR instr(pattern, '['))
), label_globs AS MATERIALIZED (
  SELECT pattern FROM fn_globs WHERE instr(pattern, '+0x')
), mk AS MATERIALIZED (
  SELECT module_id, path, base,
         EXISTS (SELECT 1 FROM site_rules r WHERE r.kind = 'runtime_module'
                 AND base GLOB r.pattern) AS in_runtime
  FROM (SELECT module_id, path,
               substr(path, length(rtrim(path, replace(path, '/', ''))) + 1) AS base
        FROM modules)
), nk AS MATERIALIZED (
  SELECT function, short_name,
         EXISTS (SELECT 1 FROM site_rules r WHERE r.kind IN ('allocator', 'std_code')
                 AND r.pattern = short_name)
         OR EXISTS (SELECT 1 FROM fn_globs g WHERE short_name GLOB g.pattern)
         AS is_library_code
  FROM (SELECT DISTINCT s.function, coalesce(fn.short_name, s.function) AS short_name
        FROM symbols s LEFT JOIN function_names fn ON fn.function = s.function
        WHERE s.function IS NOT NULL)
), fk AS MATERIALIZED (
  SELECT file, EXISTS (SELECT 1 FROM site_rules r WHERE r.kind = 'library_file'
                       AND file GLOB r.pattern) AS in_library
  FROM (SELECT DISTINCT file FROM symbols WHERE file IS NOT NULL)
), c AS (
  SELECT f.frame_id, coalesce(s.inline_depth, 0) AS inline_depth, s.function,
         nk.short_name, s.file, s.line, mk.path AS module, f.module_offset, mk.base,
         coalesce(mk.in_runtime, 0) AS in_runtime,
         coalesce(nk.is_library_code, 0) OR coalesce(fk.in_library, 0) AS named_library_code,
         coalesce(nk.short_name, mk.base || '+0x' || printf('%x', f.module_offset),
                  printf('0x%x', f.module_offset)) AS label
  FROM frames f
  LEFT JOIN mk ON mk.module_id = f.module_id
  LEFT JOIN symbols s ON s.frame_id = f.frame_id
  LEFT JOIN nk ON nk.function = s.function
  LEFT JOIN fk ON fk.file = s.file
), k AS (
  SELECT *, named_library_code OR (short_name IS NULL AND (EXISTS (
           SELECT 1 FROM label_globs g WHERE label GLOB g.pattern) OR EXISTS (
           SELECT 1 FROM site_rules r WHERE r.kind IN ('allocator', 'std_code')
           AND r.pattern = label))) AS is_library_code
  FROM c
)
SELECT frame_id, inline_depth, function, short_name, file, line, module, label,
       NOT in_runtime AND NOT is_library_code AS is_user,
       module IS NOT NULL AND in_runtime AND NOT is_library_code AS is_runtime_own
FROM k;

-- [per-stack part] From here to its end mark the rows are per stack: `mtdb import`
-- computes the same rows on the stack tree instead (importer/imp_stack_sites.c: each
-- answer per tree node, from its parent's), so its cost follows the nodes, not the frames
-- of every stack. This text stays the reference (tests compare the two).
--
-- Per frame, the first row (the innermost inlined function first) of each kind; then per
-- stack, in one pass over stack_frames, the first row of each kind from the innermost
-- frame (k = position * 4096 + inline_depth). Nothing wide is laid out per stack row.
CREATE TEMP TABLE frame_firsts AS
SELECT frame_id,
       min(CASE WHEN is_user THEN inline_depth END) AS u,
       min(CASE WHEN is_runtime_own THEN inline_depth END) AS o,
       min(CASE WHEN function IS NOT NULL THEN inline_depth END) AS a,
       min(inline_depth) AS f,
       max(is_user) AS any_user
FROM frame_kinds GROUP BY frame_id;
CREATE INDEX temp.frame_kinds_key ON frame_kinds(frame_id, inline_depth);


CREATE TEMP TABLE stack_firsts AS
SELECT sf.stack_id,
       min(sf.position * 4096 + ff.u) AS uk, min(sf.position * 4096 + ff.o) AS ok,
       min(sf.position * 4096 + ff.a) AS ak, min(sf.position * 4096 + ff.f) AS fk
FROM stack_frames sf JOIN frame_firsts ff ON ff.frame_id = sf.frame_id
GROUP BY sf.stack_id;

CREATE TEMP TABLE stack_site_rows AS
WITH n AS (SELECT (SELECT value FROM analysis_params WHERE name = 'path_frames') AS n),
r AS (
  SELECT sx.stack_id, sx.uk, sx.ok, sx.ak, sx.fk,
         (SELECT frame_id FROM stack_frames WHERE stack_id = sx.stack_id AND position = sx.uk / 4096) AS uf,
         (SELECT frame_id FROM stack_frames WHERE stack_id = sx.stack_id AND position = sx.ok / 4096) AS of_,
         (SELECT frame_id FROM stack_frames WHERE stack_id = sx.stack_id AND position = sx.ak / 4096) AS af,
         (SELECT frame_id FROM stack_frames WHERE stack_id = sx.stack_id AND position = sx.fk / 4096) AS ff
  FROM stacks st LEFT JOIN stack_firsts sx ON sx.stack_id = st.stack_id
),
j AS (
  SELECT r.stack_id, r.uk IS NOT NULL AND (r.ok IS NULL OR r.ok > r.uk) AS is_user,
         ur.label AS u_label, ur.file AS u_file, ur.line AS u_line, ur.module AS u_module,
         ur.function AS u_function, r.uk / 4096 AS u_position,
         orr.label AS o_label, orr.file AS o_file, orr.line AS o_line,
         coalesce(ar.label, fr.label) AS a_label, ar.function AS a_function,
         coalesce(ar.file, fr.file) AS a_file, coalesce(ar.line, fr.line) AS a_line,
         coalesce(ar.module, fr.module) AS a_module
  FROM r
  LEFT JOIN frame_kinds ur ON ur.frame_id = r.uf AND ur.inline_depth = r.uk % 4096
  LEFT JOIN frame_kinds orr ON orr.frame_id = r.of_ AND orr.inline_depth = r.ok % 4096
  LEFT JOIN frame_kinds ar ON ar.frame_id = r.af AND ar.inline_depth = r.ak % 4096
  LEFT JOIN frame_kinds fr ON fr.frame_id = r.ff AND fr.inline_depth = r.fk % 4096
)
SELECT j.stack_id,
       CASE WHEN j.is_user THEN j.u_label ELSE coalesce(j.o_label, j.a_label) END AS site,
       CASE WHEN j.is_user THEN j.u_file || ':' || j.u_line
            WHEN j.o_label IS NOT NULL THEN j.o_file || ':' || j.o_line
            ELSE j.a_file || ':' || j.a_line END AS location,
       CASE WHEN j.is_user THEN 'user' WHEN j.o_label IS NOT NULL THEN 'runtime' ELSE 'unknown' END
         AS class,
       j.u_module AS module, j.u_function AS user_function, j.u_position AS user_position,
       j.a_label AS alloc_site, j.a_function AS alloc_function,
       j.a_file || ':' || j.a_line AS alloc_location, j.a_module AS alloc_module,
       (SELECT group_concat(label, ' < ') FROM
          (SELECT fk.label FROM stack_frames x JOIN frame_kinds fk ON fk.frame_id = x.frame_id
           WHERE x.stack_id = j.stack_id AND x.position >= j.u_position AND fk.is_user
           ORDER BY x.position, fk.inline_depth LIMIT (SELECT n FROM n))) AS path
FROM j;

-- Each distinct row once (GROUP BY and PARTITION BY take NULLs as equal), numbered in
-- the order of the first stack that has it; every stack refers to its row.
CREATE TEMP TABLE stack_site_firsts AS
SELECT stack_id, min(stack_id) OVER (PARTITION BY site, location, class, module,
         user_function, user_position, alloc_site, alloc_function, alloc_location,
         alloc_module, path) AS first
FROM temp.stack_site_rows;
CREATE TEMP TABLE stack_site_ids AS
SELECT stack_id, dense_rank() OVER (ORDER BY first) AS site_label_id
FROM temp.stack_site_firsts;
INSERT INTO site_labels
SELECT l.site_label_id, r.site, r.location, r.class, r.module, r.user_function,
       r.user_position, r.alloc_site, r.alloc_function, r.alloc_location, r.alloc_module,
       r.path
FROM temp.stack_site_firsts f JOIN temp.stack_site_rows r ON r.stack_id = f.stack_id
JOIN temp.stack_site_ids l ON l.stack_id = f.stack_id
WHERE f.first = f.stack_id ORDER BY l.site_label_id;
DROP TABLE temp.stack_site_firsts;
DROP TABLE temp.stack_site_rows;

-- Each stack's set of user function labels; stacks with equal sets share a set_id. The
-- ids are ranks (a label's bytes, a set's JSON text), so the importer's tables are these.
INSERT INTO function_labels
SELECT row_number() OVER (ORDER BY label), label
FROM (SELECT DISTINCT label FROM frame_kinds WHERE is_user);
CREATE TEMP TABLE stack_labels (
  stack_id INTEGER NOT NULL,
  function_id INTEGER NOT NULL,
  PRIMARY KEY (stack_id, function_id)   -- the order json_group_array reads them in
) WITHOUT ROWID;
INSERT OR IGNORE INTO temp.stack_labels
SELECT sf.stack_id, l.function_id
FROM stack_frames sf JOIN frame_firsts ff ON ff.frame_id = sf.frame_id AND ff.any_user
JOIN frame_kinds fk ON fk.frame_id = sf.frame_id AND fk.is_user
JOIN function_labels l ON l.function = fk.label;
-- Set ids from the last text: a set's text sorts before that of a set it extends
-- ('[1,2,3]' < '[1,2]'), so the full set of a deep program's many stacks gets the
-- highest id, and SQLite's GROUP BY over the stacks in hotspot_functions sorts them
-- faster so (2 M stacks: 0.95 s against 1.13 s of CPU with the ids the other way).
CREATE TEMP TABLE stack_sets AS
SELECT stack_id, dense_rank() OVER (ORDER BY function_ids DESC) AS set_id, function_ids
FROM (SELECT stack_id, json_group_array(function_id) AS function_ids FROM temp.stack_labels
      GROUP BY stack_id);
INSERT INTO function_sets SELECT DISTINCT set_id, function_ids FROM temp.stack_sets;
-- Each stack's site and set, written into its row once (every stack has a site row).
UPDATE stacks SET site_label_id = l.site_label_id, set_id = ss.set_id
FROM temp.stack_site_ids l LEFT JOIN temp.stack_sets ss ON ss.stack_id = l.stack_id
WHERE stacks.stack_id = l.stack_id;

DROP TABLE temp.stack_site_ids;
DROP TABLE temp.stack_sets;
DROP TABLE temp.stack_labels;
DROP TABLE temp.stack_firsts;
DROP TABLE temp.frame_firsts;
-- [end of the per-stack part]
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

