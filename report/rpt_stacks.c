/* rpt_stacks.c: every stack's frames, read once, for the formats that write every stack.
 *
 * The folded lines, the page's flame graph and the pprof samples name stacks by the
 * thousand or the million. Reading each through the stack_symbols view walked its part
 * of the tree and joined its symbols again per stack: 0.1 ms each, minutes for a
 * recursive program's 2 M stacks. Here the tree (stack_nodes), each stack's node and
 * each frame's names (inlined functions outermost first, as stack_symbols orders them)
 * are read in one pass each, and a stack is a walk up the tree in memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_report.h"

/* A stack deeper than this is cut at its innermost frames (the recorder keeps 256). */
#define RPT_STACKS_MAX_DEPTH 4096

struct rpt_stacks {
    uint32_t *stack_node;               /* index stack_id: its innermost node, 0 for none */
    uint32_t *node_parent, *node_frame; /* index node_id */
    char **frame_names;                 /* index frame_id: names, outermost first, '\n' between */
    long long nstacks, nnodes, nframes;
};

void rpt_frame_label(const char *function, const char *module, long long offset, char *buf,
                     size_t len)
{
    const char *base = strrchr(module, '/');
    if (*function)
        snprintf(buf, len, "%s", function);
    else if (*module)
        snprintf(buf, len, "%s+0x%llx", base ? base + 1 : module, offset);
    else
        snprintf(buf, len, "0x%llx", offset);
    for (char *p = buf; *p; p++)
        if (*p == ';' || *p == '\n' || *p == '\r')
            *p = ':';
}

/* The largest id of a table (max_sql), which its arrays are sized by. */
static int rpt_stacks_max(rpt_db_t *db, const char *max_sql, long long *n)
{
    int rc = rpt_db_scalar(db, max_sql, n);
    if (rc == RPT_OK && (*n < 0 || *n >= UINT32_MAX))
        rc = rpt_db_fail(db, RPT_E_SQL, "%s: %lld is not an id", max_sql, *n);
    return rc;
}

static int rpt_stacks_read_tree(rpt_db_t *db, rpt_stacks_t *s)
{
    rpt_rows_t *rows;
    int rc = rpt_rows_open(db, "SELECT stack_id, node_id FROM stacks", &rows);
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        long long id = rpt_rows_int(rows, 0), node = rpt_rows_int(rows, 1);
        if (id >= 1 && id <= s->nstacks && node >= 0 && node <= s->nnodes)
            s->stack_node[id] = (uint32_t)node;
        rc = RPT_OK;
    }
    rpt_rows_close(rows);
    if (rc < 0)
        return rc;
    rc = rpt_rows_open(db, "SELECT node_id, parent_id, frame_id FROM stack_nodes", &rows);
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        long long id = rpt_rows_int(rows, 0), up = rpt_rows_int(rows, 1);
        long long frame = rpt_rows_int(rows, 2);
        /* a parent's id is below its child's: a walk up always ends */
        if (id >= 1 && id <= s->nnodes && up >= 0 && up < id && frame >= 0 && frame <= s->nframes)
            s->node_parent[id] = (uint32_t)up, s->node_frame[id] = (uint32_t)frame;
        rc = RPT_OK;
    }
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

/* Appends name to *names (a '\n' between names); 0 when out of memory. */
static int rpt_stacks_add_name(char **names, const char *name)
{
    size_t old = *names ? strlen(*names) : 0, n = strlen(name);
    char *grown = realloc(*names, old + n + 2);
    if (!grown)
        return 0;
    if (old)
        grown[old++] = '\n';
    memcpy(grown + old, name, n + 1);
    *names = grown;
    return 1;
}

