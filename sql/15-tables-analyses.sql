-- 15-tables-analyses.sql: what the analyses read besides the trace: the rules that tell
-- the user's code from the runtime's, thresholds, and the tables derived once at import.
-- Reads: nothing. Creates: site_rules, analysis_params (both editable by the user; then
-- re-run sql/55-derive.sql), function_names, site_labels, the views stack_site_labels
-- and stack_sites, process_info, stack_totals, peak_stacks, realloc_chains. Filled
-- after the load (imp_db.c, 55-derive.sql).

-- Which frames are not the user's code. kind 'runtime_module': GLOB on the module's file
-- name; 'allocator' and 'std_code': GLOB on the function's short name (function_names),
-- or, for a frame without a name, on its label (module file name+0xoffset) when the
-- pattern holds '+0x'; 'library_file': GLOB on the source file of the function's code,
-- for code a library's headers compiled into the program (header-only libraries).
CREATE TABLE site_rules (
  kind TEXT NOT NULL CHECK (kind IN ('runtime_module', 'allocator', 'std_code',
                                     'library_file')),
  pattern TEXT NOT NULL,
  PRIMARY KEY (kind, pattern)
) STRICT;
INSERT INTO site_rules VALUES
  ('runtime_module', 'libc.so*'), ('runtime_module', 'libc-*.so'),
  ('runtime_module', 'ld-linux*'), ('runtime_module', 'ld-*.so*'),
  ('runtime_module', 'libstdc++.so*'), ('runtime_module', 'libgcc_s.so*'),
  ('runtime_module', 'libm.so*'), ('runtime_module', 'libpthread.so*'),
  ('runtime_module', 'libdl.so*'), ('runtime_module', 'librt.so*'),
  ('runtime_module', 'libc++.so*'), ('runtime_module', 'libc++abi.so*'),
  ('runtime_module', 'libmtrec.so*'), ('runtime_module', 'linux-vdso.so*'),
  ('allocator', 'malloc'), ('allocator', 'calloc'), ('allocator', 'realloc'),
  ('allocator', 'reallocarray'), ('allocator', 'free'), ('allocator', 'posix_memalign'),
  ('allocator', 'aligned_alloc'), ('allocator', 'memalign'), ('allocator', 'valloc'),
  ('allocator', 'pvalloc'), ('allocator', 'strdup'), ('allocator', 'strndup'),
  ('allocator', 'operator new*'), ('allocator', 'operator delete*'),
  -- libc functions that allocate for their caller (the block is the caller's, not the
  -- runtime's own), under glibc's internal names as well
  ('allocator', '__strdup'), ('allocator', '__GI___strdup'), ('allocator', '__strndup'),
  ('allocator', '__GI___strndup'), ('allocator', 'wcsdup'), ('allocator', '__wcsdup'),
  ('allocator', 'asprintf'), ('allocator', '__asprintf*'), ('allocator', '___asprintf'),
  ('allocator', 'vasprintf'), ('allocator', '__vasprintf*'), ('allocator', 'getline'),
  ('allocator', 'getdelim'), ('allocator', '__getdelim'), ('allocator', '__GI___getdelim'),
  ('allocator', '_IO_getdelim'), ('allocator', 'realpath'), ('allocator', '__realpath'),
  ('allocator', 'canonicalize_file_name'), ('allocator', 'get_current_dir_name'),
  ('allocator', 'getcwd'), ('allocator', '__getcwd'), ('allocator', '__GI___getcwd'),
  ('allocator', 'open_memstream'), ('allocator', 'backtrace_symbols'),
  -- the allocation wrappers of widely used programs and libraries, which do nothing but
  -- allocate for their caller (and fail loudly): without these, every block of gcc,
  -- bash, git or perl would name its wrapper as the site. Add your own the same way.
  -- gnulib and libiberty (coreutils, gcc, binutils, tar, grep, make, emacs), bash, git
  ('allocator', 'xmalloc'), ('allocator', 'xzalloc'), ('allocator', 'xcalloc'),
  ('allocator', 'xrealloc'), ('allocator', 'xreallocarray'), ('allocator', 'xnmalloc'),
  ('allocator', 'xnrealloc'), ('allocator', 'x2realloc'), ('allocator', 'x2nrealloc'),
  ('allocator', 'xpalloc'), ('allocator', 'xcharalloc'), ('allocator', 'xi*alloc'),
  ('allocator', 'xireallocarray'), ('allocator', 'xmemdup*'), ('allocator', 'ximemdup*'),
  ('allocator', 'xstrdup'), ('allocator', 'xstrndup'), ('allocator', 'xasprintf'),
  ('allocator', 'xvasprintf'), ('allocator', 'sh_xmalloc'), ('allocator', 'sh_xrealloc'),
  ('allocator', 'do_xmalloc'), ('allocator', 'xmallocz*'), ('allocator', 'xstrdup_or_null'),
  ('allocator', 'moz_x*'),
  -- GLib
  ('allocator', 'g_malloc*'), ('allocator', 'g_try_malloc*'), ('allocator', 'g_realloc*'),
  ('allocator', 'g_try_realloc*'), ('allocator', 'g_aligned_alloc*'),
  ('allocator', 'g_slice_alloc*'), ('allocator', 'g_slice_copy'), ('allocator', 'g_strdup*'),
  ('allocator', 'g_strndup'), ('allocator', 'g_memdup*'), ('allocator', 'g_strconcat'),
  -- Perl, CPython, Lua, Tcl, PHP
  ('allocator', 'Perl_safesys*alloc'), ('allocator', 'Perl_savepv*'),
  ('allocator', 'Perl_savesharedpv*'), ('allocator', 'PyMem_*'), ('allocator', '_PyMem_*'),
  ('allocator', 'PyObject_Malloc'), ('allocator', 'PyObject_Calloc'),
  ('allocator', 'PyObject_Realloc'), ('allocator', '_PyObject_Malloc'),
  ('allocator', '_PyObject_Calloc'), ('allocator', '_PyObject_Realloc'),
  ('allocator', 'l_alloc'), ('allocator', 'luaM_*'), ('allocator', 'Tcl_Alloc'),
  ('allocator', 'Tcl_Realloc'), ('allocator', 'Tcl_Attempt*lloc'), ('allocator', 'TclpAlloc'),
  ('allocator', 'TclpRealloc'), ('allocator', '_emalloc*'), ('allocator', '_ecalloc'),
  ('allocator', '_erealloc'), ('allocator', '_estrdup'), ('allocator', '_safe_emalloc'),
  -- redis, nginx, OpenSSL, SQLite, GMP, zlib's default allocator
  ('allocator', 'zmalloc*'), ('allocator', 'zcalloc*'), ('allocator', 'zrealloc*'),
  ('allocator', 'ztry*alloc*'), ('allocator', 'zstrdup'), ('allocator', 'ngx_alloc'),
  ('allocator', 'ngx_calloc'), ('allocator', 'ngx_memalign'), ('allocator', 'ngx_p*alloc*'),
  ('allocator', 'CRYPTO_*alloc'), ('allocator', 'CRYPTO_*dup'),
  ('allocator', 'sqlite3Malloc*'), ('allocator', 'sqlite3*Realloc*'),
  ('allocator', 'sqlite3DbMalloc*'), ('allocator', 'sqlite3_malloc*'),
  ('allocator', 'sqlite3_realloc*'), ('allocator', 'sqlite3MemMalloc'),
  ('allocator', 'sqlite3DbStr*Dup'), ('allocator', 'dbMallocRawFinish'),
  ('allocator', 'mallocWithAlarm'), ('allocator', '__gmp_default_allocate'),
  ('allocator', '__gmp_default_reallocate'),
  ('std_code', 'std::*'), ('std_code', '__gnu_cxx::*'), ('std_code', '__cxxabiv1::*'),
  ('std_code', '__gnu_debug::*'), ('std_code', '__cxa_*'),
  ('std_code', '_start'), ('std_code', '__libc_start_main*'), ('std_code', '__libc_csu_*'),
  ('std_code', '_init'), ('std_code', '_fini'), ('std_code', 'start_thread'),
  -- the C++ library's hidden functions where it is stripped (Debian's is): copying a
  -- std::string into an exception, growing a COW string
  ('std_code', 'libstdc++.so*+0x*'), ('std_code', 'libc++.so*+0x*'),
  ('std_code', 'libc++abi.so*+0x*'),
  -- code from the system's headers (Boost, fmt, nlohmann/json, Eigen and the other
  -- header-only libraries installed there): its blocks belong to the program's caller
  ('library_file', '/usr/include/*');

