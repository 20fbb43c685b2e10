/* Page faults recorded with perf_event_open (see faults.h).
 *
 * Per thread and CPU four events share one ring buffer per CPU
 * (PERF_EVENT_IOC_SET_OUTPUT): the page_fault_user and page_fault_kernel
 * tracepoints, fired once per trap (arch/x86/mm/fault.c
 * handle_page_fault), and the page-faults-min/-maj software events, fired
 * where the kernel counts the fault in min_flt/maj_flt (mm/memory.c
 * mm_account_fault). A trap the kernel retries inside the handler fires
 * once; one it abandons (VM_FAULT_RETRY with a signal pending, then the
 * instruction traps again) or that fails (SIGSEGV) fires the tracepoint
 * but is never counted: a trap is paired with the count event that
 * follows it on the same thread, and a trap followed by another trap is
 * "uncounted". Faults taken by get_user_pages (MAP_POPULATE, mlock,
 * process_vm_readv) are counted but fire no event.
 *
 * inherit=1 follows new threads (and with follow_forks new processes);
 * the kernel refuses mmap of an inherited per-task event (cpu == -1), so
 * the events are per CPU (kernel/events/core.c perf_mmap). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmatlas/classify.h"
#include "vmatlas/elfinfo.h"
#include "vmatlas/faults.h"
#include "vmatlas/pagemap.h"
#include "vmatlas/procfs.h"
#include "vmatlas/symbols.h"

/* Ring buffer data pages per CPU: 32 MiB in all, from 256 KiB to 4 MiB
 * per CPU (a power of two); a recorded fault takes about 120 bytes. */
#define RB_TOTAL_PAGES 8192
#define RB_MIN_PAGES 64
#define RB_MAX_PAGES 1024
#define MAX_RECORD 65536
#define MAX_CHAIN 64
#define MAX_PROCS 4096
#define MAX_PAGES_KEPT 65536  /* per faults_take_pages window */
#define HOLD_NS 2000000       /* records younger than this wait a round */

enum ev_kind { EV_TP_USER, EV_TP_KERNEL, EV_MIN, EV_MAJ, EV__COUNT };

/* x86 page fault error code (arch/x86/include/asm/trap_pf.h) */
#define PF_PROT  (1u << 0)
#define PF_WRITE (1u << 1)
#define PF_USER  (1u << 2)
#define PF_INSTR (1u << 4)

struct tp_layout {
	int id;
	int off_address, off_ip, off_error_code; /* in the raw record */
};

struct rbuf {
	int fd;
	void *base;
	size_t size;
};

/* A mapping a process had, from its maps (time 0: valid any time) or a
 * PERF_RECORD_MMAP2 (valid from its time). */
struct kmap {
	uint64_t start, end, time;
	struct vm_mapping m; /* owned path */
};

struct prange {
	uint64_t start, end;
};

struct fproc {
	pid_t pid, ppid;
	char *comm;
	uint64_t stat0;           /* minflt + majflt at the start */
	bool stat0_known, exited, refreshed;
	uint64_t exec_time;
	struct vm_process vp;     /* maps, classified, most recent read */
	bool vp_valid;
	struct kmap *mm;          /* from MMAP2 records, in time order */
	size_t nmm, capmm;
	const struct vm_mapping *hit; /* the last proc_mapping() answer */
	struct prange *swapped;   /* anonymous pages swapped at the start */
	size_t nswapped;
	struct fault_proc out;
};

struct pending {
	pid_t tid, pid;
	uint64_t addr, ip, ec, time;
	bool kernel;
	uint64_t chain[MAX_CHAIN];
	unsigned nchain;
};

/* One counted fault's contribution, keyed for aggregation. */
struct code_key {
	pid_t pid;
	uint64_t ip;
	enum fault_type type;
	unsigned nchain;
	uint64_t chain[MAX_CHAIN];
	uint64_t count;
};

struct map_row {
	pid_t pid;
	uint64_t start, end;
	enum vm_kind kind;
	char *path;
	bool deleted;
	uint64_t faults, by_type[FT__COUNT];
};

struct rec {
	uint64_t time;
	size_t off; /* of the whole record in faults.arena */
};

struct page_mark {
	pid_t pid;
	uint64_t page;
};

struct faults {
	struct fault_opts o;
	struct tp_layout tp_user, tp_kernel;
	int *cpus;
	size_t ncpus;
	struct rbuf *rb;          /* one per CPU */
	size_t rb_pages;          /* data pages of each */
	size_t last_code, last_row; /* where the previous fault went */
	int *fds;
	size_t nfds, capfds;
	struct fproc *procs;
	size_t nprocs, capprocs;
	struct pending *pend;     /* per thread, unsorted (few threads) */
	size_t npend, cappend;
	struct code_key *codes;
	size_t ncodes, capcodes;
	struct map_row *rows;
	size_t nrows, caprows;
	struct rec *held;         /* read, not yet processed (too young) */
	size_t nheld, capheld;
	char *arena;              /* the bytes of the held records */
	size_t narena, caparena;
	struct page_mark *pages;
	size_t npages, cappages;
	uint64_t by_type[FT__COUNT], faults, minor, major;
	uint64_t unclassified, uncounted, lost;
	uint64_t t_start, t_stop;
	bool started, stopped;
	struct elf_cache *cache;
	long page_size;
};

const char *fault_type_name(enum fault_type t)
{
	static const char *const names[FT__COUNT] = {
		"first_touch", "file", "swap_in", "cow", "other"
	};
	return (unsigned)t < FT__COUNT ? names[t] : "?";
}

static long perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static uint64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *q;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* ---- the tracepoints' ids and field offsets (tracefs) ---- */

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t got = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	while (got + 1 < len && (r = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = '\0';
	return (int)got;
}

static int field_offset(const char *fmt, const char *name)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s;", name);
	p = strstr(fmt, pat);
	if (!p || !(p = strstr(p, "offset:")))
		return -1;
	return atoi(p + 7);
}

/* "ID\nFORMAT" of events/exceptions/NAME under tracefs at ROOT into BUF. */
static int tp_read(const char *root, const char *name, char *buf, size_t len)
{
	char path[256];
	int r, n;

	snprintf(path, sizeof(path), "%s/events/exceptions/%s/id", root, name);
	r = read_small(path, buf, len);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/events/exceptions/%s/format", root, name);
	n = read_small(path, buf + r, len - (size_t)r);
	return n < 0 ? n : r + n;
}

static int tp_parse(const char *buf, struct tp_layout *t)
{
	t->id = atoi(buf);
	t->off_address = field_offset(buf, "address");
	t->off_ip = field_offset(buf, "ip");
	t->off_error_code = field_offset(buf, "error_code");
	if (t->id <= 0 || t->off_address < 0 || t->off_ip < 0 || t->off_error_code < 0)
		return -ENOENT;
	return 0;
}

