-- 80-views-analyses.sql: the analyses, one view each (docs/analyses.md): leaks,
-- hotspots, bottlenecks, thread_interaction, handoffs, peak, timeline, growth,
-- lifetimes, fragmentation, advice, plus data_gaps (what is incomplete), name_gaps
-- (user sites without a function name), block_sites,
-- leak_blocks and hotspot_functions (site_totals is a table: 56-derive-blocks.sql).
-- Reads: the derived tables of 55-derive.sql, views of 60. Units: *_s seconds from the
-- process's start (process_info.t0_ns), *_us microseconds, bytes. Block counts are sums
-- of sampling weights for flows (calls, temporaries) and exact rows for what was live.

-- What is incomplete, per process; note is '' when nothing is.
CREATE VIEW data_gaps AS
SELECT s.process_id, s.dropped_events, s.skipped_events, pi.unstacked_rows, pi.sampled,
       pi.exit_begin_ns IS NOT NULL AS exit_known,
       rtrim(CASE WHEN s.dropped_events > 0
                  THEN s.dropped_events || ' events dropped by the recorder; ' ELSE '' END
          || CASE WHEN s.skipped_events > 0
                  THEN s.skipped_events || ' events skipped by the import (damaged trace); '
                  ELSE '' END
          || CASE WHEN pi.sampled
                  THEN 'stacks were sampled: per-site counts are estimates (weights); '
                  WHEN pi.unstacked_rows > 0
                  THEN pi.unstacked_rows || ' blocks have no stack (class unknown); '
                  ELSE '' END, '; ') AS note
FROM summary s JOIN process_info pi ON pi.process_id = s.process_id;

-- Per process with any: the user sites named only by their address (module+0xoffset),
-- because their module has no name for that code (a stripped program with no debug
-- file); modules lists those modules, most blocks first. No row: every site is named.
-- A module whose file could not be read at import is left to its missing_module row.
CREATE VIEW name_gaps AS
WITH u AS (
  SELECT t.process_id, t.module, t.site, t.blocks,
         substr(t.module, length(rtrim(t.module, replace(t.module, '/', ''))) + 1) AS base
  FROM site_totals t WHERE t.class = 'user' AND t.module IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM import_problems p WHERE p.kind = 'missing_module'
                  AND p.message LIKE 'module ' || t.module || ' cannot be read%')
), m AS (
  SELECT process_id, base, count(*) AS sites, sum(blocks) AS blocks FROM u
  WHERE substr(site, 1, length(base) + 3) = base || '+0x'
  GROUP BY process_id, module ORDER BY process_id, blocks DESC, base
)
SELECT process_id, sum(sites) AS unnamed_sites, sum(blocks) AS unnamed_blocks,
       group_concat(base, ', ') AS modules,
       'install debug symbols (Debian: -dbgsym packages) or build with -g, then import again'
       AS fix
FROM m GROUP BY process_id;

-- One row per block, in the words of the user's code.
CREATE VIEW block_sites AS
SELECT a.block_id, a.process_id, a.thread_id, a.free_thread_id, a.stack_id,
       coalesce(ss.class, 'unknown') AS class, coalesce(ss.site, '(no stack)') AS site,
       ss.location, ss.path, a.size_bytes, a.weight,
       round((a.alloc_ns - pi.t0_ns) / 1e9, 6) AS alloc_s,
       round((a.free_ns - pi.t0_ns) / 1e9, 6) AS free_s,
       round((a.free_ns - a.alloc_ns) / 1e3, 3) AS lifetime_us,
       a.free_ns IS NULL AS live_at_exit,
       CASE WHEN pi.exit_begin_ns IS NULL THEN NULL
            ELSE a.alloc_ns < pi.exit_begin_ns AND a.free_ns >= pi.exit_begin_ns END
         AS freed_at_exit
FROM allocations a
JOIN process_info pi ON pi.process_id = a.process_id
LEFT JOIN stack_site_labels ssl ON ssl.stack_id = a.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id;