-- Thresholds of the analyses (docs/analyses.md). Change with UPDATE, then re-run
-- sql/55-derive.sql for the ones marked "derived" there.
CREATE TABLE analysis_params (
  name TEXT PRIMARY KEY,
  value ANY NOT NULL,
  meaning TEXT NOT NULL
) STRICT;
INSERT INTO analysis_params VALUES
  ('temporary_us', 100, 'a block freed by its own thread within this many us is a temporary'),
  ('tiny_bytes', 64, 'allocations of at most this many bytes are tiny'),
  ('tiny_per_s', 10000, 'tiny allocations at least this often per second are frequent'),
  ('min_blocks', 100, 'a finding needs at least this many blocks'),
  ('burst_ms', 10, 'width of the windows in which bursts are counted'),
  ('burst_factor', 10, 'a window with this many times the thread''s median is a burst'),
  ('path_frames', 5, 'user frames shown in a path'),
  ('long_lived_share', 0.5, 'fragmentation: a block living this share of the run is long-lived'),
  ('small_bytes', 256, 'fragmentation: blocks of at most this many bytes are small'),
  ('growth_steps', 20, 'growth: equal time steps the run is cut into'),
  ('timeline_steps', 40, 'timeline: equal time steps the run is cut into');

-- Short names (template arguments, parameter lists, return type elided) of every
-- function in symbols; filled by the importer.
CREATE TABLE function_names (
  function TEXT PRIMARY KEY,
  short_name TEXT NOT NULL
) STRICT;

