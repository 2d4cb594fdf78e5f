-- lifetimes.sql: How long blocks live, how big they are
-- Question: per site, how are lifetimes and sizes spread (log2 buckets)?
-- Parameters: @site (default: all sites): a site name; @dimension (default: both):
--   'lifetime' or 'size'; @process (default: all).
-- Columns: process_id, site, location, dimension (lifetime of freed blocks, or size),
--   range (bucket: [2^b, 2^(b+1)) us or bytes), blocks, bytes.
-- Run: sqlite3 trace.db < queries/lifetimes.sql
.headers on
.mode column --wrap 0
SELECT process_id, site, replace(location, rtrim(location, replace(location, '/', '')), '') AS location, dimension, range, blocks, bytes
FROM lifetimes
WHERE (@process IS NULL OR process_id = @process) AND (@site IS NULL OR site = @site)
  AND (@dimension IS NULL OR dimension = @dimension)
ORDER BY process_id, site, location, dimension, bucket;
