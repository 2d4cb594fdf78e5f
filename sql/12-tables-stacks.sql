-- 12-tables-stacks.sql: call stacks, stored once and shared by all threads and processes.
-- Reads: nothing. Creates: stack_nodes, stacks, stack_frames (a view), frames, symbols.
-- A frame is one code address, kept as (module, offset from the module's load bias);
-- symbols expand it into one row per inlined function (inline_depth 0 is the innermost).
--
-- Stacks are a tree, as in heaptrack: a node is a frame under its parent node (the
-- frame that called it), the root's children being outermost frames (_start). Stacks
-- that share their outer frames share those nodes, so a program with millions of
-- distinct stacks of depth 20 stores a few nodes per stack instead of 20 rows. A stack
-- is its innermost node; parent_id < node_id always.
CREATE TABLE stack_nodes (
  node_id INTEGER PRIMARY KEY,
  parent_id INTEGER,                    -- NULL: an outermost frame
  frame_id INTEGER NOT NULL
) STRICT;

-- A stack's site and its set of user functions (sql/15-tables-analyses.sql) are columns
-- of its row, not rows of tables of their own: a program with 2 M distinct stacks writes
-- 2 M rows here instead of 6 M. sql/55-derive.sql sets them.
CREATE TABLE stacks (
  stack_id INTEGER PRIMARY KEY,
  depth INTEGER NOT NULL,               -- frames, innermost first in stack_frames
  node_id INTEGER,                      -- its innermost frame's node; NULL when depth is 0
  site_label_id INTEGER,                -- its site: site_labels (every stack has one)
  set_id INTEGER                        -- its user functions: function_sets; NULL: none
) STRICT;

-- One row per frame of every stack, 0 = innermost (the allocation's caller), rebuilt
-- from the tree: (stack_id, position, frame_id) as in a table keyed by (stack_id,
-- position). A condition on stack_id reaches the stacks table (one stack is walked);
-- reading it whole walks every stack, so the importer's derivations read the tree.
CREATE VIEW stack_frames (stack_id, position, frame_id) AS
SELECT s.stack_id, w.key, w.value
FROM stacks s, json_each((
  WITH RECURSIVE up(node_id, frame_id) AS (
    SELECT parent_id, frame_id FROM stack_nodes WHERE node_id = s.node_id
    UNION ALL
    SELECT n.parent_id, n.frame_id FROM up JOIN stack_nodes n ON n.node_id = up.node_id
  )
  SELECT json_group_array(frame_id) FROM up)) w;

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
