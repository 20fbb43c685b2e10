/* smaps_rollup_parse on inline text, and against the kernel's own file of
 * this very process; family_members on this process and a forked child. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmatlas/family.h"
#include "vmatlas/procfs.h"
#include "check.h"

/* Fields as fs/proc/task_mmu.c show_smaps_rollup prints them (Linux 6.x). */
static const char rollup[] =
	"55d0c0000000-7ffd00000000 ---p 00000000 00:00 0                          [rollup]\n"
	"Rss:                5512 kB\n"
	"Pss:                1304 kB\n"
	"Pss_Dirty:           884 kB\n"
	"Pss_Anon:            876 kB\n"
	"Pss_File:            428 kB\n"
	"Pss_Shmem:             0 kB\n"
	"Shared_Clean:       1020 kB\n"
	"Shared_Dirty:       4032 kB\n"
	"Private_Clean:       100 kB\n"
	"Private_Dirty:       360 kB\n"
	"Referenced:         5512 kB\n"
	"Anonymous:          4480 kB\n"
	"KSM:                   0 kB\n"
	"LazyFree:              0 kB\n"
	"AnonHugePages:         0 kB\n"
	"Swap:                 12 kB\n"
	"SwapPss:               3 kB\n"
	"Locked:                0 kB\n";

static void test_parse(void)
{
	struct smaps_rollup r;

	CHECK_EQ_U64(smaps_rollup_parse(rollup, strlen(rollup), &r), 0);
	CHECK_EQ_U64(r.rss, 5512);
	CHECK_EQ_U64(r.pss, 1304); /* not Pss_Dirty, Pss_Anon... */
	CHECK_EQ_U64(r.shared_clean, 1020);
	CHECK_EQ_U64(r.shared_dirty, 4032);
	CHECK_EQ_U64(r.private_clean + r.private_dirty, 460);
	CHECK_EQ_U64(r.swap, 12);
	CHECK_EQ_U64(r.swap_pss, 3); /* not Swap */
	CHECK_EQ_U64(r.found, 0xff);
	/* Without its last newline, too. */
	CHECK_EQ_U64(smaps_rollup_parse(rollup, strlen(rollup) - 1, &r), 0);
	CHECK_EQ_U64(r.swap_pss, 3);
}

static void test_parse_bad(void)
{
	struct smaps_rollup r;
	static const char *const bad[] = {
		"",                                   /* empty: a process without mm */
		"Rss: 4 kB\n",                        /* no Pss */
		"Rss: 4 kB\nPss: x kB\n",             /* not a number */
		"Rss: 4 kB\nPss: 4 MB\n",             /* not kB */
		"Rss: 4 kB\nPss: 99999999999999999999 kB\n", /* too big */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_U64(smaps_rollup_parse(bad[i], strlen(bad[i]), &r), (uint64_t)-EINVAL);
}

static void test_parse_real(void)
{
	struct smaps_rollup r;
	char *buf = NULL;
	size_t len;

	if (procfs_read_file("/proc/self/smaps_rollup", 1 << 20, &buf, &len) < 0)
		return; /* a kernel before 4.14 */
	CHECK_EQ_U64(smaps_rollup_parse(buf, len, &r), 0);
	CHECK(r.rss > 0 && r.pss <= r.rss && r.private_clean + r.private_dirty <= r.rss);
	free(buf);
}

static void test_members(void)
{
	pid_t self = getpid(), kid = fork(), *pids = NULL, failed = 0;
	size_t n = 0;

	if (kid == 0) {
		pause();
		_exit(0);
	}
	CHECK(kid > 0);
	CHECK_EQ_U64(family_members(&self, 1, &pids, &n, &failed), 0);
	CHECK(n >= 2 && pids && pids[0] == self);
	CHECK(n >= 2 && pids[1] == kid);
	free(pids);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	/* A root that is gone is named. */
	pids = NULL;
	CHECK_EQ_U64(family_members(&kid, 1, &pids, &n, &failed), (uint64_t)-ESRCH);
	CHECK_EQ_U64(failed, kid);
	CHECK(pids == NULL);
}

int main(void)
{
	test_parse();
	test_parse_bad();
	test_parse_real();
	test_members();
	CHECK_DONE();
}
