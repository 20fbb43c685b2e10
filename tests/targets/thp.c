/* Target with transparent huge pages: an 8 MiB region aligned to 2 MiB,
 * MADV_HUGEPAGE, fully written: 4 huge pages (2048 base pages) when the
 * kernel could allocate them (smaps' AnonHugePages says how many it did).
 * Usage: thp READYFILE. Writes "thp=0xADDR" and "ready", then sleeps. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE (2UL << 20)

int main(int argc, char **argv)
{
	size_t len = 4 * HUGE;
	char *raw, *p, tmp[4200];
	FILE *f;

	if (argc < 2)
		return 99;
	raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return 99;
	p = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	/* Keep exactly the aligned 8 MiB: the rest would merge with it. */
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + len, (size_t)(raw + len + HUGE - (p + len)));
	if (madvise(p, len, MADV_HUGEPAGE) < 0)
		return 77;
	memset(p, 1, len);

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 99;
	fprintf(f, "thp=%p\nready\n", (void *)p);
	fclose(f);
	rename(tmp, argv[1]);
	for (;;)
		pause();
}
