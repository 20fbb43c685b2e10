/* Swapped-out pages of shared memory: tmpfs files, SysV shm, memfd and
 * shared anonymous memory. pagemap cannot show them: swapping a shmem page
 * out unmaps it and keeps its swap entry in the object's page cache
 * (mm/shmem.c shmem_writeout), so pagemap reads a hole. smaps counts them
 * from the object (fs/proc/task_mmu.c smap_gather_stats: shmem_swap_usage,
 * or per hole for a private mapping), and so does vmatlas: the object,
 * opened through /proc/PID/map_files (CAP_SYS_ADMIN), answers cachestat
 * (Linux 6.5), whose nr_evicted counts the value entries of any range of
 * its page cache (mm/filemap.c filemap_cachestat): for shmem, its swap
 * entries. Halving the ranges places every page. Without the object (no
 * privilege, an older kernel) the count comes from /proc/PID/smaps and the
 * pages cannot be placed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vmatlas/shmswap.h"
#include "vmatlas/procfs.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
/* include/uapi/linux/mman.h of Linux 6.5; the number is the same on every
 * architecture (scripts/syscall.tbl). */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

struct shm_cachestat_range {
	uint64_t off, len;
};

struct shm_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

struct shm_dev {
	unsigned major, minor;
};

struct shmswap {
	pid_t pid;
	long page_size;
	bool active;          /* swap is in use: shmem may have been swapped */
	struct shm_dev *devs; /* tmpfs instances: the kernel's own and mounted */
	size_t ndevs;
	uint64_t *unplaced;   /* starts of mappings left to smaps */
	size_t nunplaced, capunplaced;
	bool no_cachestat;    /* sticky: the kernel lacks it or refuses it */
};

static int devs_add(struct shmswap *s, unsigned major, unsigned minor)
{
	struct shm_dev *n;

	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].major == major && s->devs[i].minor == minor)
			return 0;
	n = realloc(s->devs, (s->ndevs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->devs = n;
	s->devs[s->ndevs++] = (struct shm_dev){ major, minor };
	return 0;
}

/* The kernel's internal tmpfs (mm/shmem.c shm_mnt), where SysV shm, memfd
 * and shared anonymous memory live, is mounted nowhere: a memfd of our own
 * names its device. */
static void devs_add_internal(struct shmswap *s)
{
	struct stat st;
	int fd = (int)syscall(SYS_memfd_create, "vmatlas-probe", 1u /* MFD_CLOEXEC */);

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0)
		devs_add(s, major(st.st_dev), minor(st.st_dev));
	close(fd);
}

/* The target's tmpfs mounts, from its own mount namespace. */
static void devs_add_mounts(struct shmswap *s)
{
	char path[64], *buf = NULL, *line, *next;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)s->pid);
	if (procfs_read_file(path, 64 << 20, &buf, &len) < 0)
		return;
	for (line = buf; line && *line; line = next) {
		unsigned maj, min;
		char *sep;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		/* "36 35 0:32 / /dev/shm rw,nosuid shared:3 - tmpfs tmpfs rw" */
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "tmpfs ", 6) != 0)
			continue;
		if (sscanf(line, "%*s %*s %u:%u", &maj, &min) == 2)
			devs_add(s, maj, min);
	}
	free(buf);
}

struct shmswap *shmswap_open(pid_t pid, long page_size)
{
	struct shmswap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pid = pid;
	s->page_size = page_size;
	s->active = procfs_swap_in_use(); /* none: no shmem page is out */
	if (s->active) {
		devs_add_internal(s);
		devs_add_mounts(s);
	}
	return s;
}

void shmswap_close(struct shmswap *s)
{
	if (!s)
		return;
	free(s->devs);
	free(s->unplaced);
	free(s);
}

bool shmswap_candidate(const struct shmswap *s, const struct vm_mapping *m)
{
	if (!s || !s->active || m->inode == 0)
		return false;
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].major == m->dev_major && s->devs[i].minor == m->dev_minor)
			return true;
	return false;
}