/* tracefs is not always mounted; root can mount it in a mount namespace
 * of a short-lived child, which leaves the system's mounts as they are. */
static int tp_read_private(const char *name, char *buf, size_t len)
{
	int pfd[2], st = 0;
	size_t got = 0;
	ssize_t r;
	pid_t c;

	if (geteuid() != 0)
		return -ENOENT;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	c = fork();
	if (c < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (c == 0) {
		char b[8192];
		int n;

		close(pfd[0]);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tracefs", "/sys/kernel/tracing", "tracefs",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			_exit(1);
		n = tp_read("/sys/kernel/tracing", name, b, sizeof(b));
		if (n <= 0 || write(pfd[1], b, (size_t)n) != n)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	while (got + 1 < len && (r = read(pfd[0], buf + got, len - 1 - got)) > 0)
		got += (size_t)r;
	close(pfd[0]);
	/* A tracer's waitpid(-1) may reap it first (ECHILD): what it wrote
	 * is what counts, and tp_parse() checks it. */
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	buf[got] = '\0';
	return got > 0 ? 0 : -ENOENT;
}

static int tp_lookup_uncached(const char *name, struct tp_layout *t)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	char buf[8192];

	for (size_t i = 0; i < 2; i++)
		if (tp_read(roots[i], name, buf, sizeof(buf)) > 0 && tp_parse(buf, t) == 0)
			return 0;
	if (tp_read_private(name, buf, sizeof(buf)) == 0 && tp_parse(buf, t) == 0)
		return 0;
	return -ENOENT;
}

/* Once per run: the live screen opens the events again and again. */
static int tp_lookup(const char *name, struct tp_layout *t)
{
	static struct { struct tp_layout l; int r; bool done; } user, kern;
	typeof(&user) c = strcmp(name, "page_fault_user") == 0 ? &user : &kern;

	if (!c->done) {
		c->r = tp_lookup_uncached(name, &c->l);
		c->done = true;
	}
	*t = c->l;
	return c->r;
}

/* ---- CPUs, threads, processes ---- */

static int online_cpus(int **cpus, size_t *n)
{
	char buf[1024], *p;
	size_t cap = 0;
	int r = read_small("/sys/devices/system/cpu/online", buf, sizeof(buf));

	*cpus = NULL;
	*n = 0;
	if (r <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		snprintf(buf, sizeof(buf), "0-%ld", c > 0 ? c - 1 : 0);
	}
	p = buf;
	while (*p) {
		char *e;
		long a = strtol(p, &e, 10), b = a;

		if (e == p)
			break;
		if (*e == '-')
			b = strtol(e + 1, &e, 10);
		for (long c = a; c <= b && c < 4096; c++) {
			if (grow((void **)cpus, &cap, *n, sizeof(int)) < 0)
				return -ENOMEM;
			(*cpus)[(*n)++] = (int)c;
		}
		p = *e == ',' ? e + 1 : e;
		if (*p == '\n')
			break;
	}
	return *n ? 0 : -ENOENT;
}

static struct fproc *proc_find(struct faults *f, pid_t pid)
{
	for (size_t i = 0; i < f->nprocs; i++)
		if (f->procs[i].pid == pid)
			return &f->procs[i];
	return NULL;
}

static void kmap_fini(struct kmap *k)
{
	vm_mapping_fini(&k->m);
}

static void fproc_fini(struct fproc *p)
{
	free(p->comm);
	vm_process_fini(&p->vp);
	for (size_t i = 0; i < p->nmm; i++)
		kmap_fini(&p->mm[i]);
	free(p->mm);
	free(p->swapped);
	free(p->out.comm);
}

static int read_counters(pid_t pid, uint64_t *sum)
{
	struct proc_stat st;
	int r = procfs_read_stat(pid, &st);

	if (r < 0)
		return r;
	if (st.state == 'Z' || st.state == 'X')
		return -ESRCH;
	*sum = st.minflt + st.majflt;
	return 0;
}

/* Read P's maps now (never while it is stopped: vmatlas does not stop
 * it), classified, replacing the previous read. */
static int proc_refresh_maps(struct faults *f, struct fproc *p)
{
	struct vm_process vp;
	int r = procfs_collect(p->pid, &vp);

	if (r < 0)
		return r;
	classify_process(&vp, f->cache);
	p->hit = NULL;
	vm_process_fini(&p->vp);
	p->vp = vp;
	p->vp_valid = true;
	if (!p->comm && vp.comm)
		p->comm = strdup(vp.comm);
	return 0;
}

/* Which anonymous pages are swapped out now: a not-present fault there is
 * a swap-in even when it is served from the swap cache (minor). */
static void proc_read_swapped(struct fproc *p)
{
	struct pagemap_ctx *ctx;
	size_t cap = 0;

	if (!p->vp_valid || !(ctx = pagemap_open(p->pid, PM_BACKEND_AUTO)))
		return;
	for (size_t i = 0; i < p->vp.nmaps; i++) {
		struct vm_mapping *m = &p->vp.maps[i];
		uint64_t a;

		if (m->inode != 0 || m->perms[3] != 'p' ||
		    pagemap_scan_mapping(ctx, m, PM_WANT_RUNS) < 0 || !m->pages.swapped)
			continue;
		a = m->start;
		for (size_t k = 0; k < m->nruns; k++) {
			uint64_t len = m->runs[k].count * (uint64_t)4096;

			if ((m->runs[k].flags & PG_SWAPPED) &&
			    grow((void **)&p->swapped, &cap, p->nswapped, sizeof(*p->swapped)) == 0)
				p->swapped[p->nswapped++] = (struct prange){ a, a + len };
			a += len;
		}
		free(m->runs);
		m->runs = NULL;
		m->nruns = 0;
	}
	pagemap_close(ctx);
}

static struct fproc *proc_add(struct faults *f, pid_t pid, pid_t ppid)
{
	struct fproc *p;

	if (f->nprocs >= MAX_PROCS ||
	    grow((void **)&f->procs, &f->capprocs, f->nprocs, sizeof(*f->procs)) < 0)
		return NULL;
	p = &f->procs[f->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	return p;
}

/* ---- opening the events ---- */

/* Samples are told apart by their layout, never by their IDENTIFIER:
 * the kernel fills one perf_sample_data for all the events of a software
 * event or tracepoint on a task and skips the fields already filled
 * (perf_prepare_sample's sample_flags), so with two recorders at once a
 * sample may carry the other one's id. The page-faults-maj samples have
 * PERIOD added to differ in size; a tracepoint's raw data starts with its
 * id (common_type). */
#define SW_MIN_LEN 40 /* IDENTIFIER, IP, TID, TIME, ADDR */
#define SW_MAJ_LEN 48 /* ... and PERIOD */

static enum ev_kind sample_kind(const struct faults *f, const char *d, size_t len)
{
	if (len == SW_MIN_LEN)
		return EV_MIN;
	if (len == SW_MAJ_LEN)
		return EV_MAJ;
	(void)f;
	(void)d;
	return EV_TP_USER; /* the raw data says which tracepoint */
}

static void attr_fill(const struct faults *f, enum ev_kind k, struct perf_event_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->sample_period = f->o.sample > 1 ? f->o.sample : 1;
	a->disabled = 1;
	a->inherit = 1;
	/* Without follow_forks only new threads inherit (Linux 5.13). */
	a->inherit_thread = !f->o.follow_forks;
	a->enable_on_exec = f->o.on_exec;
	a->sample_id_all = 1;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	a->watermark = 1;
	a->wakeup_watermark = (uint32_t)(f->rb_pages * 4096 / 4);
	/* The same trailer on every record: TID, TIME, IDENTIFIER. */
	a->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
	if (k == EV_TP_USER || k == EV_TP_KERNEL) {
		a->type = PERF_TYPE_TRACEPOINT;
		a->config = (uint64_t)(k == EV_TP_USER ? f->tp_user.id : f->tp_kernel.id);
		a->sample_type |= PERF_SAMPLE_RAW;
		/* Both tracepoints: one layout; a fault in a system call
		 * gets the user chain that made the call. */
		if (f->o.callchains) {
			a->sample_type |= PERF_SAMPLE_CALLCHAIN;
			a->exclude_callchain_kernel = 1;
			a->sample_max_stack = MAX_CHAIN - 1;
		}
		if (k == EV_TP_USER) {
			a->task = 1;
			a->comm = 1;
			a->comm_exec = 1;
			a->mmap = 1;
			a->mmap2 = 1;
			a->mmap_data = 1;
		}
	} else {
		a->type = PERF_TYPE_SOFTWARE;
		a->config = k == EV_MIN ? PERF_COUNT_SW_PAGE_FAULTS_MIN
					: PERF_COUNT_SW_PAGE_FAULTS_MAJ;
		a->sample_type |= PERF_SAMPLE_IP | PERF_SAMPLE_ADDR;
		if (k == EV_MAJ)
			a->sample_type |= PERF_SAMPLE_PERIOD;
	}
}

static int open_thread(struct faults *f, pid_t tid)
{
	for (size_t c = 0; c < f->ncpus; c++) {
		for (int k = 0; k < EV__COUNT; k++) {
			struct perf_event_attr a;
			int fd;

			if (k == EV_TP_KERNEL && f->tp_kernel.id <= 0)
				continue;
			attr_fill(f, (enum ev_kind)k, &a);
			fd = (int)perf_open(&a, tid, f->cpus[c]);
			if (fd < 0)
				return -errno;
			if (grow((void **)&f->fds, &f->capfds, f->nfds, sizeof(int)) < 0) {
				close(fd);
				return -ENOMEM;
			}
			f->fds[f->nfds++] = fd;
			if (f->rb[c].fd < 0) {
				size_t sz = (f->rb_pages + 1) * 4096;
				void *b = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

				if (b == MAP_FAILED)
					return -errno;
				f->rb[c] = (struct rbuf){ fd, b, sz };
			} else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, f->rb[c].fd) < 0) {
				return -errno;
			}
		}
	}
	return 0;
}

