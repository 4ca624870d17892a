/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TODO(owner): being written. */
#include "memrange-private.h"
