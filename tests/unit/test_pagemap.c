/* pagemap collector against a real process (tests/targets/pages.c, whose
 * header gives the layout and the expected numbers).
 *
 * usage: test_pagemap [--swap] [PAGES_TARGET]
 * The target is PAGES_TARGET, else $TARGETS/pages. --swap (run by
 * tests/pagemap-swap.sh with swap enabled) has the target page out 256 pages
 * and checks they read as swapped with both backends. */
#include "config.h"

#include <errno.h>
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
#define BIG_PAGES 8192ULL

/* Start the target; fill the addresses from its ready file. */
static int target_start(const char *path, bool pageout, uint64_t *big,
			uint64_t *small, uint64_t *reserve)
{
	FILE *f = target_run(path, pageout ? "pageout" : NULL);
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "big=%" SCNx64 " small=%" SCNx64 " reserve=%" SCNx64,
		   big, small, reserve);
	fclose(f);
	return n == 3 ? 0 : -EINVAL;
}

static struct vm_mapping mapping(uint64_t start, uint64_t npages)
{
	struct vm_mapping m = { .start = start, .end = start + npages * PAGE };
	return m;
}

/* The run-length encoding of FLAGS reduced to MASK, re-merged. */
static size_t runs_project(const struct vm_mapping *m, uint8_t mask,
			   struct vm_page_run **out)
{
	size_t n = 0, cap = 0;

	*out = NULL;
	for (size_t i = 0; i < m->nruns; i++)
		if (vm_runs_append(out, &n, &cap, m->runs[i].flags & mask,
				   m->runs[i].count) < 0)
			abort();
	return n;
}

static bool runs_equal(const struct vm_page_run *a, size_t na,
		       const struct vm_page_run *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].count != b[i].count || a[i].flags != b[i].flags)
			return false;
	return true;
}

/* The big mapping's runs as the target's header describes them. */
static size_t big_expected_runs(bool with_zero, struct vm_page_run **out)
{
	size_t n = 0, cap = 0;

	*out = NULL;
	for (uint64_t p = 0; p < BIG_PAGES; p++) {
		uint8_t f = 0;
		if (p % 8 == 0 && p / 8 < 1000)
			f = PG_PRESENT;
		else if (p % 8 == 4 && p / 8 < 100)
			f = PG_PRESENT | (with_zero ? PG_ZERO : 0);
		if (vm_runs_append(out, &n, &cap, f, 1) < 0)
			abort();
	}
	return n;
}

static uint64_t runs_sum(const struct vm_mapping *m, uint8_t flag)
{
	uint64_t s = 0;

	for (size_t i = 0; i < m->nruns; i++)
		if (m->runs[i].flags & flag)
			s += m->runs[i].count;
	return s;
}

static void check_big(struct pagemap_ctx *ctx, uint64_t big, unsigned want,
		      struct vm_mapping *m)
{
	struct vm_page_run *exp, *got;
	size_t nexp, ngot;
	bool with_zero;

	*m = mapping(big, BIG_PAGES);
	CHECK_EQ_U64(pagemap_scan_mapping(ctx, m, want), 0);
	CHECK_EQ_U64(m->pages.total, BIG_PAGES);
	CHECK_EQ_U64(m->pages.resident, 1100);
	CHECK_EQ_U64(m->pages.swapped, 0);
	CHECK_EQ_U64(m->pages.not_present, BIG_PAGES - 1100);
	/* Zero pages are known with the scan (Linux 6.7+) and as root;
	 * pread alone, without root, cannot tell them. */
	with_zero = strcmp(pagemap_backend_name(ctx), "scan") == 0 ||
		    pagemap_pfn_visible(ctx);
	CHECK(!!(m->pages.known & PC_ZERO) == with_zero);
	CHECK_EQ_U64(m->pages.zero, with_zero ? 100 : 0);
	if (m->pages.known & PC_THP)
		CHECK_EQ_U64(m->pages.thp, 0);
	if (want & PM_WANT_EXCLUSIVE) {
		CHECK(m->pages.known & PC_EXCLUSIVE);
		CHECK(m->pages.known & PC_FILE);
		CHECK_EQ_U64(m->pages.exclusive, 1000);
		CHECK_EQ_U64(m->pages.file_or_shared, 0);
	} else {
		CHECK(!(m->pages.known & PC_EXCLUSIVE));
	}
	if (!(want & PM_WANT_RUNS)) {
		CHECK(m->runs == NULL);
		return;
	}
	CHECK_EQ_U64(runs_sum(m, PG_PRESENT), 1100);
	nexp = big_expected_runs(with_zero, &exp);
	ngot = runs_project(m, PG_PRESENT | PG_SWAPPED | PG_ZERO, &got);
	CHECK_EQ_U64(ngot, nexp);
	CHECK(runs_equal(got, ngot, exp, nexp));
	CHECK_EQ_U64(runs_sum(m, PG_ZERO), with_zero ? 100 : 0);
	free(exp);
	free(got);
}