static bool tid_opened(const pid_t *done, size_t n, pid_t t)
{
	for (size_t i = 0; i < n; i++)
		if (done[i] == t)
			return true;
	return false;
}

/* Every thread of PID; threads started meanwhile are caught by reading
 * the list again until it holds no new one (inherit covers later ones). */
static int open_process(struct faults *f, pid_t pid)
{
	pid_t *done = NULL, *tids = NULL;
	size_t ndone = 0, capdone = 0, n;
	int r = 0;

	for (int round = 0; round < 16; round++) {
		bool added = false;

		r = procfs_tids(pid, &tids, &n);
		if (r < 0)
			break;
		for (size_t i = 0; i < n && r == 0; i++) {
			if (tid_opened(done, ndone, tids[i]))
				continue;
			r = open_thread(f, tids[i]);
			if (r == -ESRCH) {
				r = 0; /* the thread exited meanwhile */
				continue;
			}
			if (r == 0 && grow((void **)&done, &capdone, ndone, sizeof(pid_t)) < 0)
				r = -ENOMEM;
			if (r == 0)
				done[ndone++] = tids[i];
			added = true;
		}
		free(tids);
		tids = NULL;
		if (r < 0 || !added)
			break;
	}
	free(done);
	if (r == 0 && ndone == 0)
		r = -ESRCH;
	return r;
}

static int add_descendants(struct faults *f, pid_t pid, int depth)
{
	pid_t *kids = NULL;
	size_t n = 0, cap = 0;
	int r;

	if (depth > 64 || procfs_children(pid, &kids, &n, &cap) < 0)
		return 0;
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (proc_find(f, kids[i]))
			continue;
		if (!proc_add(f, kids[i], pid)) {
			r = -ENOMEM;
			break;
		}
		r = add_descendants(f, kids[i], depth + 1);
	}
	free(kids);
	return r;
}

int faults_open(const pid_t *pids, size_t n, const struct fault_opts *o,
		struct faults **out)
{
	struct faults *f = calloc(1, sizeof(*f));
	int r;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	f->o = *o;
	f->page_size = sysconf(_SC_PAGESIZE);
	f->tp_kernel.id = -1;
	r = tp_lookup("page_fault_user", &f->tp_user);
	if (r < 0) {
		/* Without root tracefs is unreadable: that is a refusal. */
		r = geteuid() == 0 ? -ENOENT : -EACCES;
		goto fail;
	}
	if (tp_lookup("page_fault_kernel", &f->tp_kernel) < 0)
		f->tp_kernel.id = -1;
	r = online_cpus(&f->cpus, &f->ncpus);
	if (r < 0)
		goto fail;
	f->rb_pages = RB_MAX_PAGES;
	while (f->rb_pages > RB_MIN_PAGES && f->rb_pages * f->ncpus > RB_TOTAL_PAGES)
		f->rb_pages /= 2;
	f->rb = calloc(f->ncpus, sizeof(*f->rb));
	f->cache = elf_cache_new();
	if (!f->rb || !f->cache) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t c = 0; c < f->ncpus; c++)
		f->rb[c].fd = -1;
	for (size_t i = 0; i < n; i++) {
		if (!proc_find(f, pids[i]) && !proc_add(f, pids[i], 0)) {
			r = -ENOMEM;
			goto fail;
		}
	}
	if (o->follow_forks) {
		size_t top = f->nprocs;

		for (size_t i = 0; i < top; i++)
			if ((r = add_descendants(f, f->procs[i].pid, 0)) < 0)
				goto fail;
	}
	for (size_t i = 0; i < f->nprocs; i++) {
		r = open_process(f, f->procs[i].pid);
		if (r < 0 && !(r == -ESRCH && f->procs[i].ppid))
			goto fail;
	}
	*out = f;
	return 0;
fail:
	faults_close(f);
	return r;
}