bool shmswap_wants_runs(const struct shmswap *s, const struct vm_mapping *m)
{
	/* A private mapping counts the object's swap only at its holes: a
	 * page it copied on write is its own (smaps_pte_hole). */
	return shmswap_candidate(s, m) && m->perms[3] == 'p';
}

/* The object behind M, or -errno. The map_files entry is a magic link
 * (following it is the point: O_NOFOLLOW refuses it); only mappings of a
 * tmpfs device get here, whose open cannot block, and what opened is
 * checked to be M's file on tmpfs. */
static int object_open(const struct shmswap *s, const struct vm_mapping *m)
{
	char path[96];
	struct stat st;
	struct statfs sf;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)s->pid,
		 m->start, m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_ino != m->inode || major(st.st_dev) != m->dev_major ||
	    minor(st.st_dev) != m->dev_minor || sf.f_type != TMPFS_MAGIC) {
		close(fd);
		return -ENOENT; /* changed since maps was read, or not shmem */
	}
	return fd;
}

/* Swap entries among N pages of the object from page index FIRST. */
static int64_t object_swapped(struct shmswap *s, int fd, uint64_t first, uint64_t n)
{
	uint64_t ps = (uint64_t)s->page_size;
	struct shm_cachestat_range r = { first * ps, n * ps };
	struct shm_cachestat cs;

	memset(&cs, 0, sizeof(cs));
	if (syscall(__NR_cachestat, fd, &r, &cs, 0) < 0)
		return -errno;
	return cs.nr_evicted > n ? (int64_t)n : (int64_t)cs.nr_evicted;
}

struct placer {
	struct shmswap *s;
	int fd;
	struct vm_page_run *runs;
	size_t nruns, cap;
	uint64_t added;
};

/* Runs for the hole of N pages at object index FIRST, SWAPPED of them
 * swapped: halved until each part is all or nothing. */
static int place(struct placer *pl, uint64_t first, uint64_t n, int64_t swapped)
{
	uint64_t half;
	int64_t lo;
	int r;

	if (swapped == 0 || (uint64_t)swapped == n) {
		if (swapped)
			pl->added += n;
		return vm_runs_append(&pl->runs, &pl->nruns, &pl->cap,
				      swapped ? PG_SWAPPED : 0, n);
	}
	half = n / 2;
	lo = object_swapped(pl->s, pl->fd, first, half);
	if (lo < 0)
		return (int)lo;
	if (lo > swapped)
		lo = swapped; /* the object changed meanwhile */
	if ((r = place(pl, first, half, lo)) < 0)
		return r;
	return place(pl, first + half, n - half, swapped - lo);
}

/* Rebuild M's runs with the object's swapped pages in its holes. */
static int place_runs(struct shmswap *s, int fd, struct vm_mapping *m)
{
	struct placer pl = { .s = s, .fd = fd };
	uint64_t first = m->offset / (uint64_t)s->page_size;
	int r = 0;

	for (size_t i = 0; i < m->nruns && r == 0; i++) {
		const struct vm_page_run *run = &m->runs[i];
		int64_t sw;

		if (run->flags & (PG_PRESENT | PG_SWAPPED)) {
			r = vm_runs_append(&pl.runs, &pl.nruns, &pl.cap, run->flags, run->count);
		} else {
			sw = object_swapped(s, fd, first, run->count);
			r = sw < 0 ? (int)sw : place(&pl, first, run->count, sw);
		}
		first += run->count;
	}
	if (r < 0) {
		free(pl.runs);
		return r;
	}
	free(m->runs);
	m->runs = pl.runs;
	m->nruns = pl.nruns;
	m->pages.swapped += pl.added;
	m->pages.not_present -= pl.added;
	return 0;
}