static void test_layout(const char *target)
{
	uint64_t big, small, reserve, e, ents[64];
	struct pagemap_ctx *scan, *pread_ctx;
	struct vm_mapping ms, mp, m;
	struct vm_page_run *rs, *rp;
	size_t nrs, nrp;
	ssize_t n;
	int r;

	r = target_start(target, false, &big, &small, &reserve);
	CHECK_EQ_U64(r, 0);
	if (r < 0)
		return;
	scan = pagemap_open(target_pid, PM_BACKEND_SCAN);
	pread_ctx = pagemap_open(target_pid, PM_BACKEND_PREAD);
	CHECK(scan != NULL);
	CHECK(pread_ctx != NULL);
	if (!scan || !pread_ctx)
		goto out;
	CHECK_STR(pagemap_backend_name(scan), "scan");
	CHECK_STR(pagemap_backend_name(pread_ctx), "pread");
	CHECK(pagemap_pfn_visible(scan) == (geteuid() == 0));

	/* Counts alone, runs, flags, exclusive: every combination agrees. */
	check_big(scan, big, 0, &ms);
	vm_mapping_fini(&ms);
	check_big(scan, big, PM_WANT_RUNS | PM_WANT_FLAGS, &ms);
	check_big(pread_ctx, big, PM_WANT_RUNS | PM_WANT_EXCLUSIVE | PM_WANT_FLAGS, &mp);
	vm_mapping_fini(&mp);
	/* pread for exclusive plus kpageflags (root) or the scan for zero. */
	check_big(scan, big, PM_WANT_RUNS | PM_WANT_EXCLUSIVE | PM_WANT_FLAGS, &mp);
	vm_mapping_fini(&mp);
	/* Without PM_WANT_FLAGS pread tells the zero page by PFN (root) or
	 * not at all. */
	mp = mapping(big, BIG_PAGES);
	CHECK_EQ_U64(pagemap_scan_mapping(pread_ctx, &mp, PM_WANT_RUNS), 0);
	CHECK_EQ_U64(mp.pages.resident, 1100);
	CHECK_EQ_U64(mp.pages.exclusive, 1000);
	CHECK(!!(mp.pages.known & PC_ZERO) == pagemap_pfn_visible(pread_ctx));
	if (mp.pages.known & PC_ZERO)
		CHECK_EQ_U64(mp.pages.zero, 100);
	else
		CHECK_EQ_U64(runs_sum(&mp, PG_ZERO), 0);
	CHECK(!(mp.pages.known & PC_THP));
	nrs = runs_project(&ms, PG_PRESENT | PG_SWAPPED, &rs);
	nrp = runs_project(&mp, PG_PRESENT | PG_SWAPPED, &rp);
	CHECK(runs_equal(rs, nrs, rp, nrp));
	/* 100 groups of 4 runs (P N Z N), then 900 of 2 (P N). */
	CHECK_EQ_U64(nrs, 2200);
	free(rs);
	free(rp);
	vm_mapping_fini(&ms);
	vm_mapping_fini(&mp);

	/* A scan context still answers exclusive (through pread). */
	m = mapping(big, BIG_PAGES);
	CHECK_EQ_U64(pagemap_scan_mapping(scan, &m, PM_WANT_EXCLUSIVE), 0);
	CHECK_EQ_U64(m.pages.exclusive, 1000);
	CHECK_EQ_U64(m.pages.resident, 1100);

	/* Live refresh: an unchanged mapping reuses the pread result. */
	{
		struct pagemap_cache *c = pagemap_cache_new();
		bool reused = true;

		CHECK(c != NULL);
		for (int round = 0; c && round < 3; round++) {
			m = mapping(big, BIG_PAGES);
			CHECK_EQ_U64(pagemap_scan_mapping_cached(scan, c, &m,
				PM_WANT_RUNS | PM_WANT_EXCLUSIVE, &reused), 0);
			CHECK(reused == (round > 0));
			CHECK_EQ_U64(m.pages.exclusive, 1000);
			CHECK_EQ_U64(m.pages.resident, 1100);
			CHECK_EQ_U64(m.nruns, 2200);
			vm_mapping_fini(&m);
			pagemap_cache_sweep(c);
		}
		/* Another range or another want is another entry. */
		m = mapping(big, BIG_PAGES - 1);
		CHECK_EQ_U64(pagemap_scan_mapping_cached(scan, c, &m,
			PM_WANT_RUNS | PM_WANT_EXCLUSIVE, &reused), 0);
		CHECK(!reused);
		CHECK_EQ_U64(m.pages.total, BIG_PAGES - 1);
		vm_mapping_fini(&m);
		m = mapping(big, BIG_PAGES);
		CHECK_EQ_U64(pagemap_scan_mapping_cached(scan, c, &m,
			PM_WANT_EXCLUSIVE, &reused), 0);
		CHECK(!reused && m.runs == NULL);
		pagemap_cache_free(c);
	}

	/* The small mapping: every page written and private. */
	m = mapping(small, 1024);
	CHECK_EQ_U64(pagemap_scan_mapping(scan, &m, PM_WANT_RUNS), 0);
	CHECK_EQ_U64(m.pages.resident, 1024);
	CHECK_EQ_U64(m.nruns, 1);
	vm_mapping_fini(&m);

	/* 1 TiB untouched reservation: 2^28 pages, none present. */
	m = mapping(reserve, 1ULL << 28);
	CHECK_EQ_U64(pagemap_scan_mapping(scan, &m, PM_WANT_RUNS), 0);
	CHECK_EQ_U64(m.pages.total, 1ULL << 28);
	CHECK_EQ_U64(m.pages.not_present, 1ULL << 28);
	CHECK_EQ_U64(m.pages.resident, 0);
	CHECK_EQ_U64(m.nruns, 1);
	CHECK(m.runs && m.runs[0].flags == 0);
	vm_mapping_fini(&m);

	/* Nothing is ever mapped below mmap_min_addr: a range that is not
	 * (or no longer) mapped reads as not present with both backends. */
	m = mapping(0x1000, 15);
	CHECK_EQ_U64(pagemap_scan_mapping(scan, &m, 0), 0);
	CHECK_EQ_U64(m.pages.not_present, 15);
	m = mapping(0x1000, 15);
	CHECK_EQ_U64(pagemap_scan_mapping(pread_ctx, &m, PM_WANT_EXCLUSIVE), 0);
	CHECK_EQ_U64(m.pages.not_present, 15);
	m = mapping(big + 4, 1);
	CHECK_EQ_U64(pagemap_scan_mapping(scan, &m, 0), (uint64_t)-EINVAL);

	/* Raw entries. */
	CHECK_EQ_U64(pagemap_read_entry(pread_ctx, big + 8 * PAGE + 123, &e), 0);
	CHECK(PM_ENTRY_PRESENT(e) && PM_ENTRY_EXCLUSIVE(e) && !PM_ENTRY_FILE(e));
	CHECK(!!PM_ENTRY_PFN(e) == pagemap_pfn_visible(pread_ctx));
	if (geteuid() == 0) {
		uint64_t fl = 0, cnt = 0;
		const char *names[40];
		bool anon = false;
		size_t k;

		CHECK_EQ_U64(kpage_read(PM_ENTRY_PFN(e), &fl, &cnt), 0);
		CHECK_EQ_U64(cnt, 1);
		k = kpage_flag_names(fl, names, 40);
		for (size_t i = 0; i < k; i++)
			anon |= strcmp(names[i], "anon") == 0;
		CHECK(anon);
		CHECK(names[k] == NULL);
	} else {
		uint64_t fl;
		r = kpage_read(1, &fl, NULL);
		CHECK(r == -EACCES || r == -EPERM);
	}
	CHECK_EQ_U64(pagemap_read_entry(scan, big + 4 * PAGE, &e), 0);
	CHECK(PM_ENTRY_PRESENT(e) && !PM_ENTRY_EXCLUSIVE(e));
	CHECK_EQ_U64(pagemap_read_entry(scan, big + PAGE, &e), 0);
	CHECK(!PM_ENTRY_PRESENT(e) && !PM_ENTRY_SWAPPED(e));
	n = pagemap_read_entries(pread_ctx, big, ents, 64);
	CHECK_EQ_U64(n, 64);
	for (int i = 0; i < 64; i++)
		CHECK_EQ_U64(PM_ENTRY_PRESENT(ents[i]), i % 8 == 0 || i % 8 == 4);

	/* Once the target is gone every call says so. */
	target_stop();
	m = mapping(big, BIG_PAGES);
	CHECK_EQ_U64(pagemap_scan_mapping(scan, &m, 0), (uint64_t)-ESRCH);
	CHECK_EQ_U64(pagemap_scan_mapping(pread_ctx, &m, 0), (uint64_t)-ESRCH);
	CHECK_EQ_U64(pagemap_read_entry(pread_ctx, big, &e), (uint64_t)-ESRCH);
out:
	pagemap_close(scan);
	pagemap_close(pread_ctx);
	target_stop();
}

