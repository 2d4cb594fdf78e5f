-- 70-views-reports.sql: per-site report views that queries/ and `mtdb report` read.
-- Reads: allocations, stack_totals, peak_stacks, cross_stacks, site_labels (15, 55, 56).
-- Creates: leaks_by_stack,
-- hotspots_by_stack, peak_by_stack, cross_thread_by_stack.
-- Units: bytes, counts; weighted columns multiply by the sampling weight.
CREATE VIEW leaks_by_stack AS
SELECT g.*, ss.site, ss.location
FROM (SELECT process_id, stack_id, count(*) AS blocks, sum(size_bytes) AS bytes,
             sum(weight) AS weighted_blocks
      FROM allocations WHERE free_ns IS NULL
      GROUP BY process_id, stack_id) g
LEFT JOIN stack_site_labels ssl ON ssl.stack_id = g.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id;

CREATE VIEW hotspots_by_stack AS
SELECT g.*, ss.site, ss.location
FROM (SELECT process_id, stack_id, sum(rows) AS calls, sum(bytes) AS bytes,
             sum(blocks) AS weighted_calls
      FROM stack_totals GROUP BY process_id, stack_id) g
LEFT JOIN stack_site_labels ssl ON ssl.stack_id = g.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id;

-- What was live at each process's peak (process_stats.peak_ns), by stack.
CREATE VIEW peak_by_stack AS
SELECT g.*, ss.site, ss.location
FROM peak_stacks g
LEFT JOIN stack_site_labels ssl ON ssl.stack_id = g.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id;

-- Blocks allocated by one thread and freed by another, by allocating stack.
CREATE VIEW cross_thread_by_stack AS
SELECT g.*, ta.thread AS alloc_thread, tf.thread AS free_thread, ss.site, ss.location
FROM (SELECT process_id, alloc_thread_id, free_thread_id, stack_id, blocks, bytes,
             1.0 * lifetime_ns_sum / blocks AS avg_lifetime_ns
      FROM cross_stacks) g
LEFT JOIN thread_names ta ON ta.thread_id = g.alloc_thread_id
LEFT JOIN thread_names tf ON tf.thread_id = g.free_thread_id
LEFT JOIN stack_site_labels ssl ON ssl.stack_id = g.stack_id
LEFT JOIN site_labels ss ON ss.site_label_id = ssl.site_label_id;
