/* Lookup in tables of names (enum values written by name). */
#include "core/core.h"

#include <string.h>

int smile_name_index(const char *name, const char *const *names, int n) {
    for (int i = 0; name && i < n; i++)
        if (names[i] && !strcmp(name, names[i])) return i;
    return -1;
}