-- leaks: live at exit by user site (kind 'live_at_exit'), and live when exit began but
-- freed by exit handlers or static destructors (kind 'freed_at_exit'). Exact rows.
CREATE VIEW leaks AS
SELECT t.process_id, t.class, t.site, t.location, t.module, t.path, 'live_at_exit' AS kind,
       t.live_blocks AS blocks, t.live_bytes AS bytes,
       round((t.first_live_ns - pi.t0_ns) / 1e9, 6) AS first_alloc_s,
       round((t.last_live_ns - pi.t0_ns) / 1e9, 6) AS last_alloc_s,
       (g.note <> '' OR t.class = 'unknown') AS incomplete, t.class_order
FROM site_totals t JOIN process_info pi ON pi.process_id = t.process_id
JOIN data_gaps g ON g.process_id = t.process_id
WHERE t.live_blocks > 0
UNION ALL
SELECT t.process_id, t.class, t.site, t.location, t.module, t.path, 'freed_at_exit',
       t.exit_blocks, t.exit_bytes, NULL, NULL,
       (g.note <> '' OR t.class = 'unknown'), t.class_order
FROM site_totals t JOIN data_gaps g ON g.process_id = t.process_id
WHERE t.exit_blocks > 0;

-- Every block live at exit.
CREATE VIEW leak_blocks AS
SELECT a.process_id, a.block_id, coalesce(ss.class, 'unknown') AS class,
       coalesce(ss.site, '(no stack)') AS site, ss.location, a.size_bytes,
       round((a.alloc_ns - pi.t0_ns) / 1e9, 6) AS alloc_s, a.thread_id, a.weight
FROM allocations a
JOIN process_info pi ON pi.process_id = a.process_id
LEFT JOIN stack_site_labels ssl ON ssl.stack_id = a.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id
WHERE a.free_ns IS NULL;

-- hotspots: allocations by user site (weighted calls and bytes).
CREATE VIEW hotspots AS
SELECT process_id, class, site, location, path, blocks AS calls, bytes,
       bytes / max(blocks, 1) AS avg_bytes, class_order
FROM site_totals WHERE blocks > 0;

