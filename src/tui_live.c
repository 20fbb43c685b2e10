/* The live source of the screen: snapshots of a running process, read as
 * the views ask (per-page runs only for the mapping the Pages view shows,
 * stacks only for the Stacks view), and ptrace events through the tracer. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/elfinfo.h"
#include "vmatlas/pagemap.h"
#include "vmatlas/piderr.h"
#include "vmatlas/snapshot.h"
#include "vmatlas/tracer.h"
#include "vmatlas/tui.h"
#include "vmatlas/util.h"

/* Filled by the stack unwinder when it is built in (see tui.h). */
tui_stacks_fn tui_stacks_collect;

struct live {
	struct tui_source src;
	struct tracer *tr;          /* owned, may be NULL */
	pid_t pid;
	uint64_t start_time;        /* to notice a reused pid */
	bool launched, exiting, gone;
	struct vm_snapshot *first;  /* taken before the screen starts */
	struct elf_cache *elf;
	struct pagemap_ctx *pm;     /* for page_info */
	char prog[64];              /* launched program's name, escaped */
};

static struct vm_snapshot *live_take(struct live *l, const struct tui_want *w, int *err)
{
	/* Counts for every mapping; the zero page is told apart so that RSS
	 * is what smaps says (vm_process_compute_totals). */
	struct snapshot_opts so = { .pm_want = PM_WANT_FLAGS, .elf_cache = l->elf };
	struct vm_snapshot *s;
	pid_t failed;

	if (w && w->runs_end > w->runs_start) {
		so.pm_want_range = PM_WANT_RUNS | PM_WANT_EXCLUSIVE;
		so.range_start = w->runs_start;
		so.range_end = w->runs_end;
	}
	s = snapshot_take(&l->pid, 1, &so, &failed);
	if (!s) {
		*err = errno ? errno : EIO;
		return NULL;
	}
	if (l->start_time && s->procs[0].start_time != l->start_time) {
		/* Another process got the pid. */
		vm_snapshot_free(s);
		*err = ESRCH;
		return NULL;
	}
	l->start_time = s->procs[0].start_time;
	/* Unwinding needs the process attached: not with --no-trace. A
	 * failure leaves threads NULL: the view says no stacks. */
	if (w && w->stacks && tui_stacks_collect && l->tr)
		tui_stacks_collect(l->tr, l->elf, &s->procs[0]);
	return s;
}

static int live_refresh(struct tui_source *src, const struct tui_want *w,
			struct vm_snapshot **out)
{
	struct live *l = src->priv;
	int err = 0;

	if (l->first) {
		bool plain = !w || (w->runs_end <= w->runs_start && !w->stacks);
		if (plain) {
			*out = l->first;
			l->first = NULL;
			return 1;
		}
		vm_snapshot_free(l->first);
		l->first = NULL;
	}
	if (l->gone)
		return -ESRCH;
	*out = live_take(l, w, &err);
	if (!*out) {
		if (err == ESRCH || err == ENOENT) {
			l->gone = true;
			return -ESRCH;
		}
		return -err;
	}
	if (l->exiting)
		l->gone = true; /* this was the picture taken at the exit stop */
	return 1;
}

static void live_release(struct tui_source *src, struct vm_snapshot *s)
{
	(void)src;
	vm_snapshot_free(s);
}

static void live_describe(struct tui_source *src, char *buf, size_t len)
{
	struct live *l = src->priv;

	if (l->launched)
		snprintf(buf, len, "launched %s (killed on quit)", l->prog);
	else if (l->tr)
		snprintf(buf, len, "attached (left as found on quit)");
	else
		snprintf(buf, len, "watching without ptrace");
}

static bool live_is_live(const struct tui_source *src)
{
	(void)src;
	return true;
}

static unsigned live_poll(struct tui_source *src, int timeout_ms)
{
	struct live *l = src->priv;
	struct tracer_event ev;
	unsigned r = 0;

	if (!l->tr || l->gone)
		return 0;
	/* A few events at a time: the screen stays responsive. */
	for (int i = 0; i < 32; i++) {
		int n = tracer_poll(l->tr, &ev, i ? 0 : timeout_ms);
		if (n <= 0)
			break;
		if (ev.pid != l->pid)
			continue;
		if (ev.kind == TEV_EXEC) {
			r |= TUI_SRC_REFRESH;
		} else if (ev.kind == TEV_EXIT) {
			/* Stopped with its memory still mapped until the next
			 * poll: refresh now for the last picture. */
			l->exiting = true;
			return r | TUI_SRC_REFRESH;
		} else if (ev.kind == TEV_GONE) {
			l->gone = true;
			return r | TUI_SRC_GONE;
		}
	}
	return r;
}

static int live_page_info(struct tui_source *src, pid_t pid, uint64_t addr,
			  struct tui_page_info *info)
{
	struct live *l = src->priv;
	int r;

	memset(info, 0, sizeof(*info));
	if (pid != l->pid || l->gone)
		return -ESRCH;
	if (!l->pm) {
		l->pm = pagemap_open(l->pid, PM_BACKEND_AUTO);
		if (!l->pm)
			return -errno;
	}
	r = pagemap_read_entry(l->pm, addr, &info->entry);
	if (r < 0)
		return r;
	info->have_entry = true;
	if (PM_ENTRY_PRESENT(info->entry) && PM_ENTRY_PFN(info->entry) &&
	    kpage_read(PM_ENTRY_PFN(info->entry), &info->kflags, NULL) == 0)
		info->have_kflags = true;
	return 0;
}

static void live_close(struct tui_source *src)
{
	struct live *l;

	if (!src)
		return;
	l = src->priv;
	tracer_free(l->tr); /* detaches: attached ones left as found, launched killed */
	pagemap_close(l->pm);
	elf_cache_free(l->elf);
	vm_snapshot_free(l->first);
	free(l);
}

static const struct tui_source_ops live_ops = {
	.refresh = live_refresh,
	.release = live_release,
	.describe = live_describe,
	.is_live = live_is_live,
	.step = NULL,
	.poll = live_poll,
	.page_info = live_page_info,
	.close = live_close,
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
	l->pid = pid;
	l->elf = elf_cache_new();
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
			e = -r;
			goto fail;
		}
	}
	/* The first picture: at the exec stop for a launched program. */
	l->first = live_take(l, NULL, &e);
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
