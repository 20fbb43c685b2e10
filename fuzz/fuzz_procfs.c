/* libFuzzer target: the /proc/PID/stat, status and cmdline parsers. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "vmatlas/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_stat st;
	struct proc_status ss;
	char **argv = NULL;
	size_t argc = 0;

	stat_parse((const char *)data, size, &st);
	status_parse((const char *)data, size, &ss);
	if (cmdline_parse((const char *)data, size, &argv, &argc) == 0) {
		for (size_t i = 0; i < argc; i++)
			free(argv[i]);
		free(argv);
	}
	return 0;
}
