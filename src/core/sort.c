/* Orders for qsort. */
#include "core/core.h"

int smile_cmp_value_index(const void *pa, const void *pb) {
    const smile_value_index *a = pa, *b = pb;
    if (a->v < b->v) return -1;
    if (a->v > b->v) return 1;
    return (a->i > b->i) - (a->i < b->i);
}
