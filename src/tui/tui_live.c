/* The live source of the screen: snapshots of a running process, read as
 * the views ask (per-page runs only for the mapping the Pages view shows,
 * stacks only for the Stacks view, the COW comparison only for the COW
 * view), ptrace events through the tracer, and the tree of processes it
 * follows (forks, execs and exits reported by the tracer with
 * TRACER_FOLLOW; read from /proc otherwise). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmatlas/cow.h"
#include "vmatlas/elfinfo.h"
#include "vmatlas/family.h"
#include "vmatlas/pagemap.h"
#include "vmatlas/piderr.h"
#include "vmatlas/procfs.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/stacks.h"
#include "vmatlas/symbols.h"
#include "vmatlas/tracer.h"
#include "vmatlas/tui.h"
#include "vmatlas/util.h"

/* The stack unwinder (collect/stacks.c), called only while the Stacks view is
 * shown. */
tui_stacks_fn tui_stacks_collect = stacks_collect;

/* Bounds on what a tree that forks without end makes us keep. */
#define LIVE_MAX_PROCS 512 /* processes in the list (exited ones dropped first) */
#define LIVE_MAX_LAST  16  /* pictures taken at an exit */

struct lproc {
	pid_t pid, ppid;
	char comm[17];
	char title[256];          /* the command line as ps shows it */
	char state;
	bool exited, traced;
	bool main_exited;         /* the leader is a zombie, other threads run */
	bool have_status;         /* exited, and how is known */
	int status;               /* its wait status then */
	struct vm_snapshot *last; /* taken at its exit stop; owned */
	unsigned last_refs;       /* handed to the screen and not released */
	uint64_t exit_seq;
};

struct live {
	struct tui_source src;
	struct tracer *tr;          /* owned, may be NULL */
	bool follow;                /* tr follows forks (TRACER_FOLLOW) */
	pid_t pid;                  /* the process watched first (the root) */
	uint64_t start_time;        /* to notice a reused pid */
	bool launched;
	struct vm_snapshot *first;  /* taken before the screen starts */
	struct elf_cache *elf;
	struct stacks_ctx *stk;     /* the unwinder's handles and last stacks */
	struct pagemap_ctx *pm;     /* for page_info */
	pid_t pm_pid;
	/* The symbol page_info found last (the cursor rests on one page). */
	struct {
		pid_t pid;
		uint64_t addr, start, inode;
		struct tui_page_info info;
		bool valid;
	} sym;
	bool soft_dirty_probed, soft_dirty_ok;
	char prog[64];              /* launched program's name, escaped */

	struct lproc *procs;
	size_t nprocs, cprocs;
	uint64_t seq;
	struct tui_want want;       /* of the last refresh */
	pid_t cow_child;            /* child compared in the last refresh */
	pid_t kept[2];              /* held at exit for a last picture: shown, child */
	pid_t served_last;          /* exited pid whose last picture was handed out */
};

/* ---- the process list ---------------------------------------------------- */

static struct lproc *lp_find(struct live *l, pid_t pid)
{
	for (size_t i = 0; i < l->nprocs; i++)
		if (l->procs[i].pid == pid)
			return &l->procs[i];
	return NULL;
}

static void lp_drop_last(struct lproc *p)
{
	if (p->last && !p->last_refs) {
		vm_snapshot_free(p->last);
		p->last = NULL;
	}
}

/* Make room: forget the oldest exited process without a picture out. */
static bool lp_evict(struct live *l)
{
	size_t victim = SIZE_MAX;

	for (size_t i = 0; i < l->nprocs; i++) {
		const struct lproc *p = &l->procs[i];

		if (p->exited && !p->last_refs && p->pid != l->pid &&
		    (victim == SIZE_MAX || p->exit_seq < l->procs[victim].exit_seq))
			victim = i;
	}
	if (victim == SIZE_MAX)
		return false;
	lp_drop_last(&l->procs[victim]);
	l->procs[victim] = l->procs[--l->nprocs];
	return true;
}

