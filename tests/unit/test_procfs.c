/* stat, status and cmdline parsers on inline text; procfs_read_file and
 * procfs_collect on this very process, a zombie child and a missing pid. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmatlas/procfs.h"
#include "check.h"

/* Fields 3-25, 26-28, 29-44, 45-51 and 52 of a real-looking stat line
 * (fs/proc/array.c do_task_stat). */
#define F3_25 " R 4000 4242 4000 34816 4242 4194304 113 0 0 0 0 0 0 0 20 0 1 0 123456 8568832 229 18446744073709551615"
#define F26_28 " 94000000000000 94000000020000 140730000000000"
#define F29_44 " 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
#define F45_51 " 94000000030000 94000000031000 94000001000000 140730000001000 140730000001020 140730000001020 140730000002000"
#define F52 " 0\n"

static int stat_str(const char *s, struct proc_stat *st)
{
	return stat_parse(s, strlen(s), st);
}

static void test_stat_full(void)
{
	struct proc_stat st;

	CHECK_EQ_U64(stat_str("4242 (cat)" F3_25 F26_28 F29_44 F45_51 F52, &st), 0);
	CHECK_STR(st.comm, "cat");
	CHECK_EQ_U64(st.state, 'R');
	CHECK_EQ_U64(st.ppid, 4000);
	CHECK_EQ_U64(st.start_time, 123456);
	CHECK_EQ_U64(st.vsize, 8568832);
	CHECK(st.mm.valid);
	CHECK_EQ_U64(st.mm.start_code, 94000000000000ull);
	CHECK_EQ_U64(st.mm.end_code, 94000000020000ull);
	CHECK_EQ_U64(st.mm.start_stack, 140730000000000ull);
	CHECK_EQ_U64(st.mm.start_data, 94000000030000ull);
	CHECK_EQ_U64(st.mm.end_data, 94000000031000ull);
	CHECK_EQ_U64(st.mm.start_brk, 94000001000000ull);
	CHECK_EQ_U64(st.mm.brk, 0);
	CHECK_EQ_U64(st.mm.arg_start, 140730000001000ull);
	CHECK_EQ_U64(st.mm.arg_end, 140730000001020ull);
	CHECK_EQ_U64(st.mm.env_start, 140730000001020ull);
	CHECK_EQ_U64(st.mm.env_end, 140730000002000ull);

	/* No trailing newline. */
	CHECK_EQ_U64(stat_str("4242 (cat)" F3_25 F26_28 F29_44 F45_51 " 0", &st), 0);
	CHECK(st.mm.valid);
}

static void test_stat_comm(void)
{
	struct proc_stat st;
	const char *s = "77 (a) (b)" F3_25 F26_28 F29_44 F45_51 F52;
	char *copy = strdup(s);

	/* The comm "a) (b" looks like a closing ')' followed by fields. */
	CHECK_EQ_U64(stat_str("77 (a) (b)" F3_25 F26_28 F29_44 F45_51 F52, &st), 0);
	CHECK_STR(st.comm, "a) (b");
	CHECK_EQ_U64(st.state, 'R');
	CHECK_EQ_U64(st.ppid, 4000);
	CHECK_EQ_U64(st.mm.env_end, 140730000002000ull);

	CHECK_EQ_U64(stat_str("77 (x\ny) )" F3_25 F26_28 F29_44 F45_51 F52, &st), 0);
	CHECK_STR(st.comm, "x\ny) ");
	CHECK_EQ_U64(st.ppid, 4000);

	CHECK_EQ_U64(stat_str("77 ()" F3_25 F26_28 F29_44 F45_51 F52, &st), 0);
	CHECK_STR(st.comm, "");

	/* Longer than the field: truncated, terminated. */
	CHECK_EQ_U64(stat_str("77 (0123456789012345678901234567890123456789012345678901234567890123456789)"
			      F3_25 F26_28 F29_44 F45_51 F52, &st), 0);
	CHECK_EQ_U64(strlen(st.comm), sizeof(st.comm) - 1);
	CHECK(strncmp(st.comm, "0123456789", 10) == 0);

	/* LEN bounds the parse: a buffer without NUL, cut after field 4. */
	CHECK_EQ_U64(stat_parse(copy, strlen("77 (a) (b) R 4000"), &st), 0);
	CHECK_EQ_U64(st.ppid, 4000);
	CHECK(!st.mm.valid);
	free(copy);
}

