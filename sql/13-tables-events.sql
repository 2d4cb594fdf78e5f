-- 13-tables-events.sql: what the program said about itself while it ran.
-- Reads: nothing. Creates: marks (mtrec.h API points and phases), thread_states
-- (pause/resume, exec, fork). Units: ts_ns absolute CLOCK_MONOTONIC ns.
CREATE TABLE marks (
  process_id INTEGER NOT NULL,
  thread_id INTEGER,                    -- NULL for process-level marks
  ts_ns INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('point', 'phase_begin', 'phase_end', 'other')),
  label TEXT NOT NULL
) STRICT;

CREATE TABLE thread_states (
  process_id INTEGER NOT NULL,
  thread_id INTEGER,                    -- NULL for process-level records
  ts_ns INTEGER NOT NULL,
  state TEXT NOT NULL,                  -- paused, resumed, exec, forked, other
  value INTEGER,                        -- forked: the child pid
  text TEXT                             -- exec: the program path
) STRICT;