-- Each stack's user frame (the first frame from the innermost that is neither an
-- allocator, nor in a runtime module, nor standard-library code), and its innermost
-- readable frame (alloc_site). class: 'user' or 'runtime' (no user frame at all).
-- Stored once per distinct row: a recursive program has millions of stacks and a handful
-- of such rows (2 M stacks, 8 rows: 19 MB of references instead of 427 MB of text), so
-- site_labels holds the rows and each stack's row in stacks its label (stacks.site_label_id,
-- as the view stack_site_labels); stack_sites is the plain view. A LEFT JOIN onto a view that is a join
-- makes SQLite build the whole view first: queries that keep stacks without a site join
-- the two tables instead (sql/70-views-reports.sql).
CREATE TABLE site_labels (
  site_label_id INTEGER PRIMARY KEY,    -- in the order of the first stack with the row
  site TEXT,                            -- short name of the user frame (runtime: alloc_site)
  location TEXT,                        -- file:line of that frame
  class TEXT NOT NULL,
  module TEXT,                          -- module path of that frame
  user_function TEXT,                   -- full demangled name of the user frame
  user_position INTEGER,                -- its stack_frames.position
  alloc_site TEXT,                      -- short name of the innermost readable frame
  alloc_function TEXT,
  alloc_location TEXT,
  alloc_module TEXT,
  path TEXT                             -- user frames, innermost first, ' < ' between
) STRICT;

CREATE VIEW stack_site_labels AS
SELECT stack_id, site_label_id FROM stacks WHERE site_label_id IS NOT NULL;

CREATE VIEW stack_sites AS
SELECT s.stack_id, l.site, l.location, l.class, l.module, l.user_function, l.user_position,
       l.alloc_site, l.alloc_function, l.alloc_location, l.alloc_module, l.path
FROM stack_site_labels s JOIN site_labels l ON l.site_label_id = s.site_label_id;

-- Per process: the time origin of every *_s column, when exit began, and whether stacks
-- were sampled (then per-site counts are estimates: sum of weights).
CREATE TABLE process_info (
  process_id INTEGER PRIMARY KEY,
  t0_ns INTEGER,
  end_ns INTEGER,
  exit_begin_ns INTEGER,                -- NULL when the trace cannot tell
  sampled INTEGER NOT NULL,
  unstacked_rows INTEGER NOT NULL
) STRICT;

