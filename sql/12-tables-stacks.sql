-- 12-tables-stacks.sql: call stacks, stored once and shared by all threads and processes.
-- Reads: nothing. Creates: stacks, stack_frames, frames, symbols. A frame is one code
-- address, kept as (module, offset from the module's load bias); symbols expand it into
-- one row per inlined function (inline_depth 0 is the innermost).
CREATE TABLE stacks (
  stack_id INTEGER PRIMARY KEY,
  depth INTEGER NOT NULL                -- frames, innermost first in stack_frames
) STRICT;

CREATE TABLE stack_frames (
  stack_id INTEGER NOT NULL,
  position INTEGER NOT NULL,            -- 0 = innermost (the allocation's caller)
  frame_id INTEGER NOT NULL,
  PRIMARY KEY (stack_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE frames (
  frame_id INTEGER PRIMARY KEY,
  module_id INTEGER,                    -- NULL when no module covered the address
  module_offset INTEGER NOT NULL,       -- return address minus load bias (or raw address)
  symbolized INTEGER NOT NULL DEFAULT 0 -- 1 when symbols has rows for it
) STRICT;

CREATE TABLE symbols (
  frame_id INTEGER NOT NULL,
  inline_depth INTEGER NOT NULL,        -- 0 = innermost (inlined) function
  function TEXT,                        -- demangled name
  file TEXT,
  line INTEGER,
  PRIMARY KEY (frame_id, inline_depth)
) STRICT, WITHOUT ROWID;
