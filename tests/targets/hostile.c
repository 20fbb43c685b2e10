/* Target whose names are hostile: it maps files named with terminal escape
 * sequences and other bytes a terminal or a JSON encoder may choke on,
 * names its thread with an escape sequence, and (mode "many") creates
 * N mappings.
 *
 * Usage: hostile READYFILE [names | many N] [ARGS...]. The files live in
 * the ready file's directory under "h/". Writes "ready" and sleeps. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const names[] = {
	"esc-\033[31mred\033[0m",
	"osc-\033]0;owned\007",
	"bel-\007\007",
	"c1-\x9b" "2J",
	"cr-\rfake",
	"bs-\b\b\bxx",
	"tab-\tx",
	"bad-utf8-\xff\xfe\xc0\xaf",
	"rlo-\xe2\x80\xae" "fdp.exe",
	"nl-a\nb",
	"backslash-\\012",
	"x (deleted)",
};

static void die(const char *what)
{
	perror(what);
	exit(99);
}

static void map_file_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || ftruncate(fd, 4096) < 0)
		die(name);
	if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
		die("mmap");
	close(fd);
}

int main(int argc, char **argv)
{
	char *rd, dir[4096];
	int dfd, fd;
	FILE *f;

	if (argc < 2)
		return 99;
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
	rd = strdup(argv[1]);
	snprintf(dir, sizeof(dir), "%s/h", dirname(rd));
	mkdir(dir, 0700);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		die(dir);

	if (argc >= 4 && strcmp(argv[2], "many") == 0) {
		long n = atol(argv[3]);
		/* Alternate protections so that neighbours never merge. */
		char *p = mmap(NULL, (size_t)n * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap many");
		for (long i = 0; i < n; i += 2)
			if (mprotect(p + i * 4096, 4096, PROT_READ | PROT_WRITE) < 0)
				die("mprotect");
	} else {
		char comp[201];
		int cur;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			map_file_at(dfd, names[i]);
		/* A deleted file. */
		map_file_at(dfd, "gone");
		unlinkat(dfd, "gone", 0);
		/* A path of about 4 KiB: 20 directories of 200 bytes. */
		memset(comp, 'd', 200);
		comp[200] = '\0';
		cur = dup(dfd);
		for (int i = 0; i < 20; i++) {
			int next;

			mkdirat(cur, comp, 0700);
			next = openat(cur, comp, O_RDONLY | O_DIRECTORY);
			if (next < 0)
				die("deep dir");
			close(cur);
			cur = next;
		}
		map_file_at(cur, "deep");
		close(cur);
		prctl(PR_SET_NAME, "\033]0;t\007\x9b\xff");
	}
	close(dfd);
	f = fopen(argv[1], "w");
	if (!f)
		die(argv[1]);
	fd = fileno(f);
	(void)fd;
	fprintf(f, "ready\n");
	fclose(f);
	for (;;)
		pause();
}
