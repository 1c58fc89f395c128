/* Private helpers of src/ensemble. */
#ifndef SMILE_ENSEMBLE_INTERNAL_H
#define SMILE_ENSEMBLE_INTERNAL_H

#include "smile_internal.h"

#endif
