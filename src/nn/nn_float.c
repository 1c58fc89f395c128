/* Float instantiation of the layer kernels (nn_kernels.inc): the versions models use. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "nn/nn.h"

#include "nn/nn_expf.h"

/* exported for the accuracy test */
float nn_expf_fast_(float a);
float nn_expf_fast_(float a) { return nn_expf_fast(a); }

#define R float
#define F(name) nn_##name
#define GEMM cblas_sgemm
#define EXP expf
#define EXPV nn_expf_fast /* vectorisable exp of the hot loops */
#define EXPV_MAX 88.0f
#define LOG logf
#define SQRT sqrtf
#define TANH tanhf
#include "nn_kernels.inc"
#include "nn_kernels_norm.inc"
#include "nn_kernels_token.inc"
