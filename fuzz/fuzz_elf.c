/* libFuzzer target: the ELF program-header reader on arbitrary images. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "vmatlas/elfinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_object *o = elf_object_from_memory(data, size);

	elf_object_free(o);
	return 0;
}