static int rpt_stacks_read_names(rpt_db_t *db, rpt_stacks_t *s)
{
    rpt_rows_t *rows;
    char name[1024];
    int rc = rpt_rows_open(db,
                           "SELECT f.frame_id, coalesce(y.function, ''), coalesce(m.path, ''), "
                           "f.module_offset FROM frames f "
                           "LEFT JOIN modules m ON m.module_id = f.module_id "
                           "LEFT JOIN symbols y ON y.frame_id = f.frame_id "
                           "ORDER BY f.frame_id, y.inline_depth DESC",
                           &rows);
    while (rc == RPT_OK && (rc = rpt_rows_next(rows)) == 1) {
        long long id = rpt_rows_int(rows, 0);
        rc = RPT_OK;
        if (id < 1 || id > s->nframes)
            continue;
        rpt_frame_label(rpt_rows_text(rows, 1), rpt_rows_text(rows, 2), rpt_rows_int(rows, 3), name,
                        sizeof name);
        if (!rpt_stacks_add_name(&s->frame_names[id], name))
            rc = rpt_db_fail(db, RPT_E_NOMEM, "out of memory naming frames");
    }
    rpt_rows_close(rows);
    return rc < 0 ? rc : RPT_OK;
}

int rpt_stacks_open(rpt_db_t *db, rpt_stacks_t **out)
{
    rpt_stacks_t *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return rpt_db_fail(db, RPT_E_NOMEM, "out of memory reading stacks");
    int rc = rpt_stacks_max(db, "SELECT max(stack_id) FROM stacks", &s->nstacks);
    if (rc == RPT_OK)
        rc = rpt_stacks_max(db, "SELECT max(node_id) FROM stack_nodes", &s->nnodes);
    if (rc == RPT_OK)
        rc = rpt_stacks_max(db, "SELECT max(frame_id) FROM frames", &s->nframes);
    if (rc == RPT_OK) { /* indexed by id, from 1 */
        s->stack_node = calloc((size_t)s->nstacks + 1, sizeof *s->stack_node);
        s->node_parent = calloc((size_t)s->nnodes + 1, sizeof *s->node_parent);
        s->node_frame = calloc((size_t)s->nnodes + 1, sizeof *s->node_frame);
        s->frame_names = calloc((size_t)s->nframes + 1, sizeof *s->frame_names);
        if (!s->stack_node || !s->node_parent || !s->node_frame || !s->frame_names)
            rc = rpt_db_fail(db, RPT_E_NOMEM, "out of memory reading stacks");
    }
    if (rc == RPT_OK)
        rc = rpt_stacks_read_tree(db, s);
    if (rc == RPT_OK)
        rc = rpt_stacks_read_names(db, s);
    if (rc != RPT_OK) {
        rpt_stacks_close(s);
        return rc;
    }
    *out = s;
    return RPT_OK;
}

void rpt_stacks_close(rpt_stacks_t *s)
{
    if (!s)
        return;
    for (long long i = 0; s->frame_names && i <= s->nframes; i++)
        free(s->frame_names[i]);
    free(s->frame_names), free(s->stack_node), free(s->node_parent), free(s->node_frame);
    free(s);
}

int rpt_stacks_frames(const rpt_stacks_t *s, long long stack_id, long long *ids, int max)
{
    uint32_t node = stack_id >= 1 && stack_id <= s->nstacks ? s->stack_node[stack_id] : 0;
    int n = 0;
    for (; node && n < max; node = s->node_parent[node])
        ids[n++] = s->node_frame[node];
    return n;
}

void rpt_stacks_fold(const rpt_stacks_t *s, long long stack_id, char sep, char *buf, size_t len)
{
    static long long frames[RPT_STACKS_MAX_DEPTH];
    int n = rpt_stacks_frames(s, stack_id, frames, RPT_STACKS_MAX_DEPTH);
    size_t at = 0;
    buf[0] = '\0';
    /* outermost first; a stack deeper than the buffer keeps its outermost frames */
    for (int i = n - 1; i >= 0 && at + 1 < len; i--) {
        const char *names = frames[i] ? s->frame_names[frames[i]] : NULL;
        for (const char *c = names ? names : ""; *c && at + 1 < len; c++) {
            if (c == names && at)
                buf[at++] = sep;
            if (at + 1 < len)
                buf[at++] = *c == '\n' ? sep : *c;
        }
    }
    buf[at] = '\0';
    if (!buf[0])
        snprintf(buf, len, "[no stack]");
}
