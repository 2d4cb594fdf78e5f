-- 56-derive-blocks.sql: the per-block totals the analyses read: stack_totals,
-- peak_stacks, thread_pairs, bursts, site_steps, site_histograms, cross_stacks, and from
-- stack_totals site_totals and site_top_stacks. Reads: allocations, process_info, process_stats,
-- site_labels, analysis_params. Writes those tables (emptied first). `mtdb import`
-- computes the same rows in one pass over the blocks (importer/imp_derive.c: SQLite sorts
-- every GROUP BY, minutes at 10 M blocks); a user re-runs it after changing analysis_params:
--   sqlite3 trace.db < sql/56-derive-blocks.sql
DELETE FROM stack_totals;
DELETE FROM peak_stacks;
DELETE FROM thread_pairs;
DELETE FROM bursts;
DELETE FROM cross_stacks;
DELETE FROM site_steps;
DELETE FROM site_histograms;

INSERT INTO stack_totals
SELECT a.process_id, a.stack_id, count(*), sum(a.weight),
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
GROUP BY a.process_id, a.stack_id;

-- Under sampling the rows without a stack are already counted in the weights of the
-- sampled rows: their group keeps only what no weight accounts for.
UPDATE stack_totals AS g SET
  blocks = max(0, g.rows - x.extra),
  bytes = CASE WHEN g.rows > 0 THEN g.bytes * max(0, g.rows - x.extra) / g.rows ELSE 0 END,
  temp_blocks = CASE WHEN g.rows > 0 THEN g.temp_blocks * max(0, g.rows - x.extra) / g.rows
                ELSE 0 END,
  cross_blocks = CASE WHEN g.rows > 0 THEN g.cross_blocks * max(0, g.rows - x.extra) / g.rows
                 ELSE 0 END
FROM (SELECT process_id, sum(blocks - rows) AS extra FROM stack_totals
      WHERE stack_id IS NOT NULL GROUP BY process_id) x
WHERE g.stack_id IS NULL AND x.process_id = g.process_id AND x.extra > 0;

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
  LEFT JOIN stack_site_labels sal ON sal.stack_id = f.stack_id
  LEFT JOIN site_labels sa ON sa.site_label_id = sal.site_label_id
  LEFT JOIN stack_site_labels sfl ON sfl.stack_id = f.free_stack_id
  LEFT JOIN site_labels sf ON sf.site_label_id = sfl.site_label_id
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

-- Growth: bytes allocated minus freed per site in each of growth_steps steps of the run
-- while the program ran: up to the start of exit when known (what exit handlers free
-- is not a shrinking site).
INSERT INTO site_steps
WITH p AS (SELECT (SELECT value FROM analysis_params WHERE name = 'growth_steps') AS n),
span AS (SELECT process_id, t0_ns, coalesce(exit_begin_ns, end_ns) AS until,
                max(coalesce(exit_begin_ns, end_ns) - t0_ns, 1) AS len FROM process_info),
e AS (SELECT a.process_id, a.stack_id, a.alloc_ns AS ts, a.size_bytes AS db, 1 AS dn
      FROM allocations a
      UNION ALL
      SELECT a.process_id, a.stack_id, a.free_ns, -a.size_bytes, -1
      FROM allocations a WHERE a.free_ns IS NOT NULL)
SELECT e.process_id, coalesce(ss.site, '(no stack)'), ss.location,
       max(0, min(CAST((e.ts - s.t0_ns) * 1.0 * p.n / s.len AS INTEGER), p.n - 1)) AS step,
       sum(e.db), sum(e.dn)
FROM e JOIN span s ON s.process_id = e.process_id
LEFT JOIN stack_site_labels ssl ON ssl.stack_id = e.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id, p
WHERE e.ts < s.until OR s.until IS NULL
GROUP BY e.process_id, 2, ss.location, step;

-- Histograms of lifetimes (freed blocks) and sizes, log2 buckets.
INSERT INTO site_histograms
SELECT a.process_id, coalesce(ss.site, '(no stack)'), ss.location, 'lifetime',
       CASE WHEN a.free_ns - a.alloc_ns < 1000 THEN -1
            ELSE CAST(log2((a.free_ns - a.alloc_ns) / 1000.0) AS INTEGER) END AS bucket,
       sum(a.weight), sum(a.size_bytes * a.weight)
