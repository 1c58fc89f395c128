/* The user-table reader (smile_table_read, delimiter and header detection,
 * quoting) and the schema built from it (column kinds, one-hot levels). */
#include "data/table.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *p = fuzz_file(data, n, "t.csv", 0);
    smile_table t;
    char msg[512];
    smile_table_options o = smile_table_options_default();
    if (smile_table_read(&t, p, &o, msg, sizeof msg) != SMILE_OK) return 0;
    smile_table_select sel = {0};
    smile_table_schema s;
    if (smile_table_schema_build(&s, &t, &sel, msg, sizeof msg) == SMILE_OK)
        smile_table_schema_free(&s);
    smile_table_free(&t);
    return 0;
}
