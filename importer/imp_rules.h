/* imp_rules.h: site rules given at import (`mtdb import --rule KIND=PATTERN`), added to
 * the defaults of sql/15-tables-analyses.sql before the sites are derived, so that a
 * wrapper of the program's own names its callers without a second pass in SQL. */
#ifndef IMP_RULES_H
#define IMP_RULES_H

#include "imp_db.h"

/* After the load, before sql/55-derive.sql: a site_rules row per rule (each already
 * passed mtdb_import_rule_check); a rule the defaults hold is kept once. */
int imp_rules_write(imp_db_t *db, const char *const *rules, int nrules);

#endif
