-- fixture.sql: a known trace, loaded after sql/*.sql: one process, two threads, four
-- stacks. Every figure the report prints follows from these rows:
--   make_buffer (main)   4 x 100 B, allocated by main, freed by worker (cross-thread)
--   leak_it (main)       2 x 1000 B, live at exit (the leaks)
--   make_buffer (worker) 3 x 50 B, allocated and freed by worker
--   no stack             1 x 10 B, main
-- Peak 2400 B at 4600 ns (the four buffers and the two leaks).
-- Exit begins at 9120 ns (the recorder's mtdb:exit mark): the worker's block 8, live then
-- and freed at 9150 ns, is freed only at exit.
INSERT INTO processes (process_id, pid, ppid, started_by, nonce, command, exe, start_ns,
  end_ns, exit_how, exit_status)
VALUES (1, 100, 1, 'root', '0123456789abcdef', './fixture --run', '/bin/fixture', 0,
  1000000000, 'atexit', 0);
INSERT INTO threads VALUES
  (1, 1, 1, 100, 'main', 1, 0, 1000000000, 1, 't1.trace', 7, 2410, 1, 10, 0),
  (2, 1, 2, 101, 'worker', 0, 500, 900000000, 1, 't2.trace', 3, 150, 7, 550, 4);
INSERT INTO modules VALUES (1, '/bin/fixture', NULL);
INSERT INTO frames VALUES (1, 1, 4096, 1), (2, 1, 4196, 1), (3, 1, 4296, 1), (4, 1, 4396, 1),
  (5, 1, 4496, 1), (6, 1, 4596, 0);
INSERT INTO symbols VALUES (1, 0, 'main', 'src/fixture.c', 10),
  (2, 0, 'make_buffer', 'src/fixture.c', 20), (3, 0, 'leak_it', 'src/fixture.c', 30),
  (4, 0, 'worker_loop', 'src/fixture.c', 40), (5, 0, 'grow', 'src/fixture.c', 50);
-- Stacks, innermost first: 1 = make_buffer < main, 2 = leak_it < main,
-- 3 = make_buffer < worker_loop, 4 = grow < (frame 6, no symbol) < main; as a tree of
-- (parent, frame) nodes, outermost first, main's node shared by 1, 2 and 4.
INSERT INTO stack_nodes VALUES (1, NULL, 1), (2, 1, 2), (3, 1, 3), (4, NULL, 4), (5, 4, 2),
  (6, 1, 6), (7, 6, 5);
INSERT INTO stacks (stack_id, depth, node_id) VALUES (1, 2, 2), (2, 2, 3), (3, 2, 5), (4, 3, 7);
INSERT INTO allocations (block_id, process_id, thread_id, address, size_bytes, alloc_ns,
  alloc_function, stack_id, weight, free_thread_id, free_ns, free_function) VALUES
  (1, 1, 1, 4096, 100, 1000, 'malloc', 1, 1, 2, 5000, 'free'),
  (2, 1, 1, 8192, 100, 2000, 'malloc', 1, 1, 2, 6000, 'free'),
  (3, 1, 1, 12288, 100, 3000, 'malloc', 1, 1, 2, 7000, 'free'),
  (4, 1, 1, 16384, 100, 4000, 'malloc', 1, 1, 2, 8000, 'free'),
  (5, 1, 1, 20480, 1000, 4500, 'malloc', 2, 1, NULL, NULL, NULL),
  (6, 1, 1, 24576, 1000, 4600, 'calloc', 2, 1, NULL, NULL, NULL),
  (7, 1, 2, 28672, 50, 9000, 'malloc', 3, 1, 2, 9050, 'free'),
  (8, 1, 2, 32768, 50, 9100, 'malloc', 3, 1, 2, 9150, 'free'),
  (9, 1, 2, 36864, 50, 9200, 'malloc', 3, 1, 2, 9250, 'free'),
  (10, 1, 1, 40960, 10, 9500, 'malloc', NULL, 1, 1, 9600, 'free');
INSERT INTO process_stats VALUES (1, 18, 10, 8, 0, 0, 0, 0, 2560, 2, 2000, 2400, 4600, 1000,
  9600);
INSERT INTO health_counters VALUES (1, NULL, 'events', 18);
INSERT INTO marks VALUES (1, 1, 9120, 'point', 'mtdb:exit');