-- Per (process, stack): totals every per-site view reads instead of the blocks.
-- blocks, bytes, temp_*, cross_blocks, waste_bytes, lifetime_ns_sum are sums of weights
-- (bytes: size times weight); the others count rows.
CREATE TABLE stack_totals (
  process_id INTEGER NOT NULL,
  stack_id INTEGER,
  rows INTEGER NOT NULL,
  blocks INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  min_bytes INTEGER,
  max_bytes INTEGER,
  live_blocks INTEGER NOT NULL,
  live_bytes INTEGER NOT NULL,
  first_live_ns INTEGER,
  last_live_ns INTEGER,
  exit_blocks INTEGER NOT NULL,         -- freed after exit began
  exit_bytes INTEGER NOT NULL,
  long_small_blocks INTEGER NOT NULL,   -- small (small_bytes) and long-lived (live when exit
                                        -- began, or living long_lived_share of the run), rows
  first_long_ns INTEGER,                -- first and last allocation of those
  last_long_ns INTEGER,
  waste_bytes INTEGER NOT NULL,         -- malloc chunk rounding: max(32, size+8 up to 16) - size
  temp_blocks INTEGER NOT NULL,         -- freed by the same thread within temporary_us
  temp_bytes INTEGER NOT NULL,
  cross_blocks INTEGER NOT NULL,        -- freed by another thread
  lifetime_ns_sum INTEGER NOT NULL,     -- over freed blocks, weighted
  first_ns INTEGER,
  last_ns INTEGER
) STRICT;

-- stack_totals summed by user site (class, site, location): what leaks, hotspots,
-- fragmentation and advice read. Kept as a table, not a view: a recursive program has
-- millions of stacks and a handful of sites, and every analysis would group them again.
-- The columns of stack_totals, plus the site's module and path (the lowest of its
-- stacks') and class_order (0 user, 1 runtime, 2 unknown: no stack).
CREATE TABLE site_totals (
  process_id INTEGER NOT NULL,
  class TEXT NOT NULL,                  -- user, runtime or unknown
  site TEXT NOT NULL,                   -- '(no stack)' for unknown
  location TEXT,
  module TEXT,
  path TEXT,
  rows INTEGER NOT NULL,
  blocks INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  min_bytes INTEGER,
  max_bytes INTEGER,
  live_blocks INTEGER NOT NULL,
  live_bytes INTEGER NOT NULL,
  first_live_ns INTEGER,
  last_live_ns INTEGER,
  exit_blocks INTEGER NOT NULL,
  exit_bytes INTEGER NOT NULL,
  long_small_blocks INTEGER NOT NULL,
  first_long_ns INTEGER,
  last_long_ns INTEGER,
  waste_bytes INTEGER NOT NULL,
  temp_blocks INTEGER NOT NULL,
  temp_bytes INTEGER NOT NULL,
  cross_blocks INTEGER NOT NULL,
  lifetime_ns_sum INTEGER NOT NULL,
  first_ns INTEGER,
  last_ns INTEGER,
  class_order INTEGER NOT NULL
) STRICT;

-- Per process and user site (site, location), its stacks and the heaviest of them by
-- bytes allocated, by bytes live at exit and by bytes freed only at exit (ties: more
-- bytes, more blocks, the lowest stack_id): the stack a report shows beside a site's
-- row, found here once instead of grouping a site's stacks for every row.
CREATE TABLE site_top_stacks (
  process_id INTEGER NOT NULL,
  site TEXT NOT NULL,
  location TEXT,
  stacks INTEGER NOT NULL,
  by_bytes INTEGER NOT NULL,            -- stack_id
  by_live_bytes INTEGER NOT NULL,
  by_exit_bytes INTEGER NOT NULL
) STRICT;
CREATE INDEX site_top_stacks_by_site ON site_top_stacks (process_id, site, location);

-- What was live at each process's peak, by stack.
CREATE TABLE peak_stacks (
  process_id INTEGER NOT NULL,
  stack_id INTEGER,
  blocks INTEGER NOT NULL,
  bytes INTEGER NOT NULL
) STRICT;

-- Realloc chains (through allocations.prev_block_id), one row per chain.
CREATE TABLE realloc_chains (
  process_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  first_block_id INTEGER NOT NULL,
  stack_id INTEGER,                     -- of the chain's first block
  length INTEGER NOT NULL,              -- blocks in the chain
  moves INTEGER NOT NULL,               -- reallocs that changed the address (a copy)
  bytes_moved INTEGER NOT NULL,         -- bytes those copies moved (min of old, new size)
  final_bytes INTEGER NOT NULL
) STRICT;

