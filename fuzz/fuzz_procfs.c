/* libFuzzer target: the /proc/PID/stat, status, cmdline and smaps_rollup
 * parsers. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "vmatlas/family.h"
#include "vmatlas/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_stat st;
	struct proc_status ss;
	struct smaps_rollup sr;
	char **argv = NULL;
	size_t argc = 0;

	stat_parse((const char *)data, size, &st);
	status_parse((const char *)data, size, &ss);
	smaps_rollup_parse((const char *)data, size, &sr);
	if (cmdline_parse((const char *)data, size, &argv, &argc) == 0) {
		for (size_t i = 0; i < argc; i++)
			free(argv[i]);
		free(argv);
	}
	return 0;
}