void faults_refusal(int err, char *buf, size_t len)
{
	char v[32] = "";

	if (read_small("/proc/sys/kernel/perf_event_paranoid", v, sizeof(v)) > 0)
		v[strcspn(v, "\n")] = '\0';
	if (err == -EACCES || err == -EPERM)
		snprintf(buf, len,
			 "recording page faults needs root (or CAP_PERFMON), or kernel.perf_event_paranoid -1 (it is %s)",
			 v[0] ? v : "unknown");
	else if (err == -ENOENT)
		snprintf(buf, len, "this kernel has no exceptions:page_fault_user tracepoint (x86 with tracefs)");
	else if (err == -EMFILE || err == -ENFILE)
		snprintf(buf, len, "too many open files for the fault events (one per thread and CPU): raise ulimit -n");
	else
		snprintf(buf, len, "cannot record page faults: %s", strerror(-err));
}

int faults_start(struct faults *f)
{
	for (size_t i = 0; i < f->nprocs; i++) {
		struct fproc *p = &f->procs[i];

		proc_refresh_maps(f, p);
		proc_read_swapped(p);
		p->stat0_known = read_counters(p->pid, &p->stat0) == 0;
	}
	f->t_start = now_mono();
	if (!f->o.on_exec)
		for (size_t i = 0; i < f->nfds; i++)
			if (ioctl(f->fds[i], PERF_EVENT_IOC_ENABLE, 0) < 0)
				return -errno;
	f->started = true;
	return 0;
}

/* ---- reading the ring buffers ---- */

/* LEN bytes at POS of a ring of SIZE bytes (a power of two) into DST. */
static void ring_copy(void *dst, const char *ring, uint64_t size, uint64_t pos, size_t len)
{
	uint64_t at = pos & (size - 1);
	size_t first = at + len <= size ? len : (size_t)(size - at);

	memcpy(dst, ring + at, first);
	memcpy((char *)dst + first, ring, len - first);
}

static int read_rb(struct faults *f, struct rbuf *b)
{
	struct perf_event_mmap_page *m = b->base;
	uint64_t head, tail, dsz;
	const char *data;

	if (!b->base)
		return 0;
	head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);
	tail = m->data_tail;
	data = (const char *)b->base + m->data_offset;
	dsz = m->data_size;
	while (tail + sizeof(struct perf_event_header) <= head) {
		struct perf_event_header h;
		struct rec *rc;
		char *d;

		ring_copy(&h, data, dsz, tail, sizeof(h));
		if (h.size < sizeof(h) || tail + h.size > head)
			break;
		if (grow((void **)&f->held, &f->capheld, f->nheld, sizeof(*f->held)) < 0)
			return -ENOMEM;
		while (f->narena + h.size > f->caparena) {
			size_t c = f->caparena ? 2 * f->caparena : 1 << 20;
			char *q = realloc(f->arena, c);

			if (!q)
				return -ENOMEM;
			f->arena = q;
			f->caparena = c;
		}
		rc = &f->held[f->nheld];
		rc->off = f->narena;
		d = f->arena + f->narena;
		ring_copy(d, data, dsz, tail, h.size);
		f->narena += h.size;
		/* The sample_id trailer (or the sample's TIME) gives the time. */
		if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + 32) {
			size_t len = h.size - sizeof(h);
			enum ev_kind k = sample_kind(f, d + sizeof(h), len);

			/* IDENTIFIER, [IP,] TID, TIME */
			memcpy(&rc->time, d + sizeof(h) + (k == EV_TP_USER ? 16 : 24), 8);
		} else if (h.size >= sizeof(h) + 24) {
			memcpy(&rc->time, d + h.size - 16, 8);
		} else {
			rc->time = 0;
		}
		f->nheld++;
		tail += h.size;
	}
	__atomic_store_n(&m->data_tail, tail, __ATOMIC_RELEASE);
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

static struct pending *pending_of(struct faults *f, pid_t tid)
{
	for (size_t i = 0; i < f->npend; i++)
		if (f->pend[i].tid == tid)
			return &f->pend[i];
	if (grow((void **)&f->pend, &f->cappend, f->npend, sizeof(*f->pend)) < 0)
		return NULL;
	memset(&f->pend[f->npend], 0, sizeof(*f->pend));
	f->pend[f->npend].tid = tid;
	return &f->pend[f->npend++];
}

/* The mapping of P covering ADDR at TIME: the latest MMAP2 record before
 * TIME, else the maps last read (read again, once a round, on a miss),
 * else the parent's (a child forked during the recording). */
static const struct vm_mapping *proc_mapping(struct faults *f, struct fproc *p,
					     uint64_t addr, uint64_t time, int depth)
{
	/* Faults come in runs: the previous answer first (forgotten when
	 * the mappings known change). */
	if (p->hit && p->hit->start <= addr && addr < p->hit->end)
		return p->hit;
	for (size_t i = p->nmm; i-- > 0;) {
		const struct kmap *k = &p->mm[i];

		if (k->time <= time && k->start <= addr && addr < k->end)
			return p->hit = &k->m;
	}
	for (int round = 0; round < 2; round++) {
		if (p->vp_valid) {
			ssize_t i = vm_process_find(&p->vp, addr);

			if (i >= 0)
				return p->hit = &p->vp.maps[i];
		}
		if (round || p->refreshed || p->exited)
			break;
		p->refreshed = true;
		proc_refresh_maps(f, p);
	}
	if (p->ppid && depth < 64) {
		struct fproc *pp = proc_find(f, p->ppid);

		if (pp)
			return proc_mapping(f, pp, addr, time, depth + 1);
	}
	return NULL;
}

static bool was_swapped(const struct fproc *p, uint64_t addr)
{
	for (size_t i = 0; i < p->nswapped; i++)
		if (p->swapped[i].start <= addr && addr < p->swapped[i].end)
			return true;
	return false;
}

static enum fault_type classify(const struct fproc *p, const struct vm_mapping *m,
				uint64_t addr, uint64_t ec, bool major)
{
	if (!m)
		return FT_OTHER;
	if (!(ec & PF_PROT)) {
		if (m->inode != 0 || m->perms[3] == 's' ||
		    (m->path && strncmp(m->path, "/dev/zero", 9) == 0))
			return FT_FILE;
		if (major || was_swapped(p, addr))
			return FT_SWAP_IN;
		return FT_FIRST_TOUCH;
	}
	if ((ec & PF_WRITE) && m->perms[3] == 'p')
		return FT_COW;
	return FT_OTHER;
}

static struct map_row *row_for(struct faults *f, pid_t pid, const struct vm_mapping *m)
{
	struct map_row *r;

