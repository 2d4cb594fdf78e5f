-- 50-indexes.sql: indexes, applied AFTER the bulk load (then ANALYZE).
-- Reads: the loaded tables. Creates: indexes for the everyday questions; the partial
-- index keeps the leak questions fast on large traces. No index of the cross-thread
-- blocks: the analyses read them from cross_stacks and thread_pairs, made in one pass at
-- import, and building it was a sixth of a 30 M-event import (one scan of every block
-- and a sort of the cross-thread ones). A user who queries cross_thread_frees often on
-- a large trace makes it once (docs/schema.md, "Indexes"):
--   CREATE INDEX allocations_cross_thread ON allocations(thread_id, free_thread_id)
--     WHERE free_thread_id <> thread_id;
CREATE INDEX allocations_live ON allocations(process_id, stack_id, size_bytes)
  WHERE free_ns IS NULL;
CREATE INDEX threads_process ON threads(process_id);
CREATE INDEX module_maps_process ON module_maps(process_id, base_address);
CREATE INDEX symbols_function ON symbols(function);