/* Re-read comm, state and ppid from /proc/PID/stat; false when gone. */
static bool lp_read_stat(struct lproc *p)
{
	char path[64], *buf = NULL;
	struct proc_stat st;
	size_t len = 0;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
	ok = procfs_read_file(path, 64u << 10, &buf, &len) == 0 &&
	     stat_parse(buf, len, &st) == 0;
	free(buf);
	if (!ok)
		return false;
	if (st.state == 'Z' || st.state == 'X') {
		/* A zombie leader whose other threads run (pthread_exit, or
		 * an exec by another thread right now) is a live process:
		 * the state of the thread its memory is read through. */
		struct proc_stat ts;
		pid_t tid = procfs_main_tid(p->pid);

		if (tid <= 0)
			return false;
		p->main_exited = true;
		buf = NULL;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)p->pid, (int)tid);
		if (procfs_read_file(path, 64u << 10, &buf, &len) == 0 &&
		    stat_parse(buf, len, &ts) == 0)
			st.state = ts.state;
		free(buf);
	} else {
		p->main_exited = false;
	}
	snprintf(p->comm, sizeof(p->comm), "%.16s", st.comm);
	/* Re-read each time: a process may rewrite it (postgres, nginx). */
	if (procfs_title(p->pid, p->title, sizeof(p->title)) < 0)
		snprintf(p->title, sizeof(p->title), "[%.16s]", st.comm);
	p->state = st.state;
	if (st.ppid > 0)
		p->ppid = st.ppid;
	return true;
}

static struct lproc *lp_add(struct live *l, pid_t pid, pid_t ppid, bool traced)
{
	struct lproc *p = lp_find(l, pid);

	if (p) {
		/* A pid reused after an exit we saw: a new process. */
		if (p->exited) {
			lp_drop_last(p);
			if (p->last)
				return p; /* still on screen; keep that entry */
			p->exited = false;
		}
		p->traced |= traced;
		return p;
	}
	if (l->nprocs >= LIVE_MAX_PROCS && !lp_evict(l))
		return NULL;
	if (l->nprocs == l->cprocs) {
		size_t n = l->cprocs ? l->cprocs * 2 : 16;
		struct lproc *v = realloc(l->procs, n * sizeof(*v));

		if (!v)
			return NULL;
		l->procs = v;
		l->cprocs = n;
	}
	p = &l->procs[l->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	p->traced = traced;
	p->state = '?';
	lp_read_stat(p);
	return p;
}

/* KID's start time when it is still a child of ROOT or of a process of the
 * list (a grandchild), else 0: what attaching checks, so that a pid reused
 * since /proc listed it is not taken for the child. */
static unsigned long long child_start_time(struct live *l, pid_t root, pid_t kid)
{
	const struct lproc *parent;
	char path[64], *buf = NULL;
	struct proc_stat st;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)kid);
	if (procfs_read_file(path, 1 << 16, &buf, &len) < 0)
		return 0;
	r = stat_parse(buf, len, &st);
	free(buf);
	if (r < 0)
		return 0;
	parent = st.ppid == root ? NULL : lp_find(l, st.ppid);
	return st.ppid == root || (parent && !parent->exited) ? st.start_time : 0;
}

/* The descendants of ROOT read from /proc (already known ones kept), each
 * attached when ATTACH (so that its forks are followed too). */
static void lp_discover(struct live *l, pid_t root, bool attach)
{
	pid_t *kids = NULL;
	size_t nk = 0, cap = 0;

	/* Breadth first: KIDS grows while it is walked. */
	if (procfs_children(root, &kids, &nk, &cap) < 0)
		nk = 0;
	for (size_t i = 0; i < nk && l->nprocs < LIVE_MAX_PROCS; i++) {
		struct lproc *p = lp_find(l, kids[i]);

		/* A child that is already traced (by us: forked after the
		 * attach and not polled yet) or cannot be is still shown. */
		if (!p || p->exited) {
			unsigned long long start = child_start_time(l, root, kids[i]);
			bool traced;

			if (!start)
				continue; /* gone, or no longer a child in the tree */
			traced = attach && l->tr && tracer_attach(l->tr, kids[i], start) == 0;

			if (!lp_add(l, kids[i], 0, traced))
				break;
		}
		procfs_children(kids[i], &kids, &nk, &cap);
	}
	free(kids);
}

static void lp_exited(struct live *l, struct lproc *p)
{
	if (p->exited)
		return;
	p->exited = true;
	p->exit_seq = ++l->seq;
	p->state = 'X';
}

