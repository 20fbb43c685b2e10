/* Target with shared memory paged out to swap (MADV_PAGEOUT), which
 * pagemap shows as holes:
 *
 *   shanon   16 MiB shared anonymous, written, all 4096 pages paged out.
 *   memfd    64 pages written; of every 4, the first 2 paged out: runs
 *            [swapped 2, file 2] x 16.
 *   sysv     SysV shm of 16 pages written, the first 8 paged out.
 *   tmpsh    a tmpfs file of 16 pages (in TMPDIR, /dev/shm by default),
 *            mapped shared: pages 8-15 read, then paged out (0-7 never
 *            touched here): 8 swapped, 8 not present.
 *   tmppriv  the same file mapped private: pages 0-3 read (4 resident),
 *            4-7 written (copies) and paged out (4 swapped in pagemap),
 *            8-15 holes over the object's swapped pages: 12 swapped.
 *
 * Usage: shmswap READYFILE [DIR]. Writes KEY=0xADDR lines and "ready",
 * then sleeps until killed. Exits 98 when a page could not be paged out
 * (no swap). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "targetlib.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static void pageout(char *p, size_t pages)
{
	if (madvise(p, pages * PAGE, MADV_PAGEOUT) < 0)
		_exit(98);
}

static void touch(char *p, size_t from, size_t to, int write)
{
	for (size_t i = from; i < to; i++) {
		if (write)
			p[i * PAGE] = 2;
		else
			(void)*(volatile char *)(p + i * PAGE);
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : "/dev/shm";
	char path[4096], line[512], *shanon, *memfd, *sysv, *tmpsh, *tmppriv;
	int fd, id;

	if (argc < 2)
		return 99;
	shanon = mmap(NULL, 4096 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shanon == MAP_FAILED)
		return 99;
	touch(shanon, 0, 4096, 1);
	pageout(shanon, 4096);

	fd = memfd_create("vmatlas shmswap", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 64 * PAGE) < 0)
		return 99;
	memfd = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (memfd == MAP_FAILED)
		return 99;
	close(fd);
	touch(memfd, 0, 64, 1);
	for (size_t i = 0; i < 64; i += 4)
		pageout(memfd + i * PAGE, 2);

	id = shmget(IPC_PRIVATE, 16 * PAGE, IPC_CREAT | 0600);
	sysv = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
	if (sysv == (char *)-1)
		return 99;
	shmctl(id, IPC_RMID, NULL);
	touch(sysv, 0, 16, 1);
	pageout(sysv, 8);

	snprintf(path, sizeof(path), "%s/vmatlas-shmswap.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return 99;
	unlink(path);
	for (size_t i = 0; i < 16; i++)
		if (pwrite(fd, "x", 1, (off_t)(i * PAGE)) != 1)
			return 99;
	if (ftruncate(fd, 16 * PAGE) < 0)
		return 99;
	tmpsh = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tmppriv = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (tmpsh == MAP_FAILED || tmppriv == MAP_FAILED)
		return 99;
	close(fd);
	touch(tmpsh, 8, 16, 0);
	pageout(tmpsh + 8 * PAGE, 8);
	touch(tmppriv, 0, 4, 0);
	touch(tmppriv, 4, 8, 1);
	pageout(tmppriv + 4 * PAGE, 4);

	snprintf(line, sizeof(line), "shanon=%p\nmemfd=%p\nsysv=%p\ntmpsh=%p\ntmppriv=%p\nready\n",
		 (void *)shanon, (void *)memfd, (void *)sysv, (void *)tmpsh, (void *)tmppriv);
	say(argv[1], line);
	for (;;)
		pause();
}
