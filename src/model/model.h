/* Models: the interface of src/model to the modules above it (never installed). */
#ifndef SMILE_MODEL_H
#define SMILE_MODEL_H

#include "core/core.h"
#include "smile_nn.h"

/* Checks idx (or 0..n-1) against data: SMILE_EINVAL with a message when out of range
 * or when a required array is missing. */
smile_status smile_model_check_data(const smile_model *m, const smile_data_view *data,
                                    const uint32_t *idx, size_t n, int need_targets, char *msg,
                                    size_t msg_len);

#endif