static void test_stat_old_and_hidden(void)
{
	struct proc_stat st;

	/* Linux < 3.3: fields end at 44; the mm is not fully known. */
	CHECK_EQ_U64(stat_str("5 (old)" F3_25 F26_28 F29_44 "\n", &st), 0);
	CHECK_EQ_U64(st.ppid, 4000);
	CHECK_EQ_U64(st.start_time, 123456);
	CHECK_EQ_U64(st.vsize, 8568832);
	CHECK(!st.mm.valid);
	CHECK_EQ_U64(st.mm.start_code, 0);
	CHECK_EQ_U64(st.mm.start_data, 0);

	/* Older still: up to the start time only. */
	CHECK_EQ_U64(stat_str("5 (old) S 1 5 5 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99\n", &st), 0);
	CHECK_EQ_U64(st.start_time, 99);
	CHECK_EQ_U64(st.vsize, 0);
	CHECK(!st.mm.valid);

	/* No ptrace-read access: 1, 1, 0 and zeros (fs/proc/array.c). */
	CHECK_EQ_U64(stat_str("6 (hidden)" F3_25 " 1 1 0" F29_44 " 0 0 0 0 0 0 0" F52, &st), 0);
	CHECK(!st.mm.valid);
	CHECK_EQ_U64(st.mm.start_code, 0);
	CHECK_EQ_U64(st.mm.end_code, 0);
	CHECK_EQ_U64(st.vsize, 8568832);

	/* Kernel thread: no mm at all. */
	CHECK_EQ_U64(stat_str("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 2 0 0 18446744073709551615"
			      " 0 0 0" F29_44 " 0 0 0 0 0 0 0" F52, &st), 0);
	CHECK(!st.mm.valid);
	CHECK_EQ_U64(st.ppid, 0);
	CHECK_EQ_U64(st.state, 'S');
}

