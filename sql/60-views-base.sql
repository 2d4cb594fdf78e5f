-- 60-views-base.sql: base views over the tables; queries/ read these, not the tables.
-- Reads: tables of 10-15. Creates: stack_symbols, live_blocks, cross_thread_frees,
-- heap_events, thread_names, summary. Units as in the tables.

-- Readable frames of a stack: one row per (frame, inlined function).
CREATE VIEW stack_symbols AS
SELECT sf.stack_id, sf.position, coalesce(s.inline_depth, 0) AS inline_depth,
       s.function, fn.short_name, s.file, s.line, m.path AS module, f.module_offset,
       f.frame_id
FROM stack_frames sf
JOIN frames f ON f.frame_id = sf.frame_id
LEFT JOIN modules m ON m.module_id = f.module_id
LEFT JOIN symbols s ON s.frame_id = f.frame_id
LEFT JOIN function_names fn ON fn.function = s.function;

CREATE VIEW live_blocks AS
SELECT * FROM allocations WHERE free_ns IS NULL;

CREATE VIEW cross_thread_frees AS
SELECT * FROM allocations WHERE free_thread_id <> thread_id;

-- The heap as a sequence of changes: +size at each allocation, -size at each free
-- (a realloc is the free of the old block and the allocation of the new one).
CREATE VIEW heap_events AS
SELECT process_id, thread_id, alloc_ns AS ts_ns, size_bytes AS delta_bytes,
       1 AS delta_blocks, block_id
FROM allocations
UNION ALL
SELECT process_id, free_thread_id, free_ns, -size_bytes, -1, block_id
FROM allocations WHERE free_ns IS NOT NULL;

-- A readable name for each thread: '#N' (its number in its process) and its name if set.
CREATE VIEW thread_names AS
SELECT thread_id, process_id, '#' || thread_number || coalesce(' ' || name, '') AS thread
FROM threads;

-- The first view to read: one row per process.
CREATE VIEW summary AS
SELECT p.process_id, p.pid, p.parent_process_id, p.started_by, p.command,
       (SELECT count(*) FROM threads t WHERE t.process_id = p.process_id) AS threads,
       s.alloc_calls, s.free_calls AS frees, s.bytes_allocated,
       s.live_blocks_at_exit, s.live_bytes_at_exit, s.peak_live_bytes,
       s.failed_calls AS failed_allocations, s.unmatched_frees, s.double_frees,
       coalesce((SELECT sum(h.value) FROM health_counters h
                 WHERE h.process_id = p.process_id AND h.counter LIKE 'dropped%'), 0)
         AS dropped_events,
       coalesce((SELECT sum(q.events_lost) FROM import_problems q
                 WHERE q.process_id = p.process_id), 0) AS skipped_events,
       coalesce((SELECT sum(q.bytes_skipped) FROM import_problems q
                 WHERE q.process_id = p.process_id), 0) AS skipped_bytes,
       round((coalesce(p.end_ns, s.last_event_ns) - coalesce(p.start_ns, s.first_event_ns))
             / 1e9, 3) AS duration_s
FROM processes p LEFT JOIN process_stats s ON s.process_id = p.process_id;
