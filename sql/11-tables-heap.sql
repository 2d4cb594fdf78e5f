-- 11-tables-heap.sql: the heap: one row per block, and the events that are not blocks.
-- Reads: nothing. Creates: allocations, failed_allocations, unmatched_frees,
-- double_frees. Units: *_ns absolute CLOCK_MONOTONIC ns, *_bytes bytes, address is
-- the block's address as an integer.
CREATE TABLE allocations (
  block_id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,           -- thread that allocated
  address INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,          -- requested size
  alloc_ns INTEGER NOT NULL,
  alloc_function TEXT NOT NULL,         -- malloc, calloc, realloc, posix_memalign, ...
  stack_id INTEGER,                     -- NULL when no stack was captured
  weight INTEGER NOT NULL,              -- allocations this row stands for (sampling), >= 1
  prev_block_id INTEGER,                -- realloc: the block this one replaced
  free_thread_id INTEGER,               -- NULL while live at exit
  free_ns INTEGER,                      -- NULL while live at exit
  free_function TEXT,                   -- free, realloc, reallocarray, lost; NULL while live
  free_stack_id INTEGER                 -- stack of the free when recorded
) STRICT;

CREATE TABLE failed_allocations (
  process_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  ts_ns INTEGER NOT NULL,
  function TEXT NOT NULL,
  size_bytes INTEGER NOT NULL
) STRICT;

-- Frees of addresses never allocated while recording (allocated before it started,
-- inherited across fork); after a loss they count as partner_lost instead.
CREATE TABLE unmatched_frees (
  process_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  address INTEGER NOT NULL,
  free_ns INTEGER NOT NULL,
  function TEXT NOT NULL,
  stack_id INTEGER,
  inherited_block_id INTEGER            -- fork child: the parent's block, live at the fork,
                                        -- whose copy this freed; NULL otherwise
) STRICT;

-- Frees of an address whose block was already freed and not allocated again.
CREATE TABLE double_frees (
  process_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  address INTEGER NOT NULL,
  free_ns INTEGER NOT NULL,
  function TEXT NOT NULL,
  stack_id INTEGER,
  block_id INTEGER NOT NULL             -- the block the first free ended
) STRICT;