static void test_open(void)
{
	struct pagemap_ctx *ctx;
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	errno = 0;
	CHECK(pagemap_open(dead, PM_BACKEND_AUTO) == NULL);
	CHECK_EQ_U64(errno, ESRCH);

	ctx = pagemap_open(getpid(), PM_BACKEND_AUTO);
	CHECK(ctx && strcmp(pagemap_backend_name(ctx), "scan") == 0);
	pagemap_close(ctx);
	setenv("VMATLAS_PAGEMAP_BACKEND", "pread", 1);
	ctx = pagemap_open(getpid(), PM_BACKEND_AUTO);
	CHECK(ctx && strcmp(pagemap_backend_name(ctx), "pread") == 0);
	pagemap_close(ctx);
	/* An explicit backend wins over the environment. */
	ctx = pagemap_open(getpid(), PM_BACKEND_SCAN);
	CHECK(ctx && strcmp(pagemap_backend_name(ctx), "scan") == 0);
	pagemap_close(ctx);
	unsetenv("VMATLAS_PAGEMAP_BACKEND");
}

static void test_names(void)
{
	const char *names[4];

	CHECK_EQ_U64(kpage_flag_names((1ULL << 12) | (1ULL << 24) | (1ULL << 26) |
				      (1ULL << 63), names, 4), 3);
	CHECK_STR(names[0], "anon");
	CHECK_STR(names[1], "zero_page");
	CHECK_STR(names[2], "pgtable");
	CHECK(names[3] == NULL);
	CHECK_EQ_U64(kpage_flag_names(0x7, names, 2), 1);
	CHECK_STR(names[0], "locked");
	CHECK(names[1] == NULL);
}

