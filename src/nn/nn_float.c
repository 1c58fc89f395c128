/* Float instantiation of the layer kernels (nn_kernels.inc): the versions models use. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "nn/nn.h"

#define R float
#define F(name) nn_##name
#define GEMM cblas_sgemm
#define EXP expf
#define LOG logf
#define SQRT sqrtf
#define TANH tanhf
#include "nn_kernels.inc"