static void test_stat_bad(void)
{
	struct proc_stat st;

	st.ppid = 31337;
	CHECK_EQ_U64(stat_str("", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 cat R 1\n", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 (cat R 1\n", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 (cat)\n", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 (cat) R\n", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 (cat) RR 1\n", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 (cat) R x1\n", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 (cat) R 1  2\n", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 (cat) R 1 2x\n", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 (cat) R 1 2\n3\n", &st), -EINVAL);
	CHECK_EQ_U64(stat_str("1 (cat)" F3_25 " 99999999999999999999" F52, &st), -EINVAL);
	/* Nothing written on error. */
	CHECK_EQ_U64(st.ppid, 31337);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const struct vm_mapping *find(const struct vm_process *p, const void *addr)
{
	ssize_t i = vm_process_find(p, (uint64_t)(uintptr_t)addr);

	return i < 0 ? NULL : &p->maps[i];
}

/* Under valgrind the process is valgrind's tool (which fakes only the
 * readlink of /proc/self/exe), so identity checks are skipped there. */
static bool is_native(void)
{
	char comm[32] = "";
	int fd = open("/proc/self/comm", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, comm, sizeof(comm) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 && strcmp(comm, "test_procfs\n") == 0;
}

/* /proc/self/NAME, or NULL after a failed check. */
static char *read_self(const char *name, size_t *len)
{
	char path[64], *buf = NULL;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	CHECK_EQ_U64(procfs_read_file(path, 1 << 20, &buf, len), 0);
	return buf;
}

static void test_stat_real(void)
{
	struct proc_stat st;
	size_t len = 0;
	char *buf = read_self("stat", &len);

	if (!buf)
		return;
	CHECK_EQ_U64(stat_parse(buf, len, &st), 0);
	CHECK_EQ_U64(st.ppid, getppid());
	CHECK_EQ_U64(st.state, 'R');
	CHECK(st.mm.valid);
	CHECK(st.mm.arg_start < st.mm.arg_end);
	if (is_native()) {
		CHECK(st.mm.start_code <= (uint64_t)(uintptr_t)test_stat_real);
		CHECK((uint64_t)(uintptr_t)test_stat_real < st.mm.end_code);
	}
	free(buf);
}

static int status_str(const char *s, struct proc_status *st)
{
	return status_parse(s, strlen(s), st);
}

static void test_status(void)
{
	struct proc_status st;
	size_t biglen = 100000;
	char *big;
	char *text;

	CHECK_EQ_U64(status_str(
		"Name:\ta\\nb c\n"
		"Umask:\t0022\n"
		"State:\tS (sleeping)\n"
		"Tgid:\t4242\n"
		"Ngid:\t0\n"
		"Pid:\t4243\n"
		"PPid:\t4000\n"
		"TracerPid:\t17\n"
		"Uid:\t1000\t1001\t1002\t1003\n"
		"Gid:\t100\t100\t100\t100\n"
		"NewKey:\twhatever: it is\n"
		"VmPeak:\t    8548 kB\n"
		"VmSize:\t    8548 kB\n"
		"VmRSS:\t     1792 kB\n"
		"VmSwap:\t      12 kB\n"
		"Cpus_allowed_list:\t0-1\n", &st), 0);
	CHECK_STR(st.name, "a\\nb c");
	CHECK_EQ_U64(st.state, 'S');
	CHECK_EQ_U64(st.tgid, 4242);
	CHECK_EQ_U64(st.ppid, 4000);
	CHECK_EQ_U64(st.tracer_pid, 17);
	CHECK_EQ_U64(st.uid[0], 1000);
	CHECK_EQ_U64(st.uid[1], 1001);
	CHECK_EQ_U64(st.uid[2], 1002);
	CHECK_EQ_U64(st.uid[3], 1003);
	CHECK_EQ_U64(st.vm_rss_kb, 1792);
	CHECK_EQ_U64(st.vm_swap_kb, 12);
	CHECK(st.has_mm);

	/* Kernel thread: no Vm* lines; an unknown key with a huge value;
	 * no trailing newline. */
	big = malloc(biglen + 1);
	memset(big, 'x', biglen);
	big[biglen] = '\0';
	if (asprintf(&text, "Name:\tkworker/0:1-events_long_name_here_and_longer_than_sixty_four_bytes_xx\n"
		     "Huge:\t%s\nState:\tI (idle)\nTgid:\t9\nPPid:\t2\nTracerPid:\t0\n"
		     "Uid:\t0\t0\t0\t0", big) < 0)
		abort();
	CHECK_EQ_U64(status_str(text, &st), 0);
	CHECK(!st.has_mm);
	CHECK_EQ_U64(st.state, 'I');
	CHECK_EQ_U64(st.ppid, 2);
	CHECK_EQ_U64(st.vm_rss_kb, 0);
	CHECK_EQ_U64(strlen(st.name), sizeof(st.name) - 1);
	CHECK(strncmp(st.name, "kworker/0:1-events", 18) == 0);
	free(text);
	free(big);

	CHECK_EQ_U64(status_str("Name:\tx\nState:\tR\nTgid:\t1\nPPid:\t0\n", &st), -EINVAL);
	CHECK_EQ_U64(status_str("Name:\tx\nState:\tR\nTgid:\tx1\nPPid:\t0\nUid:\t0\t0\t0\t0\n", &st), -EINVAL);
	CHECK_EQ_U64(status_str("Name:\tx\nState:\tR\nTgid:\t1\nPPid:\t0\nUid:\t0\t0\t0\n", &st), -EINVAL);
	CHECK_EQ_U64(status_str("Name:\tx\nState:\tR\nTgid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nVmRSS:\t12 MB\n", &st), -EINVAL);
	CHECK_EQ_U64(status_str("Name:\tx\nno colon\n", &st), -EINVAL);
}

static void test_status_real(void)
{
	struct proc_status st;
	size_t len = 0;
	char *buf = read_self("status", &len);

	if (!buf)
		return;
	CHECK_EQ_U64(status_parse(buf, len, &st), 0);
	if (is_native())
		CHECK_STR(st.name, "test_procfs");
	CHECK_EQ_U64(st.tgid, getpid());
	CHECK_EQ_U64(st.ppid, getppid());
	CHECK_EQ_U64(st.uid[0], getuid());
	CHECK_EQ_U64(st.uid[1], geteuid());
	CHECK(st.has_mm);
	CHECK(st.vm_rss_kb > 0);
	free(buf);
}

static void free_argv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ps's view: NULs become spaces, trailing ones go; cut to the buffer. */
static void test_cmdline_title(void)
{
	static const char a[] = "postgres: checkpointer\0\0\0";
	static const char b[] = "prog\0\0-x\0last";
	char out[16];

	CHECK_EQ_U64(cmdline_title(a, sizeof(a) - 1, out, sizeof(out)), 15);
	CHECK_STR(out, "postgres: check");
	CHECK_EQ_U64(cmdline_title(b, sizeof(b) - 1, out, sizeof(out)), 13);
	CHECK_STR(out, "prog  -x last");
	CHECK_EQ_U64(cmdline_title("\0\0", 2, out, sizeof(out)), 0);
	CHECK_STR(out, "");
	CHECK_EQ_U64(cmdline_title("x", 1, out, 1), 0);
	CHECK_STR(out, "");
}

static void test_cmdline(void)
{
	static const char a[] = "prog\0\0-x\0last";
	static const char b[] = "prog\0arg\0";
	char **v = NULL;
	size_t n = 0, big = 1 << 20;
	char *buf;

	CHECK_EQ_U64(cmdline_parse(a, sizeof(a) - 1, &v, &n), 0);
	CHECK_EQ_U64(n, 4);
	if (n == 4) {
		CHECK_STR(v[0], "prog");
		CHECK_STR(v[1], "");
		CHECK_STR(v[2], "-x");
		CHECK_STR(v[3], "last");
		CHECK(v[4] == NULL);
	}
	free_argv(v, n);

	CHECK_EQ_U64(cmdline_parse(b, sizeof(b) - 1, &v, &n), 0);
	CHECK_EQ_U64(n, 2);
	if (n == 2) {
		CHECK_STR(v[0], "prog");
		CHECK_STR(v[1], "arg");
	}
	free_argv(v, n);

	CHECK_EQ_U64(cmdline_parse("\0", 1, &v, &n), 0);
	CHECK_EQ_U64(n, 1);
	if (n == 1)
		CHECK_STR(v[0], "");
	free_argv(v, n);

	CHECK_EQ_U64(cmdline_parse("", 0, &v, &n), 0);
	CHECK_EQ_U64(n, 0);
	free_argv(v, n);

	/* 1 MiB: one long argument without a NUL, then 1 Mi empty ones. */
	buf = malloc(big);
	memset(buf, 'y', big);
	CHECK_EQ_U64(cmdline_parse(buf, big, &v, &n), 0);
	CHECK_EQ_U64(n, 1);
	if (n == 1)
		CHECK_EQ_U64(strlen(v[0]), big);
	free_argv(v, n);
	memset(buf, 0, big);
	CHECK_EQ_U64(cmdline_parse(buf, big, &v, &n), 0);
	CHECK_EQ_U64(n, big);
	if (n == big)
		CHECK_STR(v[big - 1], "");
	free_argv(v, n);
	free(buf);
}

static void test_read_file(void)
{
	char path[] = "/tmp/vmatlas-test-XXXXXX";
	int fd = mkstemp(path);
	char *buf = NULL, data[10000];
	size_t len = 0;

	if (fd < 0) {
		CHECK(fd >= 0);
		return;
	}
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	CHECK_EQ_U64(write(fd, data, sizeof(data)), sizeof(data));
	close(fd);

	CHECK_EQ_U64(procfs_read_file(path, sizeof(data), &buf, &len), 0);
	CHECK_EQ_U64(len, sizeof(data));
	if (buf) {
		CHECK(memcmp(buf, data, sizeof(data)) == 0);
		CHECK_EQ_U64(buf[len], '\0');
	}
	free(buf);
	buf = NULL;
	CHECK_EQ_U64(procfs_read_file(path, sizeof(data) - 1, &buf, &len), -EFBIG);
	CHECK(buf == NULL);
	CHECK_EQ_U64(procfs_read_file(path, 100, &buf, &len), -EFBIG);
	unlink(path);
	CHECK_EQ_U64(procfs_read_file(path, 100, &buf, &len), -ENOENT);

	/* An empty file and a /proc file (which reports size 0). */
	CHECK_EQ_U64(procfs_read_file("/dev/null", 100, &buf, &len), 0);
	CHECK_EQ_U64(len, 0);
	free(buf);
	buf = read_self("maps", &len);
	CHECK(len > 100);
	if (buf)
		CHECK_EQ_U64(strlen(buf), len);
	free(buf);
}

/* Map a file from DIR named NAME; unlink it afterwards when UNLINK. */
static void *map_file(const char *dir, const char *name, bool unlink_it)
{
	char *path;
	void *addr;
	int fd;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		abort();
	addr = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		abort();
	close(fd);
	if (unlink_it)
		unlink(path);
	free(path);
	return addr;
}

static void test_collect_self(int argc, char **argv)
{
	char dir[] = "/tmp/vmatlas-test-XXXXXX";
	struct vm_process p;
	const struct vm_mapping *m;
	void *real, *gone_file, *spaced, *anon;
	bool named = false, native;
	int local = 0, mfd;
	char *rdir;

	native = is_native();
	if (!mkdtemp(dir))
		abort();
	/* realpath: the kernel prints the resolved path. */
	rdir = realpath(dir, NULL);
	real = map_file(rdir, "x (deleted)", false);
	gone_file = map_file(rdir, "y", true);
	spaced = map_file(rdir, "a b", false);
	mfd = memfd_create("vm test", 0);
	if (mfd < 0 || ftruncate(mfd, 4096) < 0)
		abort();
	void *memfd_map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, mfd, 0);
	close(mfd);
	/* Between two PROT_NONE pages: an unnamed anonymous mapping would
	 * otherwise merge with a neighbour of the same protection. */
	anon = mmap(NULL, 4 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED)
		abort();
	anon = mmap((char *)anon + 4096, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
#ifdef PR_SET_VMA
	named = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)anon, 8192,
		      (unsigned long)"my name") == 0;
#endif

	CHECK_EQ_U64(procfs_collect(getpid(), &p), 0);
	CHECK_EQ_U64(p.pid, getpid());
	CHECK_EQ_U64(p.ppid, getppid());
	CHECK_EQ_U64(p.state, 'R');
	CHECK_EQ_U64(p.uid, getuid());
	CHECK(p.start_time > 0);
	CHECK(p.mm.valid);
	CHECK_EQ_U64(p.mm.brk, 0);
	CHECK(p.nmaps > 5);
	for (size_t i = 1; i < p.nmaps; i++)
		CHECK(p.maps[i - 1].end <= p.maps[i].start);

	if (native) {
		CHECK_STR(p.comm, "test_procfs");
		CHECK(p.exe && ends_with(p.exe, "/test_procfs"));
		CHECK_EQ_U64(p.ncmdline, (size_t)argc);
		if (p.ncmdline == (size_t)argc)
			for (int i = 0; i < argc; i++)
				CHECK_STR(p.cmdline[i], argv[i]);
		m = find(&p, (const void *)test_collect_self);
		CHECK(m != NULL);
		if (m) {
			CHECK_STR(m->perms, "r-xp");
			CHECK(ends_with(m->path, "/test_procfs"));
			CHECK_STR(m->path, p.exe);
			CHECK(m->start <= p.mm.start_code + 4096 && p.mm.end_code <= m->end);
		}
		m = find(&p, &local);
		CHECK(m != NULL);
		if (m)
			CHECK_STR(m->path, "[stack]");
	} else {
		fprintf(stderr, "not run as test_procfs itself: skipping identity checks\n");
	}

	m = find(&p, real);
	CHECK(m != NULL);
	if (m) {
		CHECK(ends_with(m->path, "/x (deleted)"));
		CHECK(!m->deleted);
		CHECK_STR(m->perms, "r--s");
	}
	m = find(&p, gone_file);
	CHECK(m != NULL);
	if (m) {
		CHECK(ends_with(m->path, "/y"));
		CHECK(m->deleted);
	}
	m = find(&p, spaced);
	CHECK(m != NULL);
	if (m) {
		CHECK(ends_with(m->path, "/a b"));
		CHECK(!m->deleted);
	}
	m = find(&p, memfd_map);
	CHECK(m != NULL);
	if (m) {
		CHECK_STR(m->path, "/memfd:vm test");
		CHECK(m->deleted);
	}
	m = find(&p, anon);
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ_U64(m->end - m->start, 8192);
		CHECK_STR(m->path, named ? "[anon:my name]" : "");
		CHECK_EQ_U64(m->inode, 0);
	}
	vm_process_fini(&p);

	munmap(real, 4096);
	munmap(gone_file, 4096);
	munmap(spaced, 4096);
	munmap(memfd_map, 4096);
	munmap(anon, 8192);
	{
		char *a, *b;
		if (asprintf(&a, "%s/x (deleted)", rdir) < 0 ||
		    asprintf(&b, "%s/a b", rdir) < 0)
			abort();
		unlink(a);
		unlink(b);
		free(a);
		free(b);
	}
	rmdir(dir);
	free(rdir);
}

static void test_collect_gone(void)
{
	struct vm_process p;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	/* Reaped: the pid is free (reuse within this window is negligible). */
	memset(&p, 0xaa, sizeof(p));
	CHECK_EQ_U64(procfs_collect(pid, &p), -ESRCH);
	CHECK_EQ_U64(p.state, 0);
	CHECK(p.maps == NULL && p.comm == NULL && p.cmdline == NULL);
	CHECK_EQ_U64(procfs_collect(0, &p), -ESRCH);
	CHECK_EQ_U64(procfs_collect(-1, &p), -ESRCH);
}

static void test_collect_zombie(void)
{
	struct vm_process p;
	siginfo_t si;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	/* Wait for the exit without reaping it. */
	memset(&si, 0, sizeof(si));
	CHECK_EQ_U64(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ_U64(procfs_collect(pid, &p), -ESRCH);
	CHECK_EQ_U64(p.state, 'Z');
	CHECK(p.maps == NULL && p.nmaps == 0 && p.comm == NULL);
	waitpid(pid, NULL, 0);
}

/* As an unprivileged user, a root process's stat hides the mm boundaries
 * and its maps cannot be read. */
static void test_collect_denied(void)
{
	pid_t parent = getpid(), pid;
	int status = 0;

	if (getuid() != 0) {
		fprintf(stderr, "skipping permission checks: not root\n");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct vm_process p;
		struct proc_stat st;
		char path[64], *buf = NULL;
		size_t len;
		int ret;

		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)parent);
		if (procfs_read_file(path, 1 << 16, &buf, &len) < 0 ||
		    stat_parse(buf, len, &st) < 0 || st.mm.valid || st.mm.start_code != 0)
			_exit(3);
		free(buf);
		ret = procfs_collect(parent, &p);
		_exit(ret == -EACCES && p.maps == NULL ? 0 : 4);
	}
	CHECK_EQ_U64(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_U64(WEXITSTATUS(status), 0);
}

/* Kernel threads have no mm: -ESRCH, with their real state kept. */
static void test_collect_kthread(void)
{
	struct proc_stat st;
	struct vm_process p;
	char *buf = NULL;
	size_t len;

	if (procfs_read_file("/proc/2/stat", 1 << 16, &buf, &len) < 0 ||
	    stat_parse(buf, len, &st) < 0 || strcmp(st.comm, "kthreadd") != 0) {
		fprintf(stderr, "skipping kernel thread check: no kthreadd in this pid namespace\n");
		free(buf);
		return;
	}
	free(buf);
	CHECK_EQ_U64(procfs_collect(2, &p), -ESRCH);
	CHECK(p.state != 0 && p.state != 'Z');
	CHECK(p.comm == NULL && p.maps == NULL);
}

/* children files: "PID PID " (a trailing blank), empty, and garbage; and
 * the real children of this process, one per thread that forked. */
static void test_children(void)
{
	pid_t *v = NULL, kid;
	size_t n = 0, cap = 0;
	bool found = false;

	CHECK(children_parse("12 345 ", 7, &v, &n, &cap) == 0);
	CHECK_EQ_U64(n, 2);
	CHECK_EQ_U64(v[0], 12);
	CHECK_EQ_U64(v[1], 345);
	CHECK(children_parse("", 0, &v, &n, &cap) == 0);
	CHECK_EQ_U64(n, 2);
	CHECK(children_parse("7\n", 2, &v, &n, &cap) == 0);
	CHECK_EQ_U64(n, 3);
	CHECK(children_parse("1x ", 3, &v, &n, &cap) == -EINVAL);
	CHECK(children_parse("-1 ", 3, &v, &n, &cap) == -EINVAL);
	CHECK(children_parse("0 ", 2, &v, &n, &cap) == -EINVAL);
	CHECK(children_parse("99999999999 ", 12, &v, &n, &cap) == -EINVAL);
	n = 0;
	kid = fork();
	if (kid == 0) {
		pause();
		_exit(0);
	}
	CHECK(kid > 0);
	CHECK(procfs_children(getpid(), &v, &n, &cap) == 0);
	for (size_t i = 0; i < n; i++)
		found |= v[i] == kid;
	CHECK(found);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	CHECK(procfs_children(kid, &v, &n, &cap) == -ESRCH);
	free(v);
}

static pid_t tids_seen[2];

static void *tids_thread(void *arg)
{
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	for (;;)
		pause();
	return NULL;
}

static void test_tids(void)
{
	pthread_t th[2];
	pid_t *v = NULL, kid;
	size_t n0 = 0, n = 0, hits = 0;

	CHECK(procfs_tids(getpid(), &v, &n0) == 0);
	free(v);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, tids_thread, &tids_seen[i]) == 0);
	while (!__atomic_load_n(&tids_seen[0], __ATOMIC_SEQ_CST) ||
	       !__atomic_load_n(&tids_seen[1], __ATOMIC_SEQ_CST))
		sched_yield();
	CHECK(procfs_tids(getpid(), &v, &n) == 0);
	CHECK_EQ_U64(n, n0 + 2);
	for (size_t i = 0; i < n; i++) {
		if (i)
			CHECK(v[i - 1] < v[i]);
		hits += v[i] == getpid() || v[i] == tids_seen[0] || v[i] == tids_seen[1];
	}
	CHECK_EQ_U64(hits, 3);
	free(v);
	for (int i = 0; i < 2; i++) {
		pthread_cancel(th[i]);
		pthread_join(th[i], NULL);
	}
	kid = fork();
	if (kid == 0)
		_exit(0);
	CHECK(kid > 0);
	waitpid(kid, NULL, 0);
	CHECK(procfs_tids(kid, &v, &n) == -ESRCH);
}

int main(int argc, char **argv)
{
	test_tids();
	test_children();
	test_stat_full();
	test_stat_comm();
	test_stat_old_and_hidden();
	test_stat_bad();
	test_stat_real();
	test_status();
	test_status_real();
	test_cmdline();
	test_cmdline_title();
	test_read_file();
	test_collect_self(argc, argv);
	test_collect_gone();
	test_collect_zombie();
	test_collect_denied();
	test_collect_kthread();
	CHECK_DONE();
}
