/* Target with a known layout for the snapshot tests.
 *
 *   anon32   32 MiB private anonymous; pages 0, 8, 16, ... (1000 pages)
 *            written: exactly 1000 resident, 7192 not present.
 *   zero4    4 MiB private anonymous; 100 pages read, never written: 100
 *            present pages, all the shared zero page (Rss 0).
 *   shfile   4 MiB MAP_SHARED file (in the ready file's directory); 10 pages
 *            written: 10 resident, 10 file_or_shared (writes do not fault
 *            around, reads would).
 *   guard    16 MiB PROT_NONE: kind reserved (too big for a guard),
 *            nothing present.
 *   Each region lies between two PROT_NONE guard pages (never merged).
 *   out      with argv[2] = "pageout": 256 pages of anon32 (the first 256
 *            written ones) are paged out with MADV_PAGEOUT after writing.
 *   nodump   with argv[2] = "nodump": PR_SET_DUMPABLE 0, so that only
 *            CAP_SYS_PTRACE may read its /proc/PID/pagemap.
 *
 * Usage: layout READYFILE [pageout|nodump]. Writes KEY=0xADDR lines, then "ready",
 * and sleeps until killed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGE 4096UL

int data_var = 42;
static char bss_buf[1 << 20];

/* Map LEN bytes between two PROT_NONE guard pages, so that the kernel
 * cannot merge the mapping with a neighbour of the same protection. */
static void *map_or_die(size_t len, int prot, int flags, int fd)
{
	char *g = mmap(NULL, len + 2 * PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *p = g == MAP_FAILED ? MAP_FAILED
				  : mmap(g + PAGE, len, prot, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		perror("layout: mmap");
		exit(99);
	}
	return p;
}

int main(int argc, char **argv)
{
	char *anon32, *zero4, *shfile, *guard, path[4096], tmp[4200];
	volatile char sink = 0;
	FILE *f;
	int fd;

	if (argc < 2)
		return 99;
	anon32 = map_or_die(32UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	zero4 = map_or_die(4UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	guard = map_or_die(16UL << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	/* No transparent huge pages: the counts are of 4 KiB pages. */
	madvise(anon32, 32UL << 20, MADV_NOHUGEPAGE);
	madvise(zero4, 4UL << 20, MADV_NOHUGEPAGE);

	for (unsigned long i = 0; i < 1000; i++)
		anon32[i * 8 * PAGE] = 1;
	for (unsigned long i = 0; i < 100; i++)
		sink += zero4[i * PAGE];

	snprintf(path, sizeof(path), "%s.shfile", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4 << 20) < 0)
		return 99;
	shfile = map_or_die(4UL << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	close(fd);
	for (unsigned long i = 0; i < 10; i++)
		shfile[i * 16 * PAGE] = 1;

	memset(bss_buf, 1, sizeof(bss_buf));
	if (argc > 2 && strcmp(argv[2], "pageout") == 0 &&
	    madvise(anon32, 256 * 8 * PAGE, MADV_PAGEOUT) < 0) {
		perror("layout: MADV_PAGEOUT");
		return 99;
	}
	if (argc > 2 && strcmp(argv[2], "nodump") == 0 &&
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		perror("layout: PR_SET_DUMPABLE");
		return 99;
	}

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 99;
	fprintf(f, "anon32=%p\nzero4=%p\nshfile=%p\nguard=%p\ndata_var=%p\nbss_buf=%p\nmain=%p\n",
		(void *)anon32, (void *)zero4, (void *)shfile, (void *)guard,
		(void *)&data_var, (void *)bss_buf, (void *)main);
	fprintf(f, "shfile_path=%s\nready\n", path);
	fclose(f);
	rename(tmp, argv[1]);
	for (;;)
		pause();
}
