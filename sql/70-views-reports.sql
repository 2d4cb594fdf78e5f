-- 70-views-reports.sql: per-site report views that queries/ and `mtdb report` read.
-- Reads: allocations, stack_sites (60). Creates: leaks_by_stack, hotspots_by_stack.
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