-- User functions of each stack, once per stack (hotspot_functions: inclusive counts).
-- Stored as sets: stacks with the same user functions (in a recursive program, millions
-- of stacks and a handful of sets) share one set, a row holding its functions' ids as a
-- JSON array (a compiler's 33,600 stacks: 24,800 sets of 27 functions on average, one
-- row each instead of one per function), and a stack's row in stacks names its set
-- (stacks.set_id, as the view stack_function_sets); stack_functions is the plain view.
CREATE TABLE function_labels (
  function_id INTEGER PRIMARY KEY,      -- rank of the label's bytes, from 1
  function TEXT NOT NULL UNIQUE         -- short name (stack_sites' labels)
) STRICT;

CREATE TABLE function_sets (
  set_id INTEGER PRIMARY KEY,           -- rank of function_ids' text, from the last
  function_ids TEXT NOT NULL            -- JSON array of function_id, ascending: '[3,17,40]'
) STRICT;

-- No row: the stack has no user function.
CREATE VIEW stack_function_sets AS
SELECT stack_id, set_id FROM stacks WHERE set_id IS NOT NULL;

CREATE VIEW stack_functions (stack_id, function) AS
SELECT s.stack_id, l.function
FROM stack_function_sets s JOIN function_sets f ON f.set_id = s.set_id,
     json_each(f.function_ids) j JOIN function_labels l ON l.function_id = j.value;

-- Hand-off latency (allocation to free) per (allocating thread, freeing thread, and the
-- allocating and freeing stacks' user sites); percentiles are nearest-rank, exact.
CREATE TABLE thread_pairs (
  level TEXT NOT NULL,                  -- 'threads' (sites NULL) or 'sites'
  process_id INTEGER NOT NULL,
  alloc_thread_id INTEGER NOT NULL,
  free_thread_id INTEGER NOT NULL,
  alloc_site TEXT,
  free_site TEXT,                       -- NULL when frees had no stack (preset leaks has)
  blocks INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  median_ns INTEGER,
  p90_ns INTEGER,
  max_ns INTEGER
) STRICT;

-- Bursts: windows of burst_ms in which a thread allocated burst_factor times its median.
CREATE TABLE bursts (
  process_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  window_ns INTEGER NOT NULL,           -- start of the window (absolute)
  blocks INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  median_blocks INTEGER NOT NULL        -- the thread's median per active window
) STRICT;

-- Per (process, user site, time step): bytes and blocks allocated minus freed, in
-- growth_steps equal steps of the process's run (growth); and per (process, user site),
-- log2 histograms of lifetimes (microseconds, freed blocks) and sizes (lifetimes). A
-- site is (site, location), '(no stack)' with no location for blocks without a stack.
-- Per site, not per stack: a recursive program has millions of stacks and a handful of
-- sites, and the analyses read sites.
CREATE TABLE site_steps (
  process_id INTEGER NOT NULL,
  site TEXT NOT NULL,
  location TEXT,
  step INTEGER NOT NULL,
  delta_bytes INTEGER NOT NULL,
  delta_blocks INTEGER NOT NULL
) STRICT;

CREATE TABLE site_histograms (
  process_id INTEGER NOT NULL,
  site TEXT NOT NULL,
  location TEXT,
  dimension TEXT NOT NULL,              -- 'lifetime' or 'size'
  bucket INTEGER NOT NULL,              -- floor(log2(x)), -1 below 1
  blocks INTEGER NOT NULL,
  bytes INTEGER NOT NULL
) STRICT;

-- The live heap over time, per process (thread_id NULL) and per allocating thread, in
-- 1000 equal steps of each process's run (process_info t0_ns to end_ns); steps without
-- events are absent. max_live_bytes: the highest live value within the step (events in
-- time order, allocations first at equal times); net_bytes: allocated - freed. Filled by
-- the importer only (imp_derive.c): it depends on neither site_rules nor analysis_params.
CREATE TABLE timeline_fine (
  process_id INTEGER NOT NULL,
  thread_id INTEGER,
  step INTEGER NOT NULL,                -- 0 .. 999
  max_live_bytes INTEGER NOT NULL,
  allocated_bytes INTEGER NOT NULL,
  freed_bytes INTEGER NOT NULL
) STRICT;

-- Blocks freed by another thread, per (threads, allocating stack).
CREATE TABLE cross_stacks (
  process_id INTEGER NOT NULL,
  alloc_thread_id INTEGER NOT NULL,
  free_thread_id INTEGER NOT NULL,
  stack_id INTEGER,
  blocks INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  lifetime_ns_sum INTEGER NOT NULL
) STRICT;
