-- The rows every golden trace of format v1 is checked against (expected.out per trace).
.mode list
.headers on
SELECT * FROM summary;
SELECT block_id, process_id, thread_id, printf('%x', address) AS address, size_bytes, alloc_ns,
       alloc_function, stack_id, weight, prev_block_id, free_thread_id, free_ns, free_function
FROM allocations ORDER BY alloc_ns, block_id;
SELECT * FROM unmatched_frees;
SELECT * FROM double_frees;
SELECT * FROM failed_allocations;
SELECT thread_id, process_id, thread_number, tid, name, is_main, start_ns, end_ns, ended_cleanly,
       alloc_calls, bytes_allocated, free_calls, bytes_freed, cross_thread_frees
FROM threads ORDER BY thread_id;
SELECT process_id, pid, ppid, parent_process_id, started_by, nonce, command, exe, start_ns,
       end_ns, exit_how, exit_status FROM processes;
SELECT * FROM process_stats;
SELECT stack_id, position, printf('%x', module_offset) AS module_offset FROM stack_symbols
ORDER BY stack_id, position;
SELECT * FROM marks ORDER BY ts_ns;
SELECT * FROM thread_states ORDER BY ts_ns;
SELECT * FROM health_counters WHERE value <> 0 ORDER BY thread_id, counter;
SELECT count(*) AS problems FROM import_problems;
