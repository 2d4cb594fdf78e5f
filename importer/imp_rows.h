/* imp_rows.h: rows on their way to the database, without any SQLite type.
 *
 * A row is an array of imp_value_t in the column order of its table in sql/1x-*.sql;
 * IMP_TABLES lists each table with its column count. Text values are borrowed: they
 * must stay valid until imp_db_put returns. Nothing here allocates.
 */
#ifndef IMP_ROWS_H
#define IMP_ROWS_H

#include <stdint.h>

/* X(enum, table name, columns) */
#define IMP_TABLES(X)                                                                              \
    X(IMP_T_PROCESS, "processes", 18)                                                              \
    X(IMP_T_PROCESS_STATS, "process_stats", 15)                                                    \
    X(IMP_T_THREAD, "threads", 15)                                                                 \
    X(IMP_T_MODULE, "modules", 3)                                                                  \
    X(IMP_T_MODULE_MAP, "module_maps", 6)                                                          \
    X(IMP_T_BLOCK, "allocations", 14)                                                              \
    X(IMP_T_FAILED, "failed_allocations", 5)                                                       \
    X(IMP_T_UNMATCHED, "unmatched_frees", 7)                                                       \
    X(IMP_T_DOUBLE, "double_frees", 7)                                                             \
    X(IMP_T_STACK_NODE, "stack_nodes", 3)                                                          \
    X(IMP_T_FRAME, "frames", 4)                                                                    \
    X(IMP_T_SYMBOL, "symbols", 5)                                                                  \
    X(IMP_T_MARK, "marks", 5)                                                                      \
    X(IMP_T_STATE, "thread_states", 6)                                                             \
    X(IMP_T_COUNTER, "health_counters", 4)                                                         \
    X(IMP_T_PROBLEM, "import_problems", 9)                                                         \
    X(IMP_T_INFO, "import_info", 2)

enum imp_table {
#define IMP_TABLE_ENUM(id, name, cols) id,
    IMP_TABLES(IMP_TABLE_ENUM)
#undef IMP_TABLE_ENUM
        IMP_T_COUNT
};
#define IMP_MAX_COLUMNS 18

enum imp_value_type { IMP_V_NULL = 0, IMP_V_INT, IMP_V_TEXT };

typedef struct imp_value {
    int64_t i;
    const char *s; /* IMP_V_TEXT: NUL-terminated unless len >= 0 */
    int32_t len;
    uint8_t type;
} imp_value_t;

static inline imp_value_t imp_v_null(void)
{
    return (imp_value_t){0, 0, 0, IMP_V_NULL};
}
static inline imp_value_t imp_v_int(int64_t i)
{
    return (imp_value_t){i, 0, 0, IMP_V_INT};
}
/* An id or time where 0 means "none": stored as NULL. */
static inline imp_value_t imp_v_id(int64_t i)
{
    return i ? imp_v_int(i) : imp_v_null();
}
static inline imp_value_t imp_v_text(const char *s)
{
    return s ? (imp_value_t){0, s, -1, IMP_V_TEXT} : imp_v_null();
}
static inline imp_value_t imp_v_bytes(const void *s, uint32_t len)
{
    return (imp_value_t){0, (const char *)s, (int32_t)len, IMP_V_TEXT};
}

#endif
