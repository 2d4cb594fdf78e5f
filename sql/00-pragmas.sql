-- 00-pragmas.sql: identifies the database before anything is created.
-- Reads: nothing. Creates: the file-level identity of an mtdb database.
-- application_id 0x4D544442 ("MTDB" in ASCII) marks the file as mtdb's;
-- user_version is the schema version (5: a stack's site label and function set are
-- columns of its row in stacks; 4: a stack's site is a reference to one row of
-- site_labels; 3: a function set is one row, its function ids a JSON array; 2: stacks as
-- a tree of stack_nodes, a function set one row per function; 1: a stack_frames table).
-- page_size 65536 suits bulk loads.
-- The build reads both numbers from this file into mtdb_schema.h: change them here only.
PRAGMA page_size = 65536;
PRAGMA application_id = 1297368130;
PRAGMA user_version = 5;