/* Keep at most LIVE_MAX_LAST exit pictures: the oldest go first. */
static void lp_cap_pictures(struct live *l)
{
	for (;;) {
		size_t n = 0, oldest = SIZE_MAX;

		for (size_t i = 0; i < l->nprocs; i++) {
			if (!l->procs[i].last)
				continue;
			n++;
			if (!l->procs[i].last_refs &&
			    (oldest == SIZE_MAX || l->procs[i].exit_seq < l->procs[oldest].exit_seq))
				oldest = i;
		}
		if (n <= LIVE_MAX_LAST || oldest == SIZE_MAX)
			return;
		lp_drop_last(&l->procs[oldest]);
	}
}

/* The child of PARENT to compare with: WANT if it is one, else the first
 * live one in the list; 0 when there is none. */
static pid_t lp_cow_child(struct live *l, pid_t parent, pid_t want)
{
	struct lproc *p = want ? lp_find(l, want) : NULL;

	if (p && !p->exited && p->ppid == parent)
		return want;
	for (size_t i = 0; i < l->nprocs; i++)
		if (l->procs[i].ppid == parent && !l->procs[i].exited &&
		    l->procs[i].pid != parent)
			return l->procs[i].pid;
	return 0;
}

/* ---- snapshots ------------------------------------------------------------- */

