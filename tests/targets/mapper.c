/* Target that changes its layout on SIGUSR1, for the diff tests. All
 * regions live in one PROT_NONE reservation, kept apart by guard ranges so
 * that the kernel cannot merge them; R is the reservation's base.
 *
 *   before                              after SIGUSR1
 *   gone   R+1M   4 MiB, 1024 written   unmapped                (removed)
 *   grow   R+6M   2 MiB, untouched      50 first pages written  (+50 resident)
 *   wide   R+9M   1 MiB, 10 written     mremap'd to 2 MiB in place (grown)
 *   thin   R+14M  2 MiB, 10 written at   mremap'd to 1 MiB, its tail
 *                 R+14M, 20 at R+15M    and 20 resident pages gone (shrunk)
 *   file   a 256 KiB MAP_SHARED file    mapped again at R+20M   (moved)
 *   fresh  -                            R+30M 8 MiB, 300 pages written (added)
 *
 * Usage: mapper READYFILE. Writes KEY=0xADDR lines and "ready"; after
 * SIGUSR1 has been handled, writes READYFILE.done the same way. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (1UL << 20)
#define PAGE 4096UL

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static char *fixed(char *at, size_t len, int prot, int flags, int fd)
{
	char *p = mmap(at, len, prot, flags | MAP_FIXED, fd, 0);

	if (p == MAP_FAILED) {
		perror("mapper: mmap");
		exit(99);
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void touch(char *p, unsigned long pages)
{
	for (unsigned long i = 0; i < pages; i++)
		p[i * PAGE] = 1;
}

static void say(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *path, const char *fmt, ...)
{
	char tmp[4200];
	va_list ap;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		exit(99);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	rename(tmp, path);
}

int main(int argc, char **argv)
{
	const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	char *r, *gone, *grow, *wide, *thin, *file, *fresh, path[4096], done[4200];
	struct sigaction sa;
	sigset_t block, old;
	int fd;

	if (argc < 2)
		return 99;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);

	r = mmap(NULL, 64 * MiB, PROT_NONE, anon | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return 99;
	gone = fixed(r + 1 * MiB, 4 * MiB, rw, anon, -1);
	grow = fixed(r + 6 * MiB, 2 * MiB, rw, anon, -1);
	wide = fixed(r + 9 * MiB, 1 * MiB, rw, anon, -1);
	thin = fixed(r + 14 * MiB, 2 * MiB, rw, anon, -1);
	touch(gone, 1024);
	touch(wide, 10);
	touch(thin, 10);
	touch(thin + 1 * MiB, 20);

	snprintf(path, sizeof(path), "%s.file", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 256 * 1024) < 0)
		return 99;
	file = mmap(NULL, 256 * 1024, rw, MAP_SHARED, fd, 0);
	if (file == MAP_FAILED)
		return 99;

	say(argv[1], "reserve=%p\ngone=%p\ngrow=%p\nwide=%p\nthin=%p\nfile=%p\nfile_path=%s\nready\n",
	    (void *)r, (void *)gone, (void *)grow, (void *)wide, (void *)thin, (void *)file, path);
	while (!go)
		sigsuspend(&old);

	munmap(gone, 4 * MiB);
	touch(grow, 50);
	/* Growing in place needs the range above to be free. */
	munmap(r + 10 * MiB, 1 * MiB);
	if (mremap(wide, 1 * MiB, 2 * MiB, 0) == MAP_FAILED) {
		perror("mapper: mremap");
		return 99;
	}
	if (mremap(thin, 2 * MiB, 1 * MiB, 0) == MAP_FAILED) {
		perror("mapper: mremap");
		return 99;
	}
	munmap(file, 256 * 1024);
	file = fixed(r + 20 * MiB, 256 * 1024, rw, MAP_SHARED, fd);
	fresh = fixed(r + 30 * MiB, 8 * MiB, rw, anon, -1);
	touch(fresh, 300);
	close(fd);

	snprintf(done, sizeof(done), "%s.done", argv[1]);
	say(done, "file=%p\nfresh=%p\nready\n", (void *)file, (void *)fresh);
	for (;;)
		pause();
}