static void test_swap(const char *target)
{
	uint64_t big, small, reserve;
	enum pagemap_backend_id ids[2] = { PM_BACKEND_SCAN, PM_BACKEND_PREAD };
	struct vm_page_run *r[2] = { NULL, NULL };
	size_t nr[2] = { 0, 0 };
	int rc = target_start(target, true, &big, &small, &reserve);

	CHECK_EQ_U64(rc, 0);
	if (rc < 0)
		return;
	for (int b = 0; b < 2; b++) {
		struct pagemap_ctx *ctx = pagemap_open(target_pid, ids[b]);
		struct vm_mapping m = mapping(small, 1024);

		CHECK(ctx != NULL);
		if (!ctx)
			continue;
		CHECK_EQ_U64(pagemap_scan_mapping(ctx, &m, PM_WANT_RUNS), 0);
		CHECK_EQ_U64(m.pages.swapped, 256);
		CHECK_EQ_U64(m.pages.resident, 768);
		CHECK_EQ_U64(m.pages.not_present, 0);
		CHECK_EQ_U64(runs_sum(&m, PG_SWAPPED), 256);
		nr[b] = runs_project(&m, PG_PRESENT | PG_SWAPPED, &r[b]);
		vm_mapping_fini(&m);
		pagemap_close(ctx);
	}
	CHECK_EQ_U64(nr[0], 2);
	CHECK(runs_equal(r[0], nr[0], r[1], nr[1]));
	free(r[0]);
	free(r[1]);
	target_stop();
}

int main(int argc, char **argv)
{
	const char *target = NULL;
	bool swap = false;
	char buf[4096];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--swap") == 0)
			swap = true;
		else
			target = argv[i];
	}
	target = target_path(target, "pages", buf, sizeof(buf));
	/* Backends are chosen explicitly below. */
	unsetenv("VMATLAS_PAGEMAP_BACKEND");
	if (swap) {
		test_swap(target);
	} else {
		test_open();
		test_names();
		test_layout(target);
	}
	CHECK_DONE();
}
