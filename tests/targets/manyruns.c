/* Target with a million page runs: 1048576 private anonymous pages (4 GiB
 * of address space, MAP_NORESERVE, no THP) of which every other one is
 * read, so that it maps the zero page (no memory is used): runs "zn"
 * 524288 times.
 *
 * Usage: manyruns READYFILE. Writes "region=0xADDR" and "ready", then
 * sleeps until killed. */
#include <stdio.h>
#include <unistd.h>

#include "targetlib.h"

#define NPAGES (1UL << 20)

int main(int argc, char **argv)
{
	char line[128], *p;

	if (argc < 2)
		return 99;
	p = region(NPAGES, 0);
	for (size_t i = 0; i < NPAGES; i += 2)
		(void)*(volatile char *)(p + i * PAGE);
	snprintf(line, sizeof(line), "region=%p\nready\n", (void *)p);
	say(argv[1], line);
	for (;;)
		pause();
}