	for (size_t j = 0; j <= f->nrows; j++) {
		/* the previous row first: faults come in runs */
		size_t i = j == 0 ? f->last_row : j - 1;

		if (i >= f->nrows)
			continue;
		r = &f->rows[i];
		if (r->pid == pid && r->start == m->start &&
		    strcmp(r->path, m->path ? m->path : "") == 0) {
			if (m->end > r->end)
				r->end = m->end;
			f->last_row = i;
			return r;
		}
	}
	if (grow((void **)&f->rows, &f->caprows, f->nrows, sizeof(*f->rows)) < 0)
		return NULL;
	r = &f->rows[f->nrows];
	memset(r, 0, sizeof(*r));
	r->path = strdup(m->path ? m->path : "");
	if (!r->path)
		return NULL;
	r->pid = pid;
	r->start = m->start;
	r->end = m->end;
	r->kind = m->kind;
	r->deleted = m->deleted;
	f->nrows++;
	return r;
}

static void code_add(struct faults *f, pid_t pid, uint64_t ip, enum fault_type t,
		     const uint64_t *chain, unsigned nchain, uint64_t weight)
{
	struct code_key *k;

	for (size_t j = 0; j <= f->ncodes; j++) {
		size_t i = j == 0 ? f->last_code : f->ncodes - j;

		if (i >= f->ncodes)
			continue;
		k = &f->codes[i];
		if (k->pid == pid && k->ip == ip && k->type == t && k->nchain == nchain &&
		    memcmp(k->chain, chain, nchain * sizeof(*chain)) == 0) {
			k->count += weight;
			f->last_code = i;
			return;
		}
	}
	if (grow((void **)&f->codes, &f->capcodes, f->ncodes, sizeof(*f->codes)) < 0)
		return;
	k = &f->codes[f->ncodes++];
	k->pid = pid;
	k->ip = ip;
	k->type = t;
	k->nchain = nchain;
	memcpy(k->chain, chain, nchain * sizeof(*chain));
	k->count = weight;
}

static void mark_page(struct faults *f, pid_t pid, uint64_t addr)
{
	if (f->npages >= MAX_PAGES_KEPT ||
	    grow((void **)&f->pages, &f->cappages, f->npages, sizeof(*f->pages)) < 0)
		return;
	f->pages[f->npages++] = (struct page_mark){ pid, addr & ~(uint64_t)(f->page_size - 1) };
}

/* One classified fault (or, sampling, one sample of WEIGHT faults). */
static void account(struct faults *f, struct fproc *p, const struct pending *t,
		    uint64_t addr, bool have_trap, bool major, bool counted, uint64_t weight)
{
	const struct vm_mapping *m = proc_mapping(f, p, addr, have_trap ? t->time : 0, 0);
	enum fault_type ty = have_trap ? classify(p, m, addr, t->ec, major) : FT_OTHER;
	struct map_row *row;

	if (counted) {
		p->out.faults += weight;
		f->faults += weight;
		if (major) {
			p->out.major += weight;
			f->major += weight;
		} else {
			p->out.minor += weight;
			f->minor += weight;
		}
	}
	if (!have_trap)
		f->unclassified += weight;
	if (f->o.sample > 1 && counted)
		return; /* sampled: the trap samples give the classes */
	p->out.by_type[ty] += weight;
	f->by_type[ty] += weight;
	if (m && (row = row_for(f, p->pid, m))) {
		row->faults += weight;
		row->by_type[ty] += weight;
	}
	mark_page(f, p->pid, addr);
	if (have_trap)
		code_add(f, p->pid, t->ip, ty, t->chain, t->nchain, weight);
}

/* The recorded process of a sample; NULL for one not followed (a child
 * forked while the events were being opened, before inherit_thread took). */
static struct fproc *proc_of_sample(struct faults *f, pid_t pid)
{
	return proc_find(f, pid);
}

static void on_trap(struct faults *f, pid_t pid, pid_t tid,
		    uint64_t time, const char *raw, uint32_t rawlen,
		    const uint64_t *chain, unsigned nchain)
{
	const struct tp_layout *l;
	struct fproc *p = proc_of_sample(f, pid);
	struct pending *t;
	uint64_t addr, ip, ec;
	uint16_t type;
	enum ev_kind kind;

	if (!p || rawlen < 2)
		return;
	memcpy(&type, raw, 2);
	if (type == f->tp_user.id)
		kind = EV_TP_USER;
	else if (type == f->tp_kernel.id)
		kind = EV_TP_KERNEL;
	else
		return;
	l = kind == EV_TP_USER ? &f->tp_user : &f->tp_kernel;
	if ((uint32_t)l->off_error_code + 8 > rawlen)
		return;
	memcpy(&addr, raw + l->off_address, 8);
	memcpy(&ip, raw + l->off_ip, 8);
	memcpy(&ec, raw + l->off_error_code, 8);
	if (kind == EV_TP_KERNEL && addr >= (1ULL << 63))
		return; /* a fault on kernel memory: not the process's */
	if (f->o.sample > 1) {
		struct pending s = { .tid = tid, .pid = pid, .addr = addr, .ip = ip,
				     .ec = ec, .time = time, .kernel = kind == EV_TP_KERNEL };

		memcpy(s.chain, chain, nchain * sizeof(*chain));
		s.nchain = nchain;
		account(f, p, &s, addr, true, false, false, f->o.sample);
		return;
	}
	t = pending_of(f, tid);
	if (!t)
		return;
	if (t->time)
		f->uncounted++;
	t->pid = pid;
	t->addr = addr;
	t->ip = ip;
	t->ec = ec;
	t->time = time;
	t->kernel = kind == EV_TP_KERNEL;
	t->nchain = 0;
	for (unsigned i = 0; i < nchain && t->nchain < MAX_CHAIN; i++)
		if (chain[i] < PERF_CONTEXT_MAX)
			t->chain[t->nchain++] = chain[i];
}

static void on_count(struct faults *f, pid_t pid, pid_t tid, uint64_t addr, bool major)
{
	struct fproc *p = proc_of_sample(f, pid);
	struct pending *t;

	if (!p)
		return;
	if (f->o.sample > 1) {
		account(f, p, NULL, addr, false, major, true, f->o.sample);
		f->unclassified -= f->o.sample;
		return;
	}
	t = pending_of(f, tid);
	if (t && t->time && t->addr == addr) {
		account(f, p, t, addr, true, major, true, 1);
		t->time = 0;
	} else {
		account(f, p, NULL, addr, false, major, true, 1);
	}
}

static void on_fork(struct faults *f, const char *d, size_t len, uint64_t time)
{
	uint32_t v[4]; /* pid, ppid, tid, ptid */
	struct fproc *p;

	(void)time;
	if (len < sizeof(v))
		return;
	memcpy(v, d, sizeof(v));
	if (v[0] == v[1] || !f->o.follow_forks || proc_find(f, (pid_t)v[0]))
		return; /* a new thread, or known */
	p = proc_add(f, (pid_t)v[0], (pid_t)v[1]);
	if (p) {
		struct fproc *pp = proc_find(f, (pid_t)v[1]);

		p->stat0_known = true; /* it started at 0 */
		if (pp && pp->comm)
			p->comm = strdup(pp->comm);
	}
}

