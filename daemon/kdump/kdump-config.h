/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The [Kdump] section of memranged.conf as the kdump subsystem takes it:
 * core/config.c parses it into struct config, the kexec plan reads it. */
#pragma once

#include "time-util.h"

struct config_kdump {
        char *mode;         /* Mode= */
        char *kernel;       /* Kernel= */
        char *initrd;       /* Initrd= */
        char *command_line; /* CommandLine= */
        char *command;      /* Command= (another loader, e.g. "kdumpctl reload") */
        char *extra_arguments; /* ExtraArguments= (kexec options, shell quoting) */
        char *kexec_path;   /* KexecPath= */
        char *load_method;  /* LoadMethod= (kexec-method.h) */
        usec_t max_backoff; /* MaxBackoffSec=: longest wait between failed reloads */
        usec_t timeout;     /* TimeoutSec=: a reload running longer is killed */
};

#define CONFIG_KDUMP_MAX_BACKOFF_DEFAULT (300 * USEC_PER_SEC)
#define CONFIG_KDUMP_TIMEOUT_DEFAULT (120 * USEC_PER_SEC)
