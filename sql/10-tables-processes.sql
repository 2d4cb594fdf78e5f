-- 10-tables-processes.sql: processes, threads and the code they had mapped.
-- Reads: nothing (tables filled by `mtdb import`). Creates: processes, process_stats,
-- threads, modules, module_maps. Units: times are absolute CLOCK_MONOTONIC ns
-- (columns *_ns), wall-clock times are ns since the Unix epoch (*_wall_ns), sizes bytes.
CREATE TABLE processes (
  process_id INTEGER PRIMARY KEY,       -- 1, 2, ... in import order
  pid INTEGER NOT NULL,                 -- the OS process id
  ppid INTEGER,                         -- the OS parent pid at start
  parent_process_id INTEGER REFERENCES processes(process_id), -- NULL for a root
  started_by TEXT NOT NULL CHECK (started_by IN ('root', 'fork', 'exec', 'spawn')),
  nonce TEXT NOT NULL,                  -- 16 hex digits: tells images of one pid apart
  command TEXT,                         -- argv joined by spaces
  exe TEXT,                             -- /proc/self/exe at start
  start_ns INTEGER,                     -- CLOCK_MONOTONIC anchor at start
  start_wall_ns INTEGER,                -- CLOCK_REALTIME at the same instant
  clock_cost_ns INTEGER,                -- measured cost of one timestamp
  end_ns INTEGER,                       -- exit time, else the last event seen
  exit_how TEXT,                        -- 'atexit', '_exit' or NULL (killed / unknown)
  exit_status INTEGER,
  exec_path TEXT,                       -- program this image exec'd into, if any
  recorder_version TEXT,
  unwinder TEXT,
  settings TEXT                         -- MTDB_X=value lines in effect
) STRICT;

-- Totals the importer counts while pairing (so `summary` is instant).
CREATE TABLE process_stats (
  process_id INTEGER PRIMARY KEY REFERENCES processes(process_id),
  events INTEGER NOT NULL,              -- heap event records read
  alloc_calls INTEGER NOT NULL,         -- blocks created (malloc .. realloc)
  free_calls INTEGER NOT NULL,          -- frees that ended a block (incl. realloc's)
  realloc_calls INTEGER NOT NULL,
  failed_calls INTEGER NOT NULL,
  unmatched_frees INTEGER NOT NULL,
  double_frees INTEGER NOT NULL,
  bytes_allocated INTEGER NOT NULL,
  live_blocks_at_exit INTEGER NOT NULL,
  live_bytes_at_exit INTEGER NOT NULL,
  peak_live_bytes INTEGER NOT NULL,
  peak_ns INTEGER,                      -- when the peak was first reached
  first_event_ns INTEGER,
  last_event_ns INTEGER
) STRICT;

CREATE TABLE threads (
  thread_id INTEGER PRIMARY KEY,        -- unique across processes
  process_id INTEGER NOT NULL REFERENCES processes(process_id),
  thread_number INTEGER NOT NULL,       -- the recorder's per-process serial (1, 2, ...)
  tid INTEGER,                          -- the kernel thread id
  name TEXT,                            -- last name set, NULL if never named
  is_main INTEGER NOT NULL,             -- 1 for the process's initial thread
  start_ns INTEGER,
  end_ns INTEGER,                       -- last event seen
  ended_cleanly INTEGER NOT NULL,       -- 1 when the recorder saw the thread end
  stream_file TEXT,                     -- trace file it was written to
  alloc_calls INTEGER NOT NULL,
  bytes_allocated INTEGER NOT NULL,
  free_calls INTEGER NOT NULL,          -- frees this thread made that ended a block
  bytes_freed INTEGER NOT NULL,
  cross_thread_frees INTEGER NOT NULL   -- of those, blocks another thread allocated
) STRICT;

CREATE TABLE modules (
  module_id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  build_id TEXT                         -- hex, NULL when the file had none
) STRICT;

-- Where each module was mapped, and when (a snapshot holds until the next one).
CREATE TABLE module_maps (
  process_id INTEGER NOT NULL REFERENCES processes(process_id),
  module_id INTEGER NOT NULL REFERENCES modules(module_id),
  base_address INTEGER NOT NULL,        -- load bias (dlpi_addr)
  text_size_bytes INTEGER NOT NULL,
  from_ns INTEGER NOT NULL,
  until_ns INTEGER                      -- NULL: mapped until the end
) STRICT;