static void on_exit_rec(struct faults *f, const char *d, size_t len)
{
	uint32_t v[4];
	struct fproc *p;

	if (len < sizeof(v))
		return;
	memcpy(v, d, sizeof(v));
	if (v[0] == v[2] && (p = proc_find(f, (pid_t)v[0])))
		p->exited = true;
}

static void on_comm(struct faults *f, const char *d, size_t len, bool exec, uint64_t time)
{
	uint32_t v[2];
	struct fproc *p;

	if (len < sizeof(v) + 1)
		return;
	memcpy(v, d, sizeof(v));
	if (v[0] != v[1] || !(p = proc_find(f, (pid_t)v[0])))
		return;
	free(p->comm);
	p->comm = strndup(d + sizeof(v), len - sizeof(v));
	if (exec) {
		/* A new image: the maps and mappings known before are gone. */
		for (size_t i = 0; i < p->nmm; i++)
			kmap_fini(&p->mm[i]);
		p->nmm = 0;
		p->hit = NULL;
		vm_process_fini(&p->vp);
		p->vp_valid = false;
		p->exec_time = time;
		p->refreshed = false;
		p->ppid = 0;
	}
}

static void on_mmap2(struct faults *f, const char *d, size_t len, uint64_t time)
{
	/* pid, tid, addr, len, pgoff, maj, min, ino, ino_generation, prot,
	 * flags, filename (include/uapi/linux/perf_event.h) */
	struct {
		uint32_t pid, tid;
		uint64_t addr, len, pgoff;
		uint32_t maj, min;
		uint64_t ino, ino_gen;
		uint32_t prot, flags;
	} h;
	struct fproc *p;
	struct kmap *k;
	const char *name;
	size_t nlen;

	if (len < sizeof(h) + 1)
		return;
	memcpy(&h, d, sizeof(h));
	if (!(p = proc_find(f, (pid_t)h.pid)))
		return;
	p->hit = NULL;
	if (grow((void **)&p->mm, &p->capmm, p->nmm, sizeof(*p->mm)) < 0)
		return;
	name = d + sizeof(h);
	nlen = strnlen(name, len - sizeof(h));
	k = &p->mm[p->nmm];
	memset(k, 0, sizeof(*k));
	k->start = h.addr;
	k->end = h.addr + h.len;
	k->time = time;
	k->m.start = k->start;
	k->m.end = k->end;
	k->m.offset = h.pgoff;
	k->m.dev_major = h.maj;
	k->m.dev_minor = h.min;
	k->m.inode = h.ino;
	k->m.perms[0] = h.prot & PROT_READ ? 'r' : '-';
	k->m.perms[1] = h.prot & PROT_WRITE ? 'w' : '-';
	k->m.perms[2] = h.prot & PROT_EXEC ? 'x' : '-';
	k->m.perms[3] = h.flags & MAP_SHARED ? 's' : 'p';
	/* The kernel names anonymous memory "//anon" (kernel/events/core.c). */
	if (nlen == 6 && memcmp(name, "//anon", 6) == 0)
		k->m.path = strdup("");
	else
		k->m.path = strndup(name, nlen);
	if (!k->m.path)
		return;
	k->m.kind = classify_by_name(&k->m);
	if (k->m.kind == VK_OTHER && k->m.inode)
		k->m.kind = k->m.perms[2] == 'x' ? VK_TEXT : VK_FILE;
	p->nmm++;
}

static void process_rec(struct faults *f, const struct rec *rc)
{
	const struct perf_event_header *h = (const void *)(f->arena + rc->off);
	const char *d = f->arena + rc->off + sizeof(*h);
	size_t len = h->size - sizeof(*h);

	switch (h->type) {
	case PERF_RECORD_SAMPLE: {
		enum ev_kind k;
		size_t off = 8;
		uint32_t pid, tid;

		if (len < 32)
			return;
		k = sample_kind(f, d, len);
		if (k == EV_MIN || k == EV_MAJ) {
			uint64_t addr;

			memcpy(&pid, d + 16, 4);
			memcpy(&tid, d + 20, 4);
			memcpy(&addr, d + 32, 8);
			on_count(f, (pid_t)pid, (pid_t)tid, addr, k == EV_MAJ);
		} else {
			uint64_t chain[MAX_CHAIN], nr = 0, time;
			uint32_t rawlen;

			memcpy(&pid, d + off, 4);
			memcpy(&tid, d + off + 4, 4);
			memcpy(&time, d + off + 8, 8);
			off += 16;
			if (f->o.callchains) {
				if (off + 8 > len)
					return;
				memcpy(&nr, d + off, 8);
				off += 8;
				if (nr > (len - off) / 8)
					return;
				for (uint64_t i = 0; i < nr && i < MAX_CHAIN; i++)
					memcpy(&chain[i], d + off + i * 8, 8);
				off += nr * 8;
				if (nr > MAX_CHAIN)
					nr = MAX_CHAIN;
			}
			if (off + 4 > len)
				return;
			memcpy(&rawlen, d + off, 4);
			off += 4;
			if (rawlen > len - off)
				return;
			on_trap(f, (pid_t)pid, (pid_t)tid, time, d + off, rawlen,
				chain, (unsigned)nr);
		}
		break;
	}
	case PERF_RECORD_LOST:
		if (len >= 16) {
			uint64_t lost;

			memcpy(&lost, d + 8, 8);
			f->lost += lost;
		}
		break;
	case PERF_RECORD_FORK:
		on_fork(f, d, len, rc->time);
		break;
	case PERF_RECORD_EXIT:
		on_exit_rec(f, d, len);
		break;
	case PERF_RECORD_COMM:
		on_comm(f, d, len > 24 ? len - 24 : 0,
			(h->misc & PERF_RECORD_MISC_COMM_EXEC) != 0, rc->time);
		break;
	case PERF_RECORD_MMAP2:
		on_mmap2(f, d, len > 24 ? len - 24 : 0, rc->time);
		break;
	default:
		break;
	}
}

/* Read every buffer; process, in time order, the records old enough that
 * no buffer can still receive an older one; the rest wait a round. */
static int drain(struct faults *f, bool all)
{
	uint64_t horizon = all ? UINT64_MAX : now_mono() - HOLD_NS;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < f->nprocs; i++)
		f->procs[i].refreshed = false;
	for (size_t c = 0; c < f->ncpus; c++)
		if ((r = read_rb(f, &f->rb[c])) < 0)
			return r;
	if (!f->nheld)
		return 0;
	qsort(f->held, f->nheld, sizeof(*f->held), rec_cmp);
	while (n < f->nheld && f->held[n].time <= horizon) {
		process_rec(f, &f->held[n]);
		n++;
	}
	memmove(f->held, f->held + n, (f->nheld - n) * sizeof(*f->held));
	f->nheld -= n;
	/* The few records held back move to the front of the arena. */
	{
		char *keep = NULL;
		size_t len = 0;

		for (size_t i = 0; i < f->nheld; i++)
			len += ((const struct perf_event_header *)(f->arena + f->held[i].off))->size;
		if (len && !(keep = malloc(len)))
			return -ENOMEM;
		len = 0;
		for (size_t i = 0; i < f->nheld; i++) {
			const struct perf_event_header *h = (const void *)(f->arena + f->held[i].off);

			memcpy(keep + len, h, h->size);
			f->held[i].off = len;
			len += h->size;
		}
		if (len)
			memcpy(f->arena, keep, len);
		free(keep);
		f->narena = len;
	}
	return 0;
}