static int unplaced_add(struct shmswap *s, uint64_t start)
{
	if (s->nunplaced == s->capunplaced) {
		size_t ncap = s->capunplaced ? 2 * s->capunplaced : 8;
		uint64_t *n = realloc(s->unplaced, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->unplaced = n;
		s->capunplaced = ncap;
	}
	s->unplaced[s->nunplaced++] = start;
	return 0;
}

int shmswap_mapping(struct shmswap *s, struct vm_mapping *m)
{
	uint64_t pages = (m->end - m->start) / (uint64_t)s->page_size;
	int64_t sw;
	int fd, r = 0;

	if (!shmswap_candidate(s, m))
		return 0;
	if (s->no_cachestat)
		return unplaced_add(s, m->start);
	fd = object_open(s, m);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return unplaced_add(s, m->start); /* EPERM/EACCES: smaps */
	sw = object_swapped(s, fd, m->offset / (uint64_t)s->page_size, pages);
	if (sw < 0) {
		close(fd);
		s->no_cachestat = true; /* ENOSYS before Linux 6.5, EPERM */
		return unplaced_add(s, m->start);
	}
	if (sw == 0)
		goto out;
	if (m->runs) {
		r = place_runs(s, fd, m);
	} else {
		/* A shared mapping's swapped pages are all holes. */
		uint64_t n = (uint64_t)sw < m->pages.not_present ? (uint64_t)sw
								  : m->pages.not_present;
		m->pages.swapped += n;
		m->pages.not_present -= n;
	}
out:
	close(fd);
	return r;
}

int shmswap_page(pid_t pid, const struct vm_mapping *m, uint64_t addr)
{
	struct shmswap *s = shmswap_open(pid, sysconf(_SC_PAGESIZE));
	uint64_t ps;
	int64_t sw = 0;
	int fd;

	if (!s)
		return -ENOMEM;
	ps = (uint64_t)s->page_size;
	if (addr < m->start || addr >= m->end || !shmswap_candidate(s, m))
		goto out;
	fd = object_open(s, m);
	if (fd < 0) {
		sw = fd == -ENOENT ? 0 : fd;
		goto out;
	}
	sw = object_swapped(s, fd, (m->offset + (addr - m->start)) / ps, 1);
	close(fd);
out:
	shmswap_close(s);
	return sw < 0 ? (int)sw : sw > 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int shmswap_finish(struct shmswap *s, struct vm_process *p)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct vm_mapping *m = NULL;
	uint64_t pkb = (uint64_t)s->page_size / 1024;
	FILE *f;

	if (!s || s->nunplaced == 0)
		return 0;
	qsort(s->unplaced, s->nunplaced, sizeof(*s->unplaced), cmp_u64);
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)p->pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : 0; /* counts as pagemap gave them */
	while ((n = getline(&line, &cap, f)) > 0) {
		uint64_t a, b, kb;
		ssize_t i;

		/* "7f..-7f.. rw-s 00000000 00:01 1031   /dev/zero (deleted)" */
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &a, &b) == 2 && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' ')) {
			m = NULL;
			if (bsearch(&a, s->unplaced, s->nunplaced, sizeof(a), cmp_u64) &&
			    (i = vm_process_find(p, a)) >= 0 && p->maps[i].start == a &&
			    p->maps[i].end == b)
				m = &p->maps[i];
			continue;
		}
		if (m && sscanf(line, "Swap: %" SCNu64 " kB", &kb) == 1) {
			/* smaps' Swap holds the anonymous copies pagemap
			 * already saw, and the object's pages. */
			uint64_t sw = kb / pkb, add;

			add = sw > m->pages.swapped ? sw - m->pages.swapped : 0;
			if (add > m->pages.not_present)
				add = m->pages.not_present;
			if (add) {
				m->pages.swapped += add;
				m->pages.not_present -= add;
				/* Where they lie cannot be known: no runs. */
				free(m->runs);
				m->runs = NULL;
				m->nruns = 0;
			}
			m = NULL;
		}
	}
	free(line);
	fclose(f);
	return 0;
}
