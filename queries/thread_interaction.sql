-- thread_interaction.sql: Who allocates and who frees
-- Question: which threads free memory that other threads allocated, and how much?
-- Parameters: none.
-- Columns: process_id, alloc_thread (id and name), free_thread (id and name), blocks,
--   bytes, cross (1 when the two threads differ).
-- Run: sqlite3 trace.db < queries/thread_interaction.sql
.headers on
.mode column
SELECT ti.process_id,
       ti.alloc_thread_id || coalesce(' ' || ta.name, '') AS alloc_thread,
       ti.free_thread_id || coalesce(' ' || tf.name, '') AS free_thread,
       ti.blocks, ti.bytes, ti.alloc_thread_id <> ti.free_thread_id AS cross
FROM thread_interaction ti
LEFT JOIN threads ta ON ta.thread_id = ti.alloc_thread_id
LEFT JOIN threads tf ON tf.thread_id = ti.free_thread_id
ORDER BY ti.blocks DESC;
