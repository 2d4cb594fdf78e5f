/* imp_func_name.h: the name of a heap function by its format number (imp_func_name.c). */
#ifndef IMP_FUNC_NAME_H
#define IMP_FUNC_NAME_H

/* "malloc", "free", ... (MTDB_FUNC_LIST); "unknown" for a number it does not know. */
const char *imp_func_name(unsigned func);

#endif
