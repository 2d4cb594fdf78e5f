-- 50-indexes.sql: indexes, applied AFTER the bulk load (then ANALYZE).
-- Reads: the loaded tables. Creates: indexes for the everyday questions; the partial
-- indexes keep the leak and cross-thread questions fast on large traces.
CREATE INDEX allocations_live ON allocations(process_id, stack_id, size_bytes)
  WHERE free_ns IS NULL;
CREATE INDEX allocations_cross_thread ON allocations(thread_id, free_thread_id)
  WHERE free_thread_id <> thread_id;
CREATE INDEX threads_process ON threads(process_id);
CREATE INDEX module_maps_process ON module_maps(process_id, base_address);
CREATE INDEX symbols_function ON symbols(function);