FROM allocations a LEFT JOIN stack_site_labels ssl ON ssl.stack_id = a.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id
WHERE a.free_ns IS NOT NULL
GROUP BY a.process_id, 2, ss.location, bucket;
INSERT INTO site_histograms
SELECT a.process_id, coalesce(ss.site, '(no stack)'), ss.location, 'size',
       CASE WHEN a.size_bytes = 0 THEN -1 ELSE CAST(log2(a.size_bytes) AS INTEGER) END AS bucket,
       sum(a.weight), sum(a.size_bytes * a.weight)
FROM allocations a LEFT JOIN stack_site_labels ssl ON ssl.stack_id = a.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id
GROUP BY a.process_id, 2, ss.location, bucket;

INSERT INTO cross_stacks
SELECT process_id, thread_id, free_thread_id, stack_id, count(*), sum(size_bytes),
       sum(free_ns - alloc_ns)
FROM allocations WHERE free_thread_id <> thread_id
GROUP BY process_id, thread_id, free_thread_id, stack_id;

-- stack_totals summed by user site (`mtdb import` sums them in C: importer/imp_site_keys.c).
DELETE FROM site_totals;
INSERT INTO site_totals
SELECT g.process_id, coalesce(ss.class, 'unknown') AS class,
       coalesce(ss.site, '(no stack)') AS site, ss.location, min(ss.module) AS module,
       min(ss.path) AS path, sum(g.rows) AS rows, sum(g.blocks) AS blocks,
       sum(g.bytes) AS bytes, min(g.min_bytes) AS min_bytes, max(g.max_bytes) AS max_bytes,
       sum(g.live_blocks) AS live_blocks, sum(g.live_bytes) AS live_bytes,
       min(g.first_live_ns) AS first_live_ns, max(g.last_live_ns) AS last_live_ns,
       sum(g.exit_blocks) AS exit_blocks, sum(g.exit_bytes) AS exit_bytes,
       sum(g.long_small_blocks) AS long_small_blocks, min(g.first_long_ns) AS first_long_ns,
       max(g.last_long_ns) AS last_long_ns, sum(g.waste_bytes) AS waste_bytes,
       sum(g.temp_blocks) AS temp_blocks, sum(g.temp_bytes) AS temp_bytes,
       sum(g.cross_blocks) AS cross_blocks, sum(g.lifetime_ns_sum) AS lifetime_ns_sum,
       min(g.first_ns) AS first_ns, max(g.last_ns) AS last_ns,
       CASE coalesce(ss.class, 'unknown') WHEN 'user' THEN 0 WHEN 'runtime' THEN 1 ELSE 2 END
         AS class_order
FROM stack_totals g LEFT JOIN stack_site_labels ssl ON ssl.stack_id = g.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id
GROUP BY g.process_id, 2, 3, ss.location;

-- Each site's stacks and the heaviest of them (`mtdb import`: importer/imp_site_keys.c).
DELETE FROM site_top_stacks;
INSERT INTO site_top_stacks
WITH s AS (
  SELECT g.process_id, l.site, l.location, g.stack_id, sum(g.bytes) AS bytes,
         sum(g.blocks) AS blocks, sum(g.live_bytes) AS live, sum(g.exit_bytes) AS exiting
  FROM stack_totals g JOIN stack_site_labels sl ON sl.stack_id = g.stack_id
  JOIN site_labels l ON l.site_label_id = sl.site_label_id
  WHERE l.site IS NOT NULL
  GROUP BY g.process_id, g.stack_id)
SELECT process_id, site, location, max(stacks), max(by_bytes), max(by_live),
       max(by_exit)
FROM (SELECT process_id, site, location, count(*) OVER p AS stacks,
             first_value(stack_id) OVER (p ORDER BY bytes DESC, blocks DESC, stack_id)
               AS by_bytes,
             first_value(stack_id) OVER (p ORDER BY live DESC, bytes DESC, blocks DESC,
                                         stack_id) AS by_live,
             first_value(stack_id) OVER (p ORDER BY exiting DESC, bytes DESC, blocks DESC,
                                         stack_id) AS by_exit
      FROM s WINDOW p AS (PARTITION BY process_id, site, location))
GROUP BY process_id, site, location;
