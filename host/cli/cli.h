/*
 * cli.h - the chimera command's parts beyond chimera.c: each command is
 * run(positional args, count, options) and returns the exit status.
 */
#ifndef CHM_CLI_H
#define CHM_CLI_H

#include "chimera.h"

/* Options a command may take; index into opt[]. Value options take the next
 * word; --dry-run is a flag (its entry is "1" when given). */
enum { OPT_KEY, OPT_TRUST, OPT_POLICY, OPT_TARGET, OPT_OUT, OPT_DRY_RUN, OPT_INPUT, OPT_DEVICE,
       OPT_TRACE, OPT_BATCH, OPT_LIMIT, OPT_LABELS, OPT_OUTPUT, OPT_REQUANT, N_OPTS };

/* Opens name, or prints why not; 0 or the status. */
int cli_open(const char *name, chm_device **dev);

int cli_validate(char **a, int n, const char *const *opt);
int cli_vitis(char **a, int n, const char *const *opt);
int cli_program(char **a, int n, const char *const *opt);
int cli_run(char **a, int n, const char *const *opt);
int cli_model_info(char **a, int n, const char *const *opt);

#endif /* CHM_CLI_H */