int faults_poll(struct faults *f, int timeout_ms)
{
	struct pollfd *pf = calloc(f->ncpus, sizeof(*pf));
	size_t n = 0;

	if (!pf)
		return -ENOMEM;
	for (size_t c = 0; c < f->ncpus; c++)
		if (f->rb[c].fd >= 0)
			pf[n++] = (struct pollfd){ .fd = f->rb[c].fd, .events = POLLIN };
	if (timeout_ms > 0 && poll(pf, n, timeout_ms) < 0 && errno != EINTR) {
		int e = -errno;

		free(pf);
		return e;
	}
	free(pf);
	return drain(f, false);
}

int faults_stop(struct faults *f)
{
	int r;

	if (f->stopped)
		return 0;
	for (size_t i = 0; i < f->nfds; i++)
		ioctl(f->fds[i], PERF_EVENT_IOC_DISABLE, 0);
	f->t_stop = now_mono();
	f->stopped = true;
	for (size_t i = 0; i < f->nprocs; i++) {
		struct fproc *p = &f->procs[i];
		uint64_t s1;

		p->out.kernel_known = false;
		if (p->stat0_known && read_counters(p->pid, &s1) == 0) {
			p->out.kernel_delta = s1 - p->stat0;
			p->out.kernel_known = true;
		} else {
			p->exited = true;
		}
	}
	r = drain(f, true);
	/* A trap still pending was not counted before the events stopped. */
	for (size_t i = 0; i < f->npend; i++)
		if (f->pend[i].time)
			f->uncounted++;
	return r;
}

/* ---- the report ---- */

void fault_report_fini(struct fault_report *r)
{
	for (size_t i = 0; i < r->nprocs; i++)
		free(r->procs[i].comm);
	free(r->procs);
	for (size_t i = 0; i < r->nmaps; i++)
		free(r->maps[i].path);
	free(r->maps);
	for (size_t i = 0; i < r->ncode; i++) {
		free(r->code[i].symbol);
		free(r->code[i].object);
		for (size_t k = 0; k < r->code[i].ncallers; k++) {
			free(r->code[i].callers[k].symbol);
			free(r->code[i].callers[k].object);
		}
		free(r->code[i].callers);
	}
	free(r->code);
	memset(r, 0, sizeof(*r));
}

/* Add M over the mappings of V (N of them, room for 2 more): what it
 * covers of older ones is cut away, as mmap(MAP_FIXED) does. */
static int paint(struct vm_mapping *v, size_t *n, const struct vm_mapping *m)
{
	size_t k = *n;

	for (size_t i = 0; i < k; i++) {
		struct vm_mapping *e = &v[i];

		if (e->end <= m->start || m->end <= e->start)
			continue;
		if (e->start < m->start && m->end < e->end) {
			/* M splits E: its tail becomes a new mapping */
			struct vm_mapping t = *e;

			t.path = strdup(e->path ? e->path : "");
			if (!t.path)
				return -ENOMEM;
			if (t.inode)
				t.offset += m->end - e->start;
			t.start = m->end;
			e->end = m->start;
			v[k++] = t;
		} else if (e->start < m->start) {
			e->end = m->start;
		} else if (m->end < e->end) {
			if (e->inode)
				e->offset += m->end - e->start;
			e->start = m->end;
		} else {
			e->start = e->end; /* covered: dropped below */
		}
	}
	v[k] = *m;
	v[k].runs = NULL;
	v[k].sections = NULL;
	v[k].nruns = v[k].nsections = 0;
	v[k].path = strdup(m->path ? m->path : "");
	if (!v[k].path)
		return -ENOMEM;
	k++;
	/* drop the empty ones */
	{
		size_t w = 0;

		for (size_t i = 0; i < k; i++) {
			if (v[i].start < v[i].end)
				v[w++] = v[i];
			else
				free(v[i].path);
		}
		*n = w;
	}
	return 0;
}

