/* Private helpers of src/io. */
#ifndef SMILE_IO_INTERNAL_H
#define SMILE_IO_INTERNAL_H

#include "smile_internal.h"

#include <stdio.h>

#endif
