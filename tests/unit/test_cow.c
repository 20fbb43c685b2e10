/* pagemap_cow_compare against a real parent/child pair
 * (tests/targets/cow.c, whose header gives the expected numbers): exact
 * with PFNs as root, and the exclusive-bit estimate as an ordinary user.
 *
 * A second target of 70,000 written pages crosses a 256 MiB stretch of the
 * comparison (the scan looks for pages again after it) and is read and
 * compared by two threads in pieces.
 *
 * usage: test_cow [COW_TARGET]   (default $TARGETS/cow) */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmatlas/pagemap.h"
#include "check.h"
#include "target.h"

#define PAGE 4096ULL
#define BIG_W 70000

static pid_t parent_pid, child_pid;
static uint64_t written = 1000;          /* W of the target running */
#define NPAGES (written + 80)

static void child_stop(void)
{
	if (child_pid > 0)
		kill(child_pid, SIGKILL);
}

static int target_start(const char *path, const char *w, uint64_t *addr)
{
	FILE *f = target_run(path, w);
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "parent=%d child=%d addr=%" SCNx64, &parent_pid, &child_pid, addr);
	fclose(f);
	return n == 3 ? 0 : -EINVAL;
}

/* The page states the target's header describes, run-length encoded. */
static size_t expected_runs(struct vm_page_run **out)
{
	size_t n = 0, cap = 0;

	*out = NULL;
	for (uint64_t p = 0; p < NPAGES; p++) {
		uint8_t s = p < written ? (p % 8 ? COW_SHARED : COW_DIVERGED) :
			    p < written + 10 ? COW_CHILD_ONLY :
			    p < written + 30 ? COW_PARENT_ONLY : COW_NEITHER;
		if (vm_runs_append(out, &n, &cap, s, 1) < 0)
			abort();
	}
	return n;
}

static void check_pair(enum pagemap_backend_id be, uint64_t addr,
		       enum cow_precision want_prec)
{
	struct pagemap_ctx *p = pagemap_open(parent_pid, be);
	struct pagemap_ctx *c = pagemap_open(child_pid, be);
	struct vm_page_run *runs = NULL, *exp;
	size_t nruns = 0, nexp = expected_runs(&exp);
	struct cow_counts k;

	CHECK(p && c);
	if (!p || !c)
		goto out;
	CHECK_EQ_U64(pagemap_cow_compare(p, c, addr, addr + NPAGES * PAGE, &k,
					 &runs, &nruns), 0);
	CHECK_EQ_U64(k.precision, want_prec);
	CHECK_EQ_U64(k.diverged, (written + 7) / 8);
	CHECK_EQ_U64(k.shared, written - (written + 7) / 8);
	CHECK_EQ_U64(k.child_only, 10);
	CHECK_EQ_U64(k.parent_only, 20);
	CHECK_EQ_U64(k.neither, 50);
	CHECK_EQ_U64(nruns, nexp);
	for (size_t i = 0; i < nruns && i < nexp; i++)
		if (runs[i].flags != exp[i].flags || runs[i].count != exp[i].count) {
			CHECK_EQ_U64(i, nexp); /* the first run that differs */
			break;
		}

	/* A sub-range, counts only; and address space past the mapping
	 * (never mapped, 1 GiB: skipped by the scan) is neither. */
	CHECK_EQ_U64(pagemap_cow_compare(p, c, addr + 8 * PAGE, addr + 16 * PAGE,
					 &k, NULL, NULL), 0);
	CHECK_EQ_U64(k.diverged, 1);
	CHECK_EQ_U64(k.shared, 7);
	CHECK_EQ_U64(pagemap_cow_compare(p, c, 0x1000, 0x1000 + (1ULL << 30),
					 &k, NULL, NULL), 0);
	CHECK_EQ_U64(k.neither, (1ULL << 30) / PAGE);
	CHECK_EQ_U64(pagemap_cow_compare(p, c, addr + 1, addr + PAGE, &k, NULL,
					 NULL), (uint64_t)-EINVAL);
out:
	free(runs);
	free(exp);
	pagemap_close(p);
	pagemap_close(c);
}

/* The estimate, as the unprivileged owner of the target. */
static void check_as_user(uint64_t addr)
{
	pid_t h = fork();
	int st;

	if (h == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(99);
		check_pair(PM_BACKEND_AUTO, addr, COW_PRECISION_EXCLUSIVE_BIT);
		_exit(check_failures ? 1 : 0);
	}
	CHECK(h > 0 && waitpid(h, &st, 0) == h && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	const char *target;
	struct pagemap_ctx *p, *c;
	struct cow_counts k;
	char buf[4096];
	uint64_t addr;
	int r;

	target = target_path(argc > 1 ? argv[1] : NULL, "cow", buf, sizeof(buf));
	atexit(child_stop); /* runs before target_stop */
	unsetenv("VMATLAS_PAGEMAP_BACKEND");
	CHECK_STR(cow_state_name(COW_PARENT_ONLY), "parent_only");
	CHECK_STR(cow_precision_name(COW_PRECISION_EXCLUSIVE_BIT), "exclusive-bit");
	r = target_start(target, NULL, &addr);
	CHECK_EQ_U64(r, 0);
	if (r < 0)
		CHECK_DONE();
	if (geteuid() == 0) {
		/* Both backends: the scan only skips what pread would read as
		 * empty, so the answers are the same. */
		check_pair(PM_BACKEND_AUTO, addr, COW_PRECISION_PFN);
		check_pair(PM_BACKEND_PREAD, addr, COW_PRECISION_PFN);
		check_as_user(addr);
	} else {
		check_pair(PM_BACKEND_AUTO, addr, COW_PRECISION_EXCLUSIVE_BIT);
	}

	/* A child that is gone is reported, not read as empty. */
	p = pagemap_open(parent_pid, PM_BACKEND_AUTO);
	c = pagemap_open(child_pid, PM_BACKEND_AUTO);
	CHECK(p && c);
	kill(child_pid, SIGKILL);
	for (int i = 0; i < 200 && kill(child_pid, 0) == 0; i++) {
		char st[64], line[256];
		FILE *f;
		bool zombie = false;

		snprintf(st, sizeof(st), "/proc/%d/status", (int)child_pid);
		if ((f = fopen(st, "r"))) {
			while (fgets(line, sizeof(line), f))
				zombie |= strncmp(line, "State:\tZ", 8) == 0;
			fclose(f);
		}
		if (zombie)
			break;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	if (p && c)
		CHECK_EQ_U64(pagemap_cow_compare(p, c, addr, addr + NPAGES * PAGE,
						 &k, NULL, NULL), (uint64_t)-ESRCH);
	pagemap_close(p);
	pagemap_close(c);

	/* The same layout at 70,000 pages. */
	child_stop();
	target_stop();
	written = BIG_W;
	r = target_start(target, "70000", &addr);
	CHECK_EQ_U64(r, 0);
	if (r == 0)
		check_pair(PM_BACKEND_AUTO, addr, geteuid() == 0 ? COW_PRECISION_PFN
							   : COW_PRECISION_EXCLUSIVE_BIT);
	CHECK_DONE();
}