static int map_start_cmp(const void *a, const void *b)
{
	const struct vm_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The maps P had, for naming code and typing mappings: the last read of
 * its maps, else (a process that exited) what its MMAP2 records built,
 * classified. */
static int proc_code_view(struct faults *f, struct fproc *p, struct vm_process *out)
{
	size_t n = 0, cap;

	memset(out, 0, sizeof(*out));
	out->pid = p->pid;
	cap = 2 * ((p->vp_valid ? p->vp.nmaps : 0) + p->nmm) + 3; /* a paint adds 2 at most */
	out->maps = calloc(cap, sizeof(*out->maps));
	if (!out->maps)
		return -ENOMEM;
	for (size_t i = 0; i < p->nmm; i++)
		if (paint(out->maps, &n, &p->mm[i].m) < 0)
			goto nomem;
	for (size_t i = 0; p->vp_valid && i < p->vp.nmaps; i++)
		if (paint(out->maps, &n, &p->vp.maps[i]) < 0)
			goto nomem;
	out->nmaps = n;
	qsort(out->maps, n, sizeof(*out->maps), map_start_cmp);
	classify_process(out, f->cache);
	return 0;
nomem:
	out->nmaps = n;
	return -ENOMEM;
}

static int name_pc(struct faults *f, struct vm_process *vp, struct fproc *p, uint64_t pc,
		   char **sym, uint64_t *off, char **obj)
{
	struct sym_where w = { 0 };
	int r;

	*sym = *obj = NULL;
	*off = 0;
	if (pc >= (1ULL << 63)) {
		*obj = strdup("[kernel]");
		return *obj ? 0 : -ENOMEM;
	}
	r = symbols_describe(f->cache, vp, pc, &w);
	if (r < 0)
		return r;
	*sym = w.symbol;
	*obj = w.object;
	*off = w.offset;
	w.symbol = w.object = NULL;
	sym_where_fini(&w);
	return 0;
}

/* Where a whole user stack ends: the program's or a thread's start. */
static bool is_outermost(const char *sym)
{
	static const char *const names[] = { "_start", "__libc_start_call_main",
					     "__libc_start_main", "start_thread", "clone",
					     "clone3", "__clone3" };

	for (size_t i = 0; sym && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(sym, names[i]) == 0)
			return true;
	return false;
}

/* The callers of K's chain (frame pointers, read by the kernel at the
 * fault) into C, up to the outermost function; a chain that stops
 * before it, or runs into an address that is no code, is cut. */
static int name_chain(struct faults *f, struct vm_process *vp, struct fproc *p,
		      const struct code_key *k, struct fault_code *c)
{
	/* chain[0] is the user pc: the faulting ip, or for a fault in a
	 * system call the instruction after the syscall. */
	unsigned j = k->nchain && k->chain[0] == k->ip ? 1 : 0;

	c->chain_cut = true;
	if (j >= k->nchain)
		return 0;
	c->callers = calloc(k->nchain - j, sizeof(*c->callers));
	if (!c->callers)
		return -ENOMEM;
	for (; j < k->nchain; j++) {
		struct fault_frame *fr = &c->callers[c->ncallers];

		fr->pc = k->chain[j];
		if (name_pc(f, vp, p, fr->pc, &fr->symbol, &fr->offset, &fr->object) < 0)
			return -ENOMEM;
		if (!fr->object) {
			free(fr->symbol);
			fr->symbol = NULL;
			break; /* not code: a frame pointer was missing */
		}
		c->ncallers++;
		if (is_outermost(fr->symbol)) {
			c->chain_cut = false;
			break;
		}
	}
	return 0;
}

static int code_cmp(const void *a, const void *b)
{
	const struct fault_code *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static int map_cmp(const void *a, const void *b)
{
	const struct fault_mapping *x = a, *y = b;

	if (x->faults != y->faults)
		return x->faults > y->faults ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int proc_cmp(const void *a, const void *b)
{
	const struct fault_proc *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int faults_report(struct faults *f, struct fault_report *r)
{
	struct vm_process *views = NULL;
	uint64_t end = f->stopped ? f->t_stop : now_mono();
	int ret = -ENOMEM;

	memset(r, 0, sizeof(*r));
	r->duration_s = f->started ? (double)(end - f->t_start) / 1e9 : 0;
	r->sample = f->o.sample > 1 ? f->o.sample : 1;
	r->faults = f->faults;
	r->minor = f->minor;
	r->major = f->major;
	memcpy(r->by_type, f->by_type, sizeof(r->by_type));
	r->unclassified = f->unclassified;
	r->uncounted = f->uncounted;
	r->lost = f->lost;

	r->procs = calloc(f->nprocs + 1, sizeof(*r->procs));
	r->maps = calloc(f->nrows + 1, sizeof(*r->maps));
	r->code = calloc(f->ncodes + 1, sizeof(*r->code));
	views = calloc(f->nprocs + 1, sizeof(*views));
	if (!r->procs || !r->maps || !r->code || !views)
		goto out;
	for (size_t i = 0; i < f->nprocs; i++) {
		struct fproc *p = &f->procs[i];
		struct fault_proc *o = &r->procs[r->nprocs];

		if (!p->stat0_known && !p->out.faults)
			continue; /* gone before recording started */
		*o = p->out;
		o->pid = p->pid;
		o->ppid = p->ppid;
		o->exited = p->exited;
		o->comm = strdup(p->comm ? p->comm : "");
		if (!o->comm)
			goto out;
		r->nprocs++;
		if (proc_code_view(f, p, &views[i]) < 0)
			goto out;
	}
	for (size_t i = 0; i < f->nrows; i++) {
		const struct map_row *s = &f->rows[i];
		struct fault_mapping *m = &r->maps[r->nmaps];

		m->pid = s->pid;
		m->start = s->start;
		m->end = s->end;
		m->kind = s->kind;
		m->deleted = s->deleted;
		m->faults = s->faults;
		memcpy(m->by_type, s->by_type, sizeof(m->by_type));
		{
			struct fproc *p = proc_find(f, s->pid);
			const struct vm_process *vp = p ? &views[p - f->procs] : NULL;
			ssize_t k = vp ? vm_process_find(vp, s->start) : -1;

			if (k >= 0 && vp->maps[k].start == s->start)
				m->kind = vp->maps[k].kind;
		}
		if (!(m->path = strdup(s->path)))
			goto out;
		r->nmaps++;
	}
	for (size_t i = 0; i < f->ncodes; i++) {
		const struct code_key *k = &f->codes[i];
		struct fault_code *c = &r->code[r->ncode];
		struct fproc *p = proc_find(f, k->pid);
		struct vm_process *vp;

		if (!p)
			continue;
		vp = &views[p - f->procs];
		/* A child that exited runs its parent's code at the same
		 * addresses until it execs. */
		while (!vp->nmaps && p->ppid && proc_find(f, p->ppid)) {
			p = proc_find(f, p->ppid);
			vp = &views[p - f->procs];
		}
		c->pid = k->pid;
		c->ip = k->ip;
		c->type = k->type;
		c->count = k->count;
		if (name_pc(f, vp, p, k->ip, &c->symbol, &c->offset, &c->object) < 0)
			goto out;
		r->ncode++;
		if (f->o.callchains && name_chain(f, vp, p, k, c) < 0)
			goto out;
	}
	qsort(r->procs, r->nprocs, sizeof(*r->procs), proc_cmp);
	qsort(r->maps, r->nmaps, sizeof(*r->maps), map_cmp);
	qsort(r->code, r->ncode, sizeof(*r->code), code_cmp);
	ret = 0;
out:
	if (views) {
		for (size_t i = 0; i < f->nprocs; i++)
			vm_process_fini(&views[i]);
		free(views);
	}
	if (ret < 0)
		fault_report_fini(r);
	return ret;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int faults_take_pages(struct faults *f, pid_t pid, uint64_t start, uint64_t end,
		      uint64_t **pages, size_t *n)
{
	size_t k = 0, w = 0;

	*pages = malloc((f->npages + 1) * sizeof(**pages));
	*n = 0;
	if (!*pages)
		return -ENOMEM;
	for (size_t i = 0; i < f->npages; i++) {
		const struct page_mark *m = &f->pages[i];

		if (m->pid == pid && m->page >= start && m->page < end)
			(*pages)[k++] = m->page;
		else
			f->pages[w++] = *m;
	}
	f->npages = w;
	qsort(*pages, k, sizeof(**pages), u64_cmp);
	*n = k;
	return 0;
}

void faults_close(struct faults *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nfds; i++)
		close(f->fds[i]);
	for (size_t c = 0; c < f->ncpus && f->rb; c++)
		if (f->rb[c].base)
			munmap(f->rb[c].base, f->rb[c].size);
	for (size_t i = 0; i < f->nprocs; i++)
		fproc_fini(&f->procs[i]);
	free(f->arena);
	for (size_t i = 0; i < f->nrows; i++)
		free(f->rows[i].path);
	free(f->held);
	free(f->rows);
	free(f->codes);
	free(f->pages);
	free(f->pend);
	free(f->procs);
	free(f->fds);
	free(f->rb);
	free(f->cpus);
	elf_cache_free(f->cache);
	free(f);
}
