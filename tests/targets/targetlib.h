/* Helpers shared by the target programs of the following tests. */
#ifndef VMATLAS_TEST_TARGETLIB_H
#define VMATLAS_TEST_TARGETLIB_H

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL

/* PAGES private anonymous pages between PROT_NONE guards (never merged
 * with a neighbour), no THP, the first WRITTEN of them written. */
static inline char *region(size_t pages, size_t written)
{
	char *g = mmap(NULL, (pages + 2) * PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	if (g == MAP_FAILED)
		_exit(99);
	p = mmap(g + PAGE, pages * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		_exit(99);
	madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < written; i++)
		p[i * PAGE] = 1;
	return p;
}

/* One line, appended in a single write (O_APPEND). */
static inline void say(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		_exit(99);
	close(fd);
}

/* SIGUSR1 and SIGUSR2 go to HANDLER, blocked until the program waits for
 * them with sigsuspend (none is lost in between); the old mask in *OLD
 * when OLD is not NULL. */
static inline void usr_signals_block(void (*handler)(int), sigset_t *old)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, old);
}

#endif
