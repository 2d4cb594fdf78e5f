/* imp_links.h: links process images to their parents (imp_links.c). */
#ifndef IMP_LINKS_H
#define IMP_LINKS_H

#include "imp_types.h"

/* Links every process to the one it came from, then writes the processes rows. */
int imp_links_write(imp_run_t *run);

#endif
