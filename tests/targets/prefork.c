/* A prefork family with known copy-on-write writes, for the family tests.
 *
 * usage: prefork READY_FILE
 *
 * The master writes all 1000 pages of a private anonymous region (4 KiB
 * pages, no THP), then forks three workers; worker i (1..3) rewrites the
 * region's first 100 * i pages. Worker 1 then forks a grandchild, which
 * rewrites pages 500..549. So, against the master's region:
 *   worker 1: 100 diverged, 900 shared     worker 2: 200 / 800
 *   worker 3: 300 / 700                    grandchild: 150 / 850
 *   (against worker 1, its parent: 50 diverged, 950 shared)
 * and the region's pages by how many of the 5 processes map them:
 *   k=1: 650  k=2: 100  k=3: 100  k=4: 150  k=5: 650  (1650 pages).
 *
 * On SIGUSR1 worker 3 rewrites pages 300..399 too (then 400 diverged, 600
 * shared) and appends "rewrote=400" to READY_FILE.
 *
 * When run as root it first drops to uid/gid 65534, so a test can read it
 * both with PFNs (as root) and without (as that user). Writes
 * "master=PID worker1=PID worker2=PID worker3=PID grandchild=PID
 * addr=0x.. pages=1000\nready\n" to READY_FILE (through a rename) and
 * pauses; every child dies with its parent. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "targetlib.h"

#define NPAGES 1000

static void rewrite(volatile char *m, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		m[i * PAGE] = 2;
}

static void on_usr(int sig)
{
	(void)sig;
}

static void done(int fd)
{
	if (write(fd, "k", 1) != 1)
		_exit(99);
}

int main(int argc, char **argv)
{
	pid_t master = getpid(), w[3], g = 0;
	char tmp[4096], c;
	sigset_t old;
	volatile char *m;
	int pfd[2], gfd[2];
	FILE *f;

	if (argc < 2 || sysconf(_SC_PAGESIZE) != (long)PAGE || pipe(pfd) < 0 || pipe(gfd) < 0) {
		fprintf(stderr, "usage: prefork READY_FILE (4 KiB pages)\n");
		return 99;
	}
	if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0)) {
		perror("prefork: setuid");
		return 99;
	}
	/* setuid cleared it; pagemap readers need a dumpable target. */
	prctl(PR_SET_DUMPABLE, 1);
	m = region(NPAGES, NPAGES);
	usr_signals_block(on_usr, &old);
	for (int i = 0; i < 3; i++) {
		w[i] = fork();
		if (w[i] < 0)
			return 99;
		if (w[i] > 0)
			continue;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rewrite(m, 0, 100 * (size_t)(i + 1));
		if (i == 0) {
			g = fork();
			if (g < 0)
				_exit(99);
			if (g == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				rewrite(m, 500, 550);
				done(gfd[1]);
				for (;;)
					pause();
			}
			if (read(gfd[0], &c, 1) != 1)
				_exit(99);
			/* The master learns the grandchild's pid from here. */
			if (write(gfd[1], &g, sizeof(g)) != sizeof(g))
				_exit(99);
		}
		done(pfd[1]);
		for (;;) {
			sigsuspend(&old);
			if (i == 2) {
				rewrite(m, 300, 400);
				say(argv[1], "rewrote=400\n");
			}
		}
	}
	for (int i = 0; i < 3; i++)
		if (read(pfd[0], &c, 1) != 1)
			return 99;
	if (read(gfd[0], &g, sizeof(g)) != sizeof(g))
		return 99;
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "master=%d worker1=%d worker2=%d worker3=%d grandchild=%d addr=%p pages=%d\nready\n",
			  (int)master, (int)w[0], (int)w[1], (int)w[2], (int)g, (void *)m, NPAGES) < 0 ||
	    fclose(f) != 0 || rename(tmp, argv[1]) < 0) {
		perror("prefork: ready file");
		return 99;
	}
	for (;;)
		pause();
}
