-- 51-fork-inherited.sql: links a fork child's frees of blocks it inherited to the
-- parent's block. Reads: processes, allocations, unmatched_frees. Writes
-- unmatched_frees.inherited_block_id (NULL stays NULL where no parent block matches).
-- A child's free of a block its parent had live at the fork frees the child's copy of
-- it: the parent's latest block at that address allocated by the fork and not freed
-- before it. `mtdb import` runs this file only when some fork child has unmatched
-- frees, since the address index it needs costs a pass over every block.
CREATE INDEX imp_inherit_address ON allocations(process_id, address);
UPDATE unmatched_frees AS u SET inherited_block_id = (
  SELECT a.block_id FROM processes c JOIN allocations a
    ON a.process_id = c.parent_process_id AND a.address = u.address
  WHERE c.process_id = u.process_id AND a.alloc_ns <= c.start_ns
    AND (a.free_ns IS NULL OR a.free_ns > c.start_ns)
  ORDER BY a.alloc_ns DESC LIMIT 1)
WHERE u.process_id IN (SELECT process_id FROM processes WHERE started_by = 'fork');
DROP INDEX imp_inherit_address;
