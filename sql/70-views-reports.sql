-- 70-views-reports.sql: per-site report views that queries/ and `mtdb report` read.
-- Reads: allocations, process_stats, stack_sites (60). Creates: leaks_by_stack,
-- hotspots_by_stack, peak_by_stack, cross_thread_by_stack.
-- Units: bytes, counts; weighted columns multiply by the sampling weight.
CREATE VIEW leaks_by_stack AS
SELECT g.*, ss.site, ss.location
FROM (SELECT process_id, stack_id, count(*) AS blocks, sum(size_bytes) AS bytes,
             sum(weight) AS weighted_blocks
      FROM allocations WHERE free_ns IS NULL
      GROUP BY process_id, stack_id) g
LEFT JOIN stack_sites ss ON ss.stack_id = g.stack_id;

CREATE VIEW hotspots_by_stack AS
SELECT g.*, ss.site, ss.location
FROM (SELECT stack_id, count(*) AS calls, sum(size_bytes) AS bytes,
             sum(weight) AS weighted_calls
      FROM allocations GROUP BY stack_id) g
LEFT JOIN stack_sites ss ON ss.stack_id = g.stack_id;

-- What was live at each process's peak (process_stats.peak_ns), by stack.
CREATE VIEW peak_by_stack AS
SELECT g.*, ss.site, ss.location
FROM (SELECT a.process_id, a.stack_id, count(*) AS blocks, sum(a.size_bytes) AS bytes
      FROM allocations a JOIN process_stats s ON s.process_id = a.process_id
      WHERE a.alloc_ns <= s.peak_ns AND (a.free_ns IS NULL OR a.free_ns > s.peak_ns)
      GROUP BY a.process_id, a.stack_id) g
LEFT JOIN stack_sites ss ON ss.stack_id = g.stack_id;

-- Blocks allocated by one thread and freed by another, by allocating stack.
CREATE VIEW cross_thread_by_stack AS
SELECT g.*, ss.site, ss.location
FROM (SELECT process_id, thread_id AS alloc_thread_id, free_thread_id, stack_id,
             count(*) AS blocks, sum(size_bytes) AS bytes,
             avg(free_ns - alloc_ns) AS avg_lifetime_ns
      FROM allocations WHERE free_thread_id <> thread_id
      GROUP BY process_id, thread_id, free_thread_id, stack_id) g
LEFT JOIN stack_sites ss ON ss.stack_id = g.stack_id;
