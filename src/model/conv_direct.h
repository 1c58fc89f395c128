/* conv_direct.h — direct float convolution for stride-1 layers with at most 32 input and
 * output channels (LeNet, the first ResNet-7 layer); see conv_direct.c. Same layouts and
 * accumulation rules as nn_conv2d_* (nn.h): forward overwrites y; backward ADDS to dx,
 * dw and db (any may be NULL). Scratch: mdl_convd_scratch_size bytes for up to NT
 * threads. Results do not depend on the number of threads. */
#ifndef SMILE_MODEL_CONV_DIRECT_H
#define SMILE_MODEL_CONV_DIRECT_H

#include "nn/nn.h"

int mdl_convd_ok(const nn_conv2d_dims *d);
size_t mdl_convd_scratch_size(const nn_conv2d_dims *d, size_t NT);
void mdl_convd_forward(float *y, void *scratch, const float *x, const float *w, const float *b,
                       const nn_conv2d_dims *d, size_t B, size_t NT);
void mdl_convd_backward(float *dx, float *dw, float *db, void *scratch, const float *dy,
                        const float *x, const float *w, const nn_conv2d_dims *d, size_t B,
                        size_t NT);

#endif
