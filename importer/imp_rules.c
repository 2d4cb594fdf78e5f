/* imp_rules.c: site rules given at import (imp_rules.h, mtdb_import_rule_check). */
#include <stdio.h>
#include <string.h>

#include "imp_error.h"
#include "imp_rules.h"
#include "mtdb_importer.h"

/* The kinds site_rules' CHECK allows (sql/15-tables-analyses.sql). */
static const char *const imp_rule_kinds[] = {"runtime_module", "allocator", "std_code",
                                             "library_file"};
#define IMP_RULE_KINDS (sizeof imp_rule_kinds / sizeof *imp_rule_kinds)

int mtdb_import_rule_check(const char *rule, char *msg, size_t msg_len)
{
    const char *eq = strchr(rule, '=');
    if (!eq) {
        snprintf(msg, msg_len, "rule '%s': write it KIND=PATTERN", rule);
        return IMP_EUSAGE;
    }
    size_t kind_len = (size_t)(eq - rule);
    int known = 0;
    for (size_t i = 0; i < IMP_RULE_KINDS && !known; i++)
        known = strlen(imp_rule_kinds[i]) == kind_len && !memcmp(imp_rule_kinds[i], rule, kind_len);
    if (!known) {
        int n =
            snprintf(msg, msg_len, "rule '%s': unknown kind '%.*s' (", rule, (int)kind_len, rule);
        for (size_t i = 0; n >= 0 && (size_t)n < msg_len && i < IMP_RULE_KINDS; i++)
            n += snprintf(msg + n, msg_len - (size_t)n, "%s%s", imp_rule_kinds[i],
                          i + 2 < IMP_RULE_KINDS   ? ", "
                          : i + 1 < IMP_RULE_KINDS ? " or "
                                                   : ")");
        return IMP_EUSAGE;
    }
    if (!eq[1]) {
        snprintf(msg, msg_len, "rule '%s': the pattern after '=' is empty", rule);
        return IMP_EUSAGE;
    }
    return 0;
}

int imp_rules_write(imp_db_t *db, const char *const *rules, int nrules)
{
    static const char sql[] = "INSERT OR IGNORE INTO site_rules VALUES (?, ?)";
    int rc = 0;
    for (int i = 0; !rc && i < nrules; i++) {
        const char *eq = strchr(rules[i], '=');
        imp_value_t row[2] = {imp_v_bytes(rules[i], (uint32_t)(eq - rules[i])), imp_v_text(eq + 1)};
        rc = imp_db_run(db, sql, row, 2);
    }
    return rc;
}
