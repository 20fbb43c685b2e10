/* Target whose library's bss tail the kernel merged with the anonymous
 * memory after it: a 1 MiB spacer is mapped, the library ARGV[2] (1 MiB
 * .bss) is loaded right below it (mmap places top-down), the spacer is
 * unmapped and 16 anonymous pages with the bss's protection are mapped in
 * its place, which the kernel merges into the bss mapping.
 *
 * Usage: bssmerge READYFILE LIBRARY. Writes "bss=0xADDR" (the last byte
 * of big_bss),
 * "merged=0xADDR" (the 16 pages) and "ready"; exits 98 when the layout
 * could not be made. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "targetlib.h"

#define SPACER (1UL << 20)

/* The end of the mapping holding ADDR, from /proc/self/maps; 0 if none. */
static unsigned long mapping_end(const void *addr)
{
	unsigned long a = (unsigned long)addr, s, e = 0, found = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s <= a && a < e)
			found = e;
	if (f)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	char line[256], *spacer, *merged, *(*touch)(void), *bss;
	void *lib;

	if (argc < 3)
		return 99;
	spacer = mmap(NULL, SPACER, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lib = dlopen(argv[2], RTLD_NOW);
	touch = lib ? (char *(*)(void))dlsym(lib, "bss_touch") : NULL;
	if (spacer == MAP_FAILED || !touch)
		return 99;
	/* Its first bytes share the data segment's last page. */
	bss = touch() + (1 << 20) - 1;
	if (mapping_end(bss) != (unsigned long)spacer)
		return 98; /* the library was not loaded right below */
	munmap(spacer, SPACER);
	merged = mmap(spacer, 16 * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (merged != spacer || mapping_end(bss) != (unsigned long)(merged + 16 * PAGE))
		return 98;
	memset(merged, 1, 16 * PAGE);
	snprintf(line, sizeof(line), "bss=%p\nmerged=%p\nready\n", (void *)bss, (void *)merged);
	say(argv[1], line);
	for (;;)
		pause();
}
