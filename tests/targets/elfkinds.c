/* Target with a known ELF layout: an initialised global in .data, a 1 MiB
 * array in .bss (every page written), a string in .rodata and a heap block.
 * Writes "main data_var bss_buf rodata_str bss_size" (hex addresses) to the
 * ready file argv[1], then waits for a signal. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BSS_SIZE (1u << 20)

int data_var = 42;
static char bss_buf[BSS_SIZE];
static const char rodata_str[] = "elfkinds rodata string";

int main(int argc, char **argv)
{
	char tmp[4096];
	FILE *f;
	char *heap;

	if (argc != 2) {
		fprintf(stderr, "usage: elfkinds READY-FILE\n");
		return 2;
	}
	for (size_t i = 0; i < BSS_SIZE; i += 4096)
		bss_buf[i] = 1;
	/* Below the mmap threshold: comes from brk, so [heap] exists. */
	heap = malloc(4096);
	if (!heap)
		return 1;
	memset(heap, 1, 4096);

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "%lx %lx %lx %lx %x\n", (unsigned long)(void *)main,
		(unsigned long)&data_var, (unsigned long)bss_buf,
		(unsigned long)rodata_str, BSS_SIZE);
	if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
		return 1;
	for (;;)
		pause();
}