static bool live_traces(const struct live *l, pid_t pid)
{
	pid_t pids[LIVE_MAX_PROCS + 64];
	size_t n;

	if (!l->tr)
		return false;
	n = tracer_pids(l->tr, pids, sizeof(pids) / sizeof(pids[0]));
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Add process PID to S (counts only); 0 or -errno. */
static int live_add_proc(struct live *l, struct vm_snapshot *s, pid_t pid, unsigned want)
{
	struct snapshot_opts so = { .pm_want = PM_WANT_FLAGS | want, .elf_cache = l->elf };
	struct vm_process *v = realloc(s->procs, (s->nprocs + 1) * sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	s->procs = v;
	memset(&v[s->nprocs], 0, sizeof(*v));
	r = snapshot_collect_process(pid, &so, &v[s->nprocs], &s->host);
	if (r == 0)
		s->nprocs++;
	return r;
}

/* Only the processes on screen are held at their exit for a last picture
 * (the shown one and the child it is compared with); the others' exits
 * wait for nobody. */
static void live_keep_exits(struct live *l, pid_t shown, pid_t child)
{
	pid_t want[2] = { shown, child };

	if (!l->tr)
		return;
	for (int i = 0; i < 2; i++) {
		if (want[i] == l->kept[i])
			continue;
		if (l->kept[i] && l->kept[i] != want[1 - i])
			tracer_keep_exit(l->tr, l->kept[i], false);
		if (want[i])
			tracer_keep_exit(l->tr, want[i], true);
		l->kept[i] = want[i];
	}
}

/* The family of the tree into S->family (the Tree view): the root and
 * every live process of the list, read without their pages; one that
 * exits meanwhile is left out. A failure leaves S->family NULL. */
static void live_add_family(struct live *l, struct vm_snapshot *s)
{
	struct snapshot_opts so = { .elf_cache = l->elf, .no_pages = true };
	struct vm_snapshot *f = calloc(1, sizeof(*f));

	if (!f || !(f->procs = calloc(l->nprocs + 1, sizeof(*f->procs))))
		goto out;
	f->host = s->host;
	if (snapshot_collect_process(l->pid, &so, &f->procs[0], &f->host) < 0)
		goto out;
	f->nprocs = 1;
	for (size_t i = 0; i < l->nprocs; i++)
		if (!l->procs[i].exited && l->procs[i].pid != l->pid &&
		    snapshot_collect_process(l->procs[i].pid, &so, &f->procs[f->nprocs], &f->host) == 0)
			f->nprocs++;
	if (family_snapshot_add(f) == 0) {
		s->family = f->family;
		f->family = NULL;
	}
out:
	vm_snapshot_free(f);
}

/* PID as W asks: its counts, runs for W's range, stacks, the COW pair
 * with a child, and the family. */
static struct vm_snapshot *live_take(struct live *l, pid_t pid,
				     const struct tui_want *w, int *err)
{
	/* Counts for every mapping; the zero page is told apart so that RSS
	 * is what smaps says (vm_process_compute_totals). */
	struct snapshot_opts so = { .pm_want = PM_WANT_FLAGS, .elf_cache = l->elf };
	struct vm_snapshot *s;
	pid_t failed, child;

	if (w && w->runs_end > w->runs_start) {
		so.pm_want_range = PM_WANT_RUNS | PM_WANT_EXCLUSIVE;
		if (w->soft_dirty)
			so.pm_want_range |= PM_WANT_SOFTDIRTY;
		so.range_start = w->runs_start;
		so.range_end = w->runs_end;
	}
	s = snapshot_take(&pid, 1, &so, &failed);
	if (!s) {
		*err = errno ? errno : EIO;
		return NULL;
	}
	if (pid == l->pid) {
		if (l->start_time && s->procs[0].start_time != l->start_time) {
			/* Another process got the pid. */
			vm_snapshot_free(s);
			*err = ESRCH;
			return NULL;
		}
		l->start_time = s->procs[0].start_time;
	}
	/* Unwinding needs the process attached: not with --no-trace, nor for
	 * a child only read from /proc. A failure leaves threads NULL: the
	 * view says no stacks. */
	if (w && w->stacks && tui_stacks_collect && l->stk && live_traces(l, pid))
		tui_stacks_collect(l->stk, l->tr, l->elf, &s->procs[0]);
	/* A child that exits meanwhile: no pair this time. */
	child = w && w->cow ? lp_cow_child(l, pid, w->cow_child) : 0;
	if (child && live_add_proc(l, s, child, 0) == 0)
		cow_snapshot_add_pair(s, 0, 1, true);
	if (w && w->family)
		live_add_family(l, s);
	return s;
}

/* Hand out P's exit picture (the screen gives it back with release()). */
static void lp_serve_last(struct live *l, struct lproc *p, struct vm_snapshot **out)
{
	p->last_refs++;
	l->served_last = p->pid;
	*out = p->last;
}

static int live_refresh(struct tui_source *src, const struct tui_want *w,
			struct vm_snapshot **out)
{
	struct live *l = src->priv;
	pid_t pid = w && w->pid ? w->pid : l->pid;
	struct lproc *p;
	int err = 0;

	if (w)
		l->want = *w;
	l->want.pid = pid;
	if (l->first) {
		bool plain = pid == l->pid &&
			     (!w || (w->runs_end <= w->runs_start && !w->stacks && !w->cow &&
				     !w->family));
		if (plain) {
			*out = l->first;
			l->first = NULL;
			return 1;
		}
		vm_snapshot_free(l->first);
		l->first = NULL;
	}
	if (!l->follow)
		lp_discover(l, l->pid, false);
	/* A traced process's end comes from the tracer (TEV_GONE): a failed
	 * read of it can be an exec by another thread in flight. */
	for (size_t i = 0; i < l->nprocs; i++)
		if (!l->procs[i].exited && !lp_read_stat(&l->procs[i]) &&
		    !live_traces(l, l->procs[i].pid))
			lp_exited(l, &l->procs[i]);
	p = lp_find(l, pid);
	if (p && p->exited) {
		/* The last picture once (the screen keeps it), then gone. */
		if (p->last && l->served_last != pid) {
			lp_serve_last(l, p, out);
			return 1;
		}
		return -ESRCH;
	}
	l->served_last = 0;
	*out = live_take(l, pid, w, &err);
	if (!*out) {
		if (err == ESRCH || err == ENOENT) {
			if (live_traces(l, pid))
				return 0; /* nothing new; the tracer says when it is gone */
			if (p)
				lp_exited(l, p);
			return -ESRCH;
		}
		return -err;
	}
	l->cow_child = (*out)->ncows ? (*out)->cows[0].child : 0;
	live_keep_exits(l, pid, l->cow_child);
	return 1;
}

static void live_release(struct tui_source *src, struct vm_snapshot *s)
{
	struct live *l = src->priv;

	for (size_t i = 0; i < l->nprocs; i++) {
		if (l->procs[i].last == s) {
			if (l->procs[i].last_refs)
				l->procs[i].last_refs--;
			return;
		}
	}
	vm_snapshot_free(s);
}

static void live_describe(struct tui_source *src, char *buf, size_t len)
{
	struct live *l = src->priv;
	const struct lproc *p = lp_find(l, l->want.pid ? l->want.pid : l->pid);
	const char *f = p && p->main_exited && !p->exited ?
			(l->follow ? ", following forks; main thread exited, others run" :
				     "; main thread exited, others run") :
			(l->follow ? ", following forks" : "");

	if (l->launched)
		snprintf(buf, len, "launched %s (killed on quit)%s", l->prog, f);
	else if (l->tr)
		snprintf(buf, len, "attached (left as found on quit)%s", f);
	else
		snprintf(buf, len, "watching without ptrace");
}

static bool live_is_live(const struct tui_source *src)
{
	(void)src;
	return true;
}

/* EV.pid is held at its exit with its memory still mapped until the next
 * tracer_poll(): take its last picture now, as the screen last asked for
 * it when it is the one shown. */
static void live_exit_picture(struct live *l, struct lproc *p)
{
	struct tui_want plain = { .pid = p->pid };
	int err = 0;

	lp_drop_last(p);
	if (p->last)
		return; /* the screen still holds the previous one */
	p->last = live_take(l, p->pid, p->pid == l->want.pid ? &l->want : &plain, &err);
	lp_exited(l, p);
	lp_cap_pictures(l);
}

static unsigned live_poll(struct tui_source *src, int timeout_ms)
{
	struct live *l = src->priv;
	struct tracer_event ev;
	unsigned r = 0;

	if (!l->tr)
		return 0;
	/* A few events at a time: the screen stays responsive. */
	for (int i = 0; i < 32; i++) {
		struct lproc *p;
		bool shown;
		int n = tracer_poll(l->tr, &ev, i ? 0 : timeout_ms);

		if (n <= 0)
			break;
		shown = ev.pid == l->want.pid || (!l->want.pid && ev.pid == l->pid);
		p = lp_find(l, ev.pid);
		switch (ev.kind) {
		case TEV_FORK:
			if (lp_add(l, ev.child, ev.pid, true))
				r |= TUI_SRC_TREE;
			break;
		case TEV_EXEC:
			/* An exec by a thread other than the leader ends the
			 * leader's tid as a thread, never the process. */
			if (p && p->exited && !p->last_refs) {
				lp_drop_last(p);
				p->exited = false;
			}
			if (p)
				lp_read_stat(p);
			if (ev.pid == l->sym.pid)
				l->sym.valid = false;
			r |= TUI_SRC_TREE;
			if (shown)
				r |= TUI_SRC_REFRESH | TUI_SRC_EXEC;
			else if (ev.pid == l->cow_child)
				r |= TUI_SRC_REFRESH;
			break;
		case TEV_EXIT:
			if (!p)
				p = lp_add(l, ev.pid, 0, true);
			if (p)
				live_exit_picture(l, p);
			r |= TUI_SRC_TREE;
			/* Still held: the screen's refresh sees its memory (the
			 * COW pair with a child that exits, too). */
			if (shown || ev.pid == l->cow_child)
				return r | TUI_SRC_REFRESH;
			break;
		case TEV_GONE:
			if (p) {
				p->have_status = true;
				p->status = ev.status;
			}
			if (p && !p->exited) {
				lp_exited(l, p);
				r |= TUI_SRC_TREE;
			}
			if (shown && !(p && p->last))
				r |= TUI_SRC_GONE;
			else if (shown)
				r |= TUI_SRC_REFRESH;
			break;
		default:
			break;
		}
	}
	return r;
}

/* The nearest symbol to ADDR in P into INFO, remembered for the next
 * call on the same page of the same mapping (it is drawn every second). */
static void live_page_symbol(struct live *l, const struct vm_process *p, uint64_t addr,
			     struct tui_page_info *info)
{
	ssize_t i = vm_process_find(p, addr);
	struct sym_where w = { 0 };

	if (i < 0)
		return;
	if (l->sym.valid && l->sym.pid == p->pid && l->sym.addr == addr &&
	    l->sym.start == p->maps[i].start && l->sym.inode == p->maps[i].inode) {
		info->have_symbol = l->sym.info.have_symbol;
		info->sym_offset = l->sym.info.sym_offset;
		memcpy(info->symbol, l->sym.info.symbol, sizeof(info->symbol));
		return;
	}
	if (symbols_describe(l->elf, p, addr, &w) == 0 && w.symbol) {
		snprintf(info->symbol, sizeof(info->symbol), "%s", w.symbol);
		info->sym_offset = w.offset;
		info->have_symbol = true;
	}
	sym_where_fini(&w);
	l->sym.pid = p->pid;
	l->sym.addr = addr;
	l->sym.start = p->maps[i].start;
	l->sym.inode = p->maps[i].inode;
	l->sym.info = *info;
	l->sym.valid = true;
}

static int live_page_info(struct tui_source *src, const struct vm_process *proc,
			  uint64_t addr, struct tui_page_info *info)
{
	struct live *l = src->priv;
	pid_t pid = proc->pid;
	struct lproc *p = lp_find(l, pid);
	int r;

	memset(info, 0, sizeof(*info));
	if (!p || p->exited)
		return -ESRCH;
	if (l->pm && l->pm_pid != pid) {
		pagemap_close(l->pm);
		l->pm = NULL;
	}
	if (!l->pm) {
		l->pm = pagemap_open(pid, PM_BACKEND_AUTO);
		if (!l->pm)
			return -errno;
		l->pm_pid = pid;
	}
	r = pagemap_read_entry(l->pm, addr, &info->entry);
	if (r < 0)
		return r;
	info->have_entry = true;
	if (PM_ENTRY_PRESENT(info->entry) && PM_ENTRY_PFN(info->entry) &&
	    kpage_read(PM_ENTRY_PFN(info->entry), &info->kflags, NULL) == 0)
		info->have_kflags = true;
	live_page_symbol(l, proc, addr, info);
	return 0;
}

/* Linux 2.6.22+ fs/proc/task_mmu.c clear_refs_write: "4" clears the
 * soft-dirty bits of every page and VMA (CONFIG_MEM_SOFT_DIRTY). The file
 * is writable by the process's owner and root. */
static int live_clear_soft_dirty(struct tui_source *src, pid_t pid)
{
	struct live *l = src->priv;
	struct lproc *p = lp_find(l, pid);
	char path[64];
	int fd, r = 0;

	if (!p || p->exited)
		return -ESRCH;
	if (!l->soft_dirty_probed) {
		l->soft_dirty_ok = pagemap_soft_dirty_supported();
		l->soft_dirty_probed = true;
	}
	if (!l->soft_dirty_ok)
		return -EOPNOTSUPP; /* leave the target's bits alone */
	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (write(fd, "4", 1) < 0)
		r = -errno;
	close(fd);
	return r;
}

static size_t live_procs(struct tui_source *src, struct tui_proc *out, size_t max)
{
	struct live *l = src->priv;
	size_t n = 0;

	for (size_t i = 0; i < l->nprocs && n < max; i++, n++) {
		const struct lproc *p = &l->procs[i];

		out[n] = (struct tui_proc){ .pid = p->pid, .ppid = p->ppid, .state = p->state,
					    .exited = p->exited, .traced = p->traced,
					    .have_status = p->have_status, .status = p->status };
		memcpy(out[n].comm, p->comm, sizeof(out[n].comm));
		memcpy(out[n].title, p->title, sizeof(out[n].title));
	}
	return n;
}

/* Every live process of the list, with the COW pair of each parent and
 * child among them. */
static int live_take_all(struct tui_source *src, struct vm_snapshot **out)
{
	struct live *l = src->priv;
	struct vm_snapshot *s = calloc(1, sizeof(*s));
	int r = 0;

	if (!s)
		return -ENOMEM;
	snapshot_host_init(&s->host);
	s->live = true;
	s->frozen_ms = -1;
	clock_gettime(CLOCK_REALTIME, &s->taken_at);
	for (size_t i = 0; i < l->nprocs && !vm_should_quit(); i++) {
		if (l->procs[i].exited)
			continue;
		r = live_add_proc(l, s, l->procs[i].pid, PM_WANT_RUNS);
		if (r == -ENOMEM)
			goto fail;
	}
	if (!s->nprocs) {
		r = -ESRCH;
		goto fail;
	}
	/* Saved with every page's state, so that the file's Pages and COW
	 * views show them. */
	r = cow_snapshot_add_pairs(s, true);
	if (r < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	vm_snapshot_free(s);
	return r;
}

static void live_close(struct tui_source *src)
{
	struct live *l;

	if (!src)
		return;
	l = src->priv;
	tracer_free(l->tr); /* detaches: attached ones left as found, launched killed */
	pagemap_close(l->pm);
	stacks_ctx_free(l->stk);
	elf_cache_free(l->elf);
	vm_snapshot_free(l->first);
	for (size_t i = 0; i < l->nprocs; i++)
		vm_snapshot_free(l->procs[i].last);
	free(l->procs);
	free(l);
}

static int live_suspend(struct tui_source *src)
{
	struct live *l = src->priv;

	return l->tr ? tracer_let_go(l->tr) : 0;
}

static int live_resume(struct tui_source *src)
{
	struct live *l = src->priv;
	int r;

	if (!l->tr)
		return 0;
	r = tracer_reattach(l->tr);
	/* Children forked while away are found, and followed, again. */
	if (r == 0 && l->follow)
		lp_discover(l, l->pid, true);
	l->kept[0] = l->kept[1] = 0;
	live_keep_exits(l, l->want.pid ? l->want.pid : l->pid, l->cow_child);
	return r;
}

/* The target runs on: its objects' symbol tables are read from their
 * files (symbols_resolve), the process is never stopped for it. */
static int live_resolve(struct tui_source *src, const struct vm_process *p, const char *name,
			uint64_t *addr)
{
	struct live *l = src->priv;

	return symbols_resolve(l->elf, p, name, addr, NULL);
}

static const struct tui_source_ops live_ops = {
	.refresh = live_refresh,
	.release = live_release,
	.describe = live_describe,
	.is_live = live_is_live,
	.step = NULL,
	.poll = live_poll,
	.page_info = live_page_info,
	.procs = live_procs,
	.take_all = live_take_all,
	.clear_soft_dirty = live_clear_soft_dirty,
	.suspend = live_suspend,
	.resume = live_resume,
	.close = live_close,
	.resolve = live_resolve,
};

struct tui_source *tui_source_live_new(struct tracer *tracer, pid_t pid,
				       char *const argv[], char *err, size_t errlen)
{
	struct live *l = calloc(1, sizeof(*l));
	int r, e = 0;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		tracer_free(tracer);
		errno = ENOMEM;
		return NULL;
	}
	l->src.ops = &live_ops;
	l->src.priv = l;
	l->tr = tracer;
	l->follow = tracer && tracer_follows(tracer);
	l->pid = pid;
	l->elf = elf_cache_new();
	l->stk = stacks_ctx_new();
	if (argv) {
		const char *base = strrchr(argv[0], '/');
		char *e2 = escape_untrusted(base && base[1] ? base + 1 : argv[0]);
		snprintf(l->prog, sizeof(l->prog), "%s", e2 ? e2 : "?");
		free(e2);
		r = tracer ? tracer_launch(tracer, argv, &l->pid) : -EINVAL;
		if (r < 0) {
			snprintf(err, errlen, "cannot run %s: %s", l->prog, strerror(-r));
			e = -r;
			goto fail;
		}
		l->launched = true;
	} else if (tracer) {
		r = tracer_attach(tracer, pid, 0);
		if (r < 0) {
			tracer_error_describe(pid, -r, err, errlen);
			/* Another tracer has it: /proc alone still shows it. */
			if (tracer_other(pid, &(pid_t){ 0 }) > 0) {
				size_t n = strlen(err);
				snprintf(err + n, errlen - n, " ('vmatlas --no-trace %d' watches it without ptrace)",
					 (int)pid);
			}
			e = -r;
			goto fail;
		}
	}
	live_keep_exits(l, l->pid, 0);
	if (!lp_add(l, l->pid, 0, tracer != NULL)) {
		snprintf(err, errlen, "out of memory");
		e = ENOMEM;
		goto fail;
	}
	/* Children it has already: attached too when following, so their
	 * own forks are seen (a launched program has none yet). */
	lp_discover(l, l->pid, l->follow);
	/* The first picture: at the exec stop for a launched program. */
	l->first = live_take(l, l->pid, NULL, &e);
	if (!l->first) {
		pid_error_describe(l->pid, e, err, errlen);
		goto fail;
	}
	if (l->launched) {
		r = tracer_resume(tracer, l->pid);
		if (r < 0) {
			snprintf(err, errlen, "cannot start %s: %s", l->prog, strerror(-r));
			e = -r;
			goto fail;
		}
	}
	return &l->src;
fail:
	live_close(&l->src);
	errno = e ? e : EIO;
	return NULL;
}
