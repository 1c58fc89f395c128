/* Gradient sanitising shared by every sampler step: non-finite entries (NaN
 * and ±Inf alike: an infinite entry carries no usable size) become 0 and are
 * counted as non-finite; finite entries beyond the clip are clamped. */
#include "sampler/sampler_internal.h"

#include <math.h>

int64_t smile_grad_sanitise(float *g, size_t d, double clip, int64_t *nonfinite) {
    int64_t changed = 0, bad = 0;
    const float hi = (float)clip, lo = -(float)clip;
    for (size_t i = 0; i < d; i++) {
        float v = g[i];
        if (!isfinite(v)) {
            g[i] = 0.0f;
            bad++;
            changed++;
        } else if (v > hi) {
            g[i] = hi;
            changed++;
        } else if (v < lo) {
            g[i] = lo;
            changed++;
        }
    }
    if (nonfinite) *nonfinite = bad;
    return changed;
}
