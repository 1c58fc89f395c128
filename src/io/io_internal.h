/* Private helpers of src/io. */
#ifndef SMILE_IO_INTERNAL_H
#define SMILE_IO_INTERNAL_H

#include "io/io.h"

#include <stdio.h>

#endif
