/* libFuzzer target: the /proc/PID/maps parser on arbitrary bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "vmatlas/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_mapping *maps = NULL;
	size_t n = 0, bad = 0;

	if (maps_parse((const char *)data, size, &maps, &n, &bad) == 0) {
		for (size_t i = 0; i < n; i++)
			vm_mapping_fini(&maps[i]);
	}
	free(maps);
	return 0;
}