-- Per user function: self (it is the stack's user frame) and inclusive (it is anywhere
-- among the stack's user frames, once per stack) calls and bytes.
-- Stacks are summed per (function set, site) first: a recursive program has millions of
-- stacks and a handful of sets; each set's function ids are then grouped as integers
-- (the site's id looked up once per set and site), their names joined last.
CREATE VIEW hotspot_functions AS
WITH per_set AS (
  SELECT t.process_id, s.set_id, ss.site, sum(t.blocks) AS calls, sum(t.bytes) AS bytes
  FROM stack_totals t JOIN stack_function_sets s ON s.stack_id = t.stack_id
  JOIN stack_sites ss ON ss.stack_id = t.stack_id
  GROUP BY t.process_id, s.set_id, ss.site
), per_function AS (
  SELECT p.process_id, j.value AS function_id,
         sum(CASE WHEN j.value = site.function_id THEN p.calls ELSE 0 END) AS self_calls,
         sum(CASE WHEN j.value = site.function_id THEN p.bytes ELSE 0 END) AS self_bytes,
         sum(p.calls) AS inclusive_calls, sum(p.bytes) AS inclusive_bytes
  FROM per_set p LEFT JOIN function_labels site ON site.function = p.site
  JOIN function_sets f ON f.set_id = p.set_id, json_each(f.function_ids) j
  GROUP BY p.process_id, j.value
)
SELECT p.process_id, l.function, p.self_calls, p.self_bytes, p.inclusive_calls,
       p.inclusive_bytes
FROM per_function p JOIN function_labels l ON l.function_id = p.function_id;

-- The parameters as one row, for the views below.
CREATE VIEW params AS
SELECT (SELECT value FROM analysis_params WHERE name = 'temporary_us') AS temporary_us,
       (SELECT value FROM analysis_params WHERE name = 'tiny_bytes') AS tiny_bytes,
       (SELECT value FROM analysis_params WHERE name = 'tiny_per_s') AS tiny_per_s,
       (SELECT value FROM analysis_params WHERE name = 'min_blocks') AS min_blocks,
       (SELECT value FROM analysis_params WHERE name = 'burst_ms') AS burst_ms,
       (SELECT value FROM analysis_params WHERE name = 'growth_steps') AS growth_steps,
       (SELECT value FROM analysis_params WHERE name = 'timeline_steps') AS timeline_steps;

-- bottlenecks: kind, severity (rule in docs/analyses.md) and evidence.
CREATE VIEW bottlenecks AS
SELECT t.process_id, 'temporary' AS kind,
       CASE WHEN t.temp_blocks >= 100 * p.min_blocks AND t.temp_blocks * 2 >= t.blocks THEN 'high'
            WHEN t.temp_blocks >= 10 * p.min_blocks THEN 'medium' ELSE 'low' END AS severity,
       t.site, t.location, NULL AS thread_id, t.temp_blocks AS blocks, t.temp_bytes AS bytes,
       round(1.0 * t.temp_blocks / t.blocks, 3) AS metric,
       printf('%d of %d blocks (%d%%) freed by the allocating thread within %d us, about %d bytes each',
              t.temp_blocks, t.blocks, 100 * t.temp_blocks / t.blocks, p.temporary_us,
              t.temp_bytes / t.temp_blocks) AS evidence,
       t.class_order
FROM site_totals t, params p
WHERE t.temp_blocks >= p.min_blocks
UNION ALL
SELECT t.process_id, 'tiny_frequent',
       CASE WHEN t.blocks / max((pi.end_ns - pi.t0_ns) / 1e9, 1e-9) >= 10 * p.tiny_per_s
            THEN 'high' ELSE 'medium' END,
       t.site, t.location, NULL, t.blocks, t.bytes,
       round(t.blocks / max((pi.end_ns - pi.t0_ns) / 1e9, 1e-9), 1),
       printf('%d allocations of %d bytes on average, %d per second of the run',
              t.blocks, t.bytes / t.blocks,
              CAST(t.blocks / max((pi.end_ns - pi.t0_ns) / 1e9, 1e-9) AS INTEGER)),
       t.class_order
FROM site_totals t JOIN process_info pi ON pi.process_id = t.process_id, params p
WHERE t.blocks >= p.min_blocks AND t.bytes <= t.blocks * p.tiny_bytes
  AND t.blocks / max((pi.end_ns - pi.t0_ns) / 1e9, 1e-9) >= p.tiny_per_s
UNION ALL
SELECT c.process_id, 'realloc_chain',
       CASE WHEN sum(c.bytes_moved) >= 1048576 THEN 'high'
            WHEN sum(c.moves) >= 100 THEN 'medium' ELSE 'low' END,
       coalesce(ss.site, '(no stack)'), ss.location, NULL, sum(c.length),
       sum(c.final_bytes), max(c.length),
       printf('%d chains, longest %d reallocs, %d copies moved %d bytes; final size %d bytes',
              count(*), max(c.length) - 1, sum(c.moves), sum(c.bytes_moved), max(c.final_bytes)),
       CASE coalesce(ss.class, 'unknown') WHEN 'user' THEN 0 WHEN 'runtime' THEN 1 ELSE 2 END
FROM realloc_chains c LEFT JOIN stack_site_labels ssl ON ssl.stack_id = c.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id
GROUP BY c.process_id, ss.site, ss.location
HAVING max(c.length) >= 4
UNION ALL
SELECT b.process_id, 'burst',
       CASE WHEN max(b.blocks) >= 50 * max(b.median_blocks) THEN 'high' ELSE 'medium' END,
       NULL, NULL, b.thread_id, sum(b.blocks), sum(b.bytes),
       round(1.0 * max(b.blocks) / max(b.median_blocks), 1),
       printf('%d windows of %d ms with up to %d allocations (median %d per active window), first at %.6f s',
              count(*), p.burst_ms, max(b.blocks), max(b.median_blocks),
              (min(b.window_ns) - pi.t0_ns) / 1e9),
       0
FROM bursts b JOIN process_info pi ON pi.process_id = b.process_id, params p
GROUP BY b.process_id, b.thread_id;

-- thread_interaction: allocating x freeing thread, with hand-off latency percentiles.
CREATE VIEW thread_interaction AS
SELECT tp.process_id, tp.alloc_thread_id, ta.thread AS alloc_thread, tp.free_thread_id,
       tf.thread AS free_thread, tp.alloc_thread_id <> tp.free_thread_id AS cross,
       tp.blocks, tp.bytes, round(tp.median_ns / 1e3, 3) AS median_us,
       round(tp.p90_ns / 1e3, 3) AS p90_us, round(tp.max_ns / 1e3, 3) AS max_us
FROM thread_pairs tp
LEFT JOIN thread_names ta ON ta.thread_id = tp.alloc_thread_id
LEFT JOIN thread_names tf ON tf.thread_id = tp.free_thread_id
WHERE tp.level = 'threads';

-- handoffs: producer -> consumer pairs (blocks freed by another thread), by sites.
CREATE VIEW handoffs AS
SELECT tp.process_id, tp.alloc_site, coalesce(tp.free_site, '(not recorded)')
         AS free_site, ta.thread AS alloc_thread, tf.thread AS free_thread, tp.blocks,
       tp.bytes, round(tp.median_ns / 1e3, 3) AS median_us,
       round(tp.p90_ns / 1e3, 3) AS p90_us, round(tp.max_ns / 1e3, 3) AS max_us
FROM thread_pairs tp
LEFT JOIN thread_names ta ON ta.thread_id = tp.alloc_thread_id
LEFT JOIN thread_names tf ON tf.thread_id = tp.free_thread_id
WHERE tp.level = 'sites';

-- peak: the moment of peak live heap and the user sites that held it (exact rows).
CREATE VIEW peak AS
SELECT s.process_id, s.peak_live_bytes AS peak_bytes,
       round((s.peak_ns - pi.t0_ns) / 1e9, 6) AS peak_s,
       coalesce(ss.class, 'unknown') AS class, coalesce(ss.site, '(no stack)') AS site,
       ss.location, sum(g.blocks) AS blocks, sum(g.bytes) AS bytes,
       round(1.0 * sum(g.bytes) / max(s.peak_live_bytes, 1), 3) AS share,
       CASE coalesce(ss.class, 'unknown') WHEN 'user' THEN 0 WHEN 'runtime' THEN 1 ELSE 2 END
         AS class_order
FROM process_stats s JOIN process_info pi ON pi.process_id = s.process_id
JOIN peak_stacks g ON g.process_id = s.process_id
LEFT JOIN stack_site_labels ssl ON ssl.stack_id = g.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id
GROUP BY s.process_id, 4, 5, ss.location;

-- timeline: live bytes in timeline_steps equal steps (every step, also those without
-- events; made of the 1000 steps of timeline_fine, so a boundary moves by at most a
-- thousandth of the run), per process (thread_id NULL) and
-- per allocating thread, with the maximum inside each step (not only its end value);
-- at equal times allocations count before frees (as the importer's peak does: a realloc's
-- new block before the old one's free).
CREATE VIEW timeline AS
WITH span AS (SELECT process_id, t0_ns, max(end_ns - t0_ns, 1) AS len FROM process_info),
steps AS (
  SELECT f.process_id, f.thread_id, f.step * p.timeline_steps / 1000 AS step,
         max(f.max_live_bytes) AS max_live_bytes, sum(f.allocated_bytes) AS allocated_bytes,
         sum(f.freed_bytes) AS freed_bytes, sum(f.allocated_bytes - f.freed_bytes) AS net
  FROM timeline_fine f, params p
  GROUP BY f.process_id, f.thread_id, 3
),
series AS (SELECT DISTINCT process_id, thread_id FROM steps),
-- the step numbers 0..timeline_steps-1 (a recursive CTE: generate_series is only in the shell)
k(value) AS (
  SELECT 0 UNION ALL SELECT k.value + 1 FROM k, params p WHERE k.value + 1 < p.timeline_steps
),
grid AS (
  SELECT se.process_id, se.thread_id, k.value AS step FROM series se, k
),
filled AS (
  SELECT g.process_id, g.thread_id, g.step, st.max_live_bytes,
         coalesce(st.allocated_bytes, 0) AS allocated_bytes,
         coalesce(st.freed_bytes, 0) AS freed_bytes,
         sum(coalesce(st.net, 0)) OVER (PARTITION BY g.process_id, g.thread_id ORDER BY g.step
                                        ROWS UNBOUNDED PRECEDING) AS end_live_bytes
  FROM grid g LEFT JOIN steps st ON st.process_id = g.process_id
    AND st.thread_id IS g.thread_id AND st.step = g.step
)
SELECT f.process_id, f.thread_id, f.step,
       round((f.step + 1) * s.len / p.timeline_steps / 1e9, 6) AS t_s,
       coalesce(f.max_live_bytes, f.end_live_bytes) AS max_live_bytes, f.end_live_bytes,
       f.allocated_bytes, f.freed_bytes,
       (SELECT group_concat(m.label, ', ') FROM marks m
        WHERE m.process_id = f.process_id AND f.thread_id IS NULL
          AND max(0, min(CAST((m.ts_ns - s.t0_ns) * 1000.0 / s.len AS INTEGER), 999))
              * p.timeline_steps / 1000 = f.step) AS marks
FROM filled f JOIN span s ON s.process_id = f.process_id, params p;

-- growth: live bytes per user site at the end of each of growth_steps steps of the run
-- (up to the start of exit when known), and the least-squares trend over them: slope and
-- r2 (1 = a steady line). live_bytes_end: live when exit began (else at the end).
CREATE VIEW growth AS
-- The fit is made from the per-step deltas alone. With X = s + 1 for step s (x = X times
-- the step's length) and y_s the sum of the deltas of steps up to s, the sums a line
-- needs are sums over the deltas: sum y_s = sum d_j (n - j), sum X y_s =
-- sum d_j (n(n+1) - j(j+1)) / 2, sum y_s^2 = sum over pairs d_j d_k (n - max(j, k)).
-- A site costs its own rows, not a grid of n rows per site (a make run's thousands of
-- sites took seconds per query), and the slope is one division of exact integers:
-- slope = 6e9 (2 sum X y - (n+1) sum y) / ((n^2 - 1) len),
-- r2 = 3 (2 sum X y - (n+1) sum y)^2 / ((n^2 - 1) (n sum y^2 - (sum y)^2)).
WITH p AS (SELECT growth_steps AS n FROM params),
span AS (SELECT process_id, max(coalesce(exit_begin_ns, end_ns) - t0_ns, 1) AS len
         FROM process_info),
d AS (SELECT s.process_id, s.site, s.location, s.step AS j, s.delta_bytes AS d
      FROM site_steps s, p WHERE s.step >= 0 AND s.step < p.n),
sums AS (
  SELECT d.process_id, d.site, d.location, sum(d.d) AS y_end,
         sum(d.d * (p.n - d.j)) AS sy,
         sum(d.d * ((p.n * (p.n + 1) - d.j * (d.j + 1)) / 2)) AS sxy
  FROM d, p GROUP BY d.process_id, d.site, d.location),
squares AS (
  SELECT a.process_id, a.site, a.location, total(1.0 * a.d * b.d * (p.n - max(a.j, b.j))) AS syy
  FROM d a JOIN d b ON b.process_id = a.process_id AND b.site = a.site
    AND b.location IS a.location, p
  GROUP BY a.process_id, a.site, a.location),
fit AS (
  SELECT s.process_id, s.site, s.location, p.n, s.y_end,
         2 * s.sxy - (p.n + 1) * s.sy AS cov, (p.n * p.n - 1) AS var_x,
         p.n * q.syy - 1.0 * s.sy * s.sy AS var_y, c.len
  FROM sums s JOIN squares q ON q.process_id = s.process_id AND q.site = s.site
    AND q.location IS s.location
  JOIN span c ON c.process_id = s.process_id, p)
SELECT process_id, site, location, n AS samples, y_end AS live_bytes_end,
       round(CASE WHEN var_x > 0 THEN 6e9 * cov / (1.0 * var_x * len) ELSE 0 END, 1)
         AS slope_bytes_per_s,
       round(CASE WHEN var_x > 0 AND var_y > 0 THEN 3.0 * cov * cov / (var_x * var_y) ELSE 0 END,
             3) AS r2,
       CASE WHEN var_x > 0 AND var_y > 0 AND 3.0 * cov * cov / (var_x * var_y) >= 0.8
            THEN CASE WHEN cov <= 0 THEN 'shrinking'
                      WHEN y_end > 0 THEN 'growing' ELSE 'steady' END
            ELSE 'steady' END AS trend
FROM fit;

-- lifetimes: per user site, histograms of lifetimes (freed blocks) and sizes; bucket b
-- holds [2^b, 2^(b+1)) us or bytes, -1 below 1.
CREATE VIEW lifetimes AS
SELECT h.process_id, h.site, h.location, h.dimension, h.bucket,
       CASE WHEN h.bucket < 0 THEN CASE h.dimension WHEN 'lifetime' THEN '<1 us' ELSE '0 B' END
            WHEN h.bucket = 0 THEN CASE h.dimension WHEN 'lifetime' THEN '1 us' ELSE '1 B' END
            ELSE printf('%d-%d %s', 1 << h.bucket, (1 << (h.bucket + 1)) - 1,
                        CASE h.dimension WHEN 'lifetime' THEN 'us' ELSE 'B' END) END AS range,
       h.blocks, h.bytes
FROM site_histograms h;

-- fragmentation: small long-lived blocks per site, the short-lived blocks (temporaries of
-- every site) allocated while they were being made, size spread, malloc rounding waste.
CREATE VIEW fragmentation AS
WITH temps AS (SELECT process_id, sum(temp_blocks) AS temp_blocks, min(first_ns) AS t0,
                      max(last_ns) AS t1
               FROM stack_totals GROUP BY process_id)
SELECT t.process_id, t.site, t.location, t.long_small_blocks AS long_lived_small,
       CAST(x.temp_blocks * 1.0 * (t.last_long_ns - t.first_long_ns) / max(x.t1 - x.t0, 1)
            AS INTEGER) AS short_lived_between,
       t.min_bytes, t.max_bytes, t.waste_bytes AS alignment_waste_bytes,
       CASE WHEN t.long_small_blocks >= p.min_blocks
                 AND x.temp_blocks * 1.0 * (t.last_long_ns - t.first_long_ns) / max(x.t1 - x.t0, 1)
                     >= 10 * t.long_small_blocks THEN 'high'
            WHEN t.long_small_blocks >= p.min_blocks THEN 'medium' ELSE 'low' END AS risk,
       t.class_order
FROM site_totals t JOIN temps x ON x.process_id = t.process_id, params p
WHERE t.long_small_blocks > 0;

-- advice: the findings above turned into suggestions, ranked (high before medium before
-- low, then bytes). Only the user's sites get advice. A 'wrapper' is a user function
-- (site and module) that looks like an allocation wrapper of the program's own: it calls
-- the allocator itself (user_position 0, or 1 below an allocator entry such as operator
-- new) from at most two places, is reached from at least three other user functions
-- (the frame after it in the paths of site_labels, over the whole database), and makes
-- at least a tenth of its process's calls at user sites. A factory that builds its
-- object through library code (make_shared, a string, a vector) calls no allocator
-- itself and is not one. Only named functions: without symbols every call site is a
-- label of its own, and a factory's three calls would look like three wrappers. The
-- suggestion names the rule that makes its callers the sites.
CREATE VIEW advice AS
WITH labels AS (
  SELECT site, module, location, user_position,
         CASE WHEN instr(path, ' < ') THEN substr(path, instr(path, ' < ') + 3) END AS rest
  FROM site_labels WHERE class = 'user' AND user_function IS NOT NULL
), callers AS (
  SELECT DISTINCT site, module,
         CASE WHEN instr(rest, ' < ') THEN substr(rest, 1, instr(rest, ' < ') - 1) ELSE rest END
           AS caller
  FROM labels WHERE rest IS NOT NULL
), wrappers AS (
  SELECT c.site, c.module, count(*) AS callers,
         (SELECT group_concat(caller, ', ') FROM
            (SELECT caller FROM callers c2 WHERE c2.site = c.site AND c2.module IS c.module
             AND c2.caller <> c2.site ORDER BY caller LIMIT 3)) AS some
  FROM callers c
  JOIN (SELECT site, module FROM labels GROUP BY site, module
        HAVING max(user_position) <= 1 AND count(DISTINCT location) <= 2) d
    ON d.site = c.site AND d.module IS c.module
  WHERE c.caller <> c.site
  GROUP BY c.site, c.module HAVING count(*) >= 3
), wrapper_sites AS (
  SELECT * FROM (
    SELECT t.process_id, t.site, t.module, t.location,
           sum(t.blocks) OVER w AS blocks, sum(t.bytes) OVER w AS bytes,
           sum(t.blocks) OVER (PARTITION BY t.process_id) AS user_blocks,
           row_number() OVER (PARTITION BY t.process_id, t.site, t.module
                              ORDER BY t.blocks DESC, t.location) AS nth
    FROM site_totals t WHERE t.class = 'user'
    WINDOW w AS (PARTITION BY t.process_id, t.site, t.module))
  WHERE nth = 1
), f AS (
  SELECT process_id, 'leak' AS kind,
         CASE WHEN bytes >= 1048576 THEN 'high' WHEN blocks >= 10 THEN 'medium' ELSE 'low' END
           AS severity, site, location, bytes,
         printf('free what %s allocates before exit, or keep one owner that does', site)
           AS suggestion,
         printf('%d blocks, %d bytes still live at exit', blocks, bytes) AS evidence
  FROM leaks WHERE class = 'user' AND kind = 'live_at_exit'
  UNION ALL
  SELECT process_id, 'freed_at_exit', 'low', site, location, bytes,
         printf('%s keeps its blocks until exit: bound it if the program runs long', site),
         printf('%d blocks, %d bytes live when exit began, freed by exit handlers', blocks, bytes)
  FROM leaks WHERE class = 'user' AND kind = 'freed_at_exit'
  UNION ALL
  SELECT process_id, kind, severity, site, location, bytes,
         CASE kind
           WHEN 'temporary' THEN printf('%s makes short-lived temporaries: reuse one buffer, or reserve', site)
           WHEN 'tiny_frequent' THEN printf('%s makes many tiny allocations: pool them or keep them inline', site)
           WHEN 'realloc_chain' THEN printf('%s grows blocks step by step: reserve the final size up front', site)
         END, evidence
  FROM bottlenecks WHERE kind <> 'burst' AND class_order = 0
  UNION ALL
  SELECT process_id, 'burst', severity, (SELECT thread FROM thread_names n WHERE n.thread_id = b.thread_id),
         NULL, bytes,
         'spread the allocation burst over time, or allocate the batch in one block', evidence
  FROM bottlenecks b WHERE kind = 'burst'
  UNION ALL
  SELECT g.process_id, 'growth',
         CASE WHEN 10 * g.live_bytes_end >= g.process_live THEN 'high' ELSE 'medium' END,
         g.site, g.location, g.live_bytes_end,
         printf('%s grows all run long: cap it (an eviction policy) or free as you go', g.site),
         printf('live bytes grow %d bytes/s (r2 %.2f) to %d bytes', CAST(g.slope_bytes_per_s AS INTEGER),
                g.r2, g.live_bytes_end)
  FROM (SELECT *, sum(live_bytes_end) OVER (PARTITION BY process_id) AS process_live
        FROM growth) g
  JOIN site_labels ss ON ss.site = g.site AND ss.location IS g.location
  WHERE g.trend = 'growing' AND ss.class = 'user'
  GROUP BY g.process_id, g.site, g.location
  UNION ALL
  SELECT process_id, 'fragmentation', risk, site, location, alignment_waste_bytes,
         printf('%s keeps small blocks alive among many short-lived ones: allocate them together (an arena)', site),
         printf('%d long-lived blocks of %d-%d bytes, about %d short-lived blocks made meanwhile',
                long_lived_small, min_bytes, max_bytes, short_lived_between)
  FROM fragmentation WHERE risk <> 'low' AND class_order = 0
  UNION ALL
  SELECT t.process_id, 'wrapper', CASE WHEN 2 * t.blocks >= t.user_blocks THEN 'medium' ELSE 'low' END,
         t.site, t.location, t.bytes,
         printf('if %s only wraps an allocator, import again with --rule allocator=%s: its callers become the sites',
                t.site, t.site),
         printf('%d of the %d calls at user sites, from %d callers: %s%s', t.blocks, t.user_blocks,
                w.callers, w.some, CASE WHEN w.callers > 3 THEN ', ...' ELSE '' END)
  FROM wrapper_sites t JOIN wrappers w ON w.site = t.site AND w.module IS t.module
  WHERE 10 * t.blocks >= t.user_blocks
)
SELECT process_id,
       row_number() OVER (PARTITION BY process_id ORDER BY
         CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, bytes DESC, kind, site)
         AS rank,
       kind, severity, site, location, suggestion, evidence
FROM f;
