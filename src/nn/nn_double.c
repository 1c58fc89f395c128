/* Double instantiation of the layer kernels (nn_kernels.inc), names nn_*_d: used by the
 * finite-difference gradient tests (tests/test_nn_*.c), which need double precision. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "nn/nn.h"

#define R double
#define F(name) nn_##name##_d
#define GEMM cblas_dgemm
#define EXP exp
#define EXPV exp
#define EXPV_MAX 700.0
#define LOG log
#define SQRT sqrt
#define TANH tanh
#include "nn_kernels.inc"
#include "nn_kernels_norm.inc"
#include "nn_kernels_token.inc"
