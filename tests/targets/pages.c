/* Target with a known page layout for the pagemap tests.
 *
 * usage: pages READY_FILE [pageout]
 *
 * big:     32 MiB private anonymous (8192 pages of 4 KiB), no THP.
 *          Page 8*i is written for i < 1000 (1000 pages, last 7992);
 *          page 8*i+4 is only read for i < 100 (100 zero-page mappings).
 *          Expected: resident 1100 (zero page included), zero 100,
 *          exclusive 1000, swapped 0, not present 7092.
 * small:   4 MiB private anonymous (1024 pages), every page written.
 *          With "pageout", its first 256 pages are MADV_PAGEOUT'ed:
 *          with swap on, swapped 256, resident 768.
 * reserve: 1 TiB PROT_NONE MAP_NORESERVE, never touched: 2^28 pages, all
 *          not present.
 *
 * Writes "big=0x.. small=0x.. reserve=0x..\n" to READY_FILE (atomically,
 * through a rename) and pauses until killed. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGE 4096UL

static void *map(size_t len, int prot, int extra)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);

	if (p == MAP_FAILED) {
		perror("pages: mmap");
		_exit(99);
	}
	return p;
}

int main(int argc, char **argv)
{
	size_t big_len = 32UL << 20, small_len = 4UL << 20;
	volatile char *big, *small;
	char *reserve, tmp[4096];
	unsigned sum = 0;
	FILE *f;

	if (argc < 2 || sysconf(_SC_PAGESIZE) != (long)PAGE) {
		fprintf(stderr, "usage: pages READY_FILE [pageout] (4 KiB pages)\n");
		return 99;
	}
	big = map(big_len, PROT_READ | PROT_WRITE, 0);
	small = map(small_len, PROT_READ | PROT_WRITE, 0);
	reserve = map(1UL << 40, PROT_NONE, MAP_NORESERVE);
	madvise((void *)big, big_len, MADV_NOHUGEPAGE);
	madvise((void *)small, small_len, MADV_NOHUGEPAGE);

	for (size_t i = 0; i < 1000; i++)
		big[8 * i * PAGE] = (char)(i | 1);
	for (size_t i = 0; i < 100; i++)
		sum += (unsigned char)big[(8 * i + 4) * PAGE];
	for (size_t i = 0; i < small_len / PAGE; i++)
		small[i * PAGE] = (char)(i | 1);
	if (argc > 2 && strcmp(argv[2], "pageout") == 0 &&
	    madvise((void *)small, 256 * PAGE, MADV_PAGEOUT) < 0) {
		perror("pages: madvise(MADV_PAGEOUT)");
		return 99;
	}

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "big=%p small=%p reserve=%p sum=%u\n", (void *)big,
			  (void *)small, (void *)reserve, sum) < 0 ||
	    fclose(f) != 0 || rename(tmp, argv[1]) != 0) {
		perror("pages: ready file");
		return 99;
	}
	for (;;)
		pause();
}
