/* ptrace discipline in one place (include/vmatlas/tracer.h).
 *
 * Every task is PTRACE_SEIZEd (never PTRACE_ATTACH: it sends SIGSTOP,
 * which would end a group-stop the target was in and could be seen by its
 * parent). Stops are collected with waitpid(__WALL) and classified as
 * strace does:
 *   - status>>16 == PTRACE_EVENT_STOP: an interrupt, the initial stop of an
 *     auto-attached child, or a group-stop. kernel/signal.c do_jobctl_trap()
 *     reports SIGTRAP unless the process is in group-stop, when it reports
 *     the stopping signal; a group-stop is kept with PTRACE_LISTEN.
 *   - other events (fork, clone, exec, exit): reported, then continued.
 *   - otherwise a signal-delivery-stop: continued with that signal.
 * On detach, kernel/ptrace.c __ptrace_unlink() puts a task back into
 * group-stop when its process is still stopped (SIGNAL_STOP_STOPPED), so a
 * stopped target stays stopped; a running one is simply continued. The same
 * happens when vmatlas dies (exit_ptrace()), which is why SIGKILL to vmatlas
 * leaves attached targets as they were. PTRACE_DETACH needs the tracee in a
 * ptrace-stop that is not a LISTEN, hence the INTERRUPT before it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmatlas/procfs.h"
#include "vmatlas/tracer.h"
#include "vmatlas/util.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef PTRACE_O_EXITKILL
#define PTRACE_O_EXITKILL (1 << 20)
#endif

/* How long to wait for a task to reach a ptrace-stop. A task in
 * uninterruptible sleep (D state, e.g. on a dead NFS server) may not stop;
 * rather than hang, vmatlas gives up on it (the kernel detaches it when
 * vmatlas exits). */
#define STOP_TIMEOUT_MS 5000
#define NOSTOP_GRACE_NS (200 * 1000000ull)
#define MAX_QUEUED_EVENTS 4096

enum {
	TS_STOPPED  = 1u << 0, /* in a ptrace-stop we have waited for */
	TS_LISTEN   = 1u << 1, /* group-stop kept with PTRACE_LISTEN */
	TS_EVSTOP   = 1u << 2, /* the current stop is a PTRACE_EVENT_STOP */
	TS_EXITHOLD = 1u << 3, /* held at PTRACE_EVENT_EXIT until next poll */
	TS_NOSTOP   = 1u << 4, /* did not stop for a freeze (uninterruptible) */
	TS_HELD     = 1u << 5, /* kept stopped alone (tracer_stop_thread) */
	TS_EXITING  = 1u << 6, /* reported its PTRACE_EVENT_EXIT stop */
};

struct ttask {
	pid_t tid, pid; /* pid: the thread group leader */
	unsigned st;    /* TS_* */
	int sig;        /* signal to deliver when resumed */
};

struct tproc {
	pid_t pid;
	bool launched;
	bool launching;     /* launched, exec event not seen yet */
	bool exec_held;     /* launched, stopped at exec until tracer_resume */
	bool was_stopped;   /* in group-stop when attached */
	bool group_stopped; /* in group-stop now, as far as we know */
	bool keep_exit;     /* held at its exit for a last picture */
	unsigned freeze;
	uint64_t freeze_t0;
};

/* A process let go by tracer_let_go(), to be attached again. */
struct taway {
	pid_t pid;
	unsigned long long start_time;
	bool launched, keep_exit;
};

/* The service thread of TRACER_THREAD (see tracer_new): it alone calls
 * ptrace, since only the thread that attached may ptrace a tracee. It
 * sleeps in poll() on a pipe that SIGCHLD (sent to the tracer for every
 * ptrace stop) and callers write to, answers every stop at once, and runs
 * the calls of other threads one at a time. */
struct tcall {
	int op;
	pid_t pid;
	unsigned long long ull;
	bool flag;
	void *p;
	size_t n;
	char *const *argv;
	int (*fn)(void *);
	int ret;
	size_t nret;
};

struct tsvc {
	bool on;
	pthread_t th;
	int wake[2];
	pthread_mutex_t mu, call_mu;
	pthread_cond_t cv;     /* a call done, or an event queued */
	struct tcall *call;    /* posted, not yet done */
	bool done, stop;
	unsigned long ev_gen;  /* bumped for every event queued */
};

struct tracer {
	unsigned flags;
	int launch_tty;     /* + 1: the terminal of the next launch, 0: none */
	struct ttask *tasks;
	size_t ntasks, ctasks;
	struct tproc *procs;
	size_t nprocs, cprocs;
	struct tracer_event *evq;
	size_t nev, cev;
	struct taway *away;
	size_t naway;
	struct tsvc svc;
};

/* ---- small /proc readers: a fixed buffer on the stack, no allocation (the
 * tracer reads them while it holds stopped tasks) ------------------------- */

static ssize_t proc_read(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* Field KEY ("TracerPid:") of /proc/PID/status as a number; -1 if absent. */
static long long status_field(pid_t pid, const char *key)
{
	char buf[8192], *p;
	size_t klen = strlen(key);

	if (proc_read(pid, "status", buf, sizeof(buf)) <= 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0)
			return strtoll(p + klen, NULL, 10);
	return -1;
}

/* Is TRACER (a TracerPid) one of vmatlas's own threads? With a service
 * thread, the tracer a task names is that thread's id, not the pid. */
static bool tracer_is_us(long long tracer)
{
	return tracer > 0 && (tracer == getpid() || status_field((pid_t)tracer, "Tgid:") == getpid());
}

/* State letter, ppid and start time (field 22) from /proc/PID/stat. */
static int stat_read(pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
{
	char buf[2048];
	struct proc_stat st;
	ssize_t n = proc_read(pid, "stat", buf, sizeof(buf));

	if (n <= 0)
		return -ESRCH;
	if (stat_parse(buf, (size_t)n, &st) < 0)
		return -EINVAL;
	*state = st.state;
	if (ppid)
		*ppid = st.ppid;
	if (start)
		*start = st.start_time;
	return 0;
}

static void ms_sleep(unsigned us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };

	nanosleep(&ts, NULL);
}

/* ---- the service thread's wake-up ------------------------------------------ */

/* The pipe of the one tracer that has a service thread; SIGCHLD writes to
 * it (async-signal-safe), so a stop wakes the thread however it arrives. */
static int svc_sigchld_fd = -1;

static void svc_on_sigchld(int sig)
{
	int e = errno;

	(void)sig;
	if (svc_sigchld_fd >= 0 && write(svc_sigchld_fd, "c", 1) < 0) {
		/* full: a wake-up is pending anyway */
	}
	errno = e;
}

static void svc_drain(struct tracer *t)
{
	char buf[256];

	while (read(t->svc.wake[0], buf, sizeof(buf)) > 0)
		;
}

/* Sleep up to US microseconds, or until a ptrace stop or a call wakes the
 * service thread; a plain sleep without one. */
static void nap(struct tracer *t, unsigned us)
{
	struct pollfd pfd;

	if (!t->svc.on) {
		ms_sleep(us);
		return;
	}
	pfd.fd = t->svc.wake[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, (int)((us + 999) / 1000)) > 0)
		svc_drain(t);
}

/* ---- bookkeeping ---------------------------------------------------------- */

static struct tproc *proc_find(struct tracer *t, pid_t pid)
{
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid == pid)
			return &t->procs[i];
	return NULL;
}

static struct ttask *task_find(struct tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->ntasks; i++)
		if (t->tasks[i].tid == tid)
			return &t->tasks[i];
	return NULL;
}

static struct tproc *proc_add(struct tracer *t, pid_t pid)
{
	struct tproc *p;

	if (t->nprocs == t->cprocs) {
		size_t n = t->cprocs ? t->cprocs * 2 : 4;
		p = realloc(t->procs, n * sizeof(*p));
		if (!p)
			return NULL;
		t->procs = p;
		t->cprocs = n;
	}
	p = &t->procs[t->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

static struct ttask *task_add(struct tracer *t, pid_t tid, pid_t pid)
{
	struct ttask *k;

	if (t->ntasks == t->ctasks) {
		size_t n = t->ctasks ? t->ctasks * 2 : 16;
		k = realloc(t->tasks, n * sizeof(*k));
		if (!k)
			return NULL;
		t->tasks = k;
		t->ctasks = n;
	}
	k = &t->tasks[t->ntasks++];
	memset(k, 0, sizeof(*k));
	k->tid = tid;
	k->pid = pid;
	return k;
}

static size_t proc_ntasks(const struct tracer *t, pid_t pid)
{
	size_t n = 0;

	for (size_t i = 0; i < t->ntasks; i++)
		n += t->tasks[i].pid == pid;
	return n;
}

static void event_push(struct tracer *t, enum tracer_event_kind kind, pid_t pid,
		       pid_t child, int status)
{
	if (t->nev == t->cev) {
		size_t n = t->cev ? t->cev * 2 : 16;
		struct tracer_event *q;

		if (n > MAX_QUEUED_EVENTS || !(q = realloc(t->evq, n * sizeof(*q))))
			return; /* nobody polls: drop rather than grow forever */
		t->evq = q;
		t->cev = n;
	}
	t->evq[t->nev++] = (struct tracer_event){ .kind = kind, .pid = pid,
						  .child = child, .status = status };
	if (t->svc.on) {
		pthread_mutex_lock(&t->svc.mu);
		t->svc.ev_gen++;
		pthread_cond_broadcast(&t->svc.cv);
		pthread_mutex_unlock(&t->svc.mu);
	}
}

static void proc_remove(struct tracer *t, pid_t pid, int status, bool report)
{
	struct tproc *p = proc_find(t, pid);

	for (size_t i = 0; i < t->ntasks;) {
		if (t->tasks[i].pid == pid)
			t->tasks[i] = t->tasks[--t->ntasks];
		else
			i++;
	}
	if (!p)
		return;
	memmove(p, p + 1, (size_t)(t->procs + t->nprocs - (p + 1)) * sizeof(*p));
	t->nprocs--;
	if (report)
		event_push(t, TEV_GONE, pid, 0, status);
}

static void task_remove(struct tracer *t, struct ttask *k, int status)
{
	pid_t pid = k->pid;

	*k = t->tasks[--t->ntasks];
	if (proc_ntasks(t, pid) == 0)
		proc_remove(t, pid, status, true);
}

/* ---- resuming ------------------------------------------------------------- */

static unsigned trace_options(const struct tracer *t, bool launched)
{
	/* Threads are always followed: a thread created while we are attached
	 * must be stopped by --freeze like the others. */
	unsigned o = PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;

	if (t->flags & TRACER_FOLLOW)
		o |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXIT;
	if (launched)
		o |= PTRACE_O_EXITKILL;
	return o;
}

/* Let a stopped task go: deliver its pending signal, or go back to
 * group-stop with LISTEN, or continue. */
static void task_resume(struct tracer *t, struct ttask *k)
{
	struct tproc *p = proc_find(t, k->pid);
	long r;

	if (!(k->st & TS_STOPPED))
		return;
	k->st &= ~(TS_STOPPED | TS_EXITHOLD);
	if (k->sig) {
		r = ptrace(PTRACE_CONT, k->tid, 0L, (long)k->sig);
		k->sig = 0;
	} else if ((k->st & TS_EVSTOP) && p && p->group_stopped) {
		r = ptrace(PTRACE_LISTEN, k->tid, 0L, 0L);
		if (r == 0)
			k->st |= TS_LISTEN;
		else
			r = ptrace(PTRACE_CONT, k->tid, 0L, 0L);
	} else {
		r = ptrace(PTRACE_CONT, k->tid, 0L, 0L);
	}
	/* ESRCH: killed meanwhile; its exit status will come through wait. */
	(void)r;
}

static bool proc_holds(const struct tproc *p)
{
	return p && (p->freeze > 0 || p->exec_held);
}

/* ---- the stop dispatcher --------------------------------------------------- */

static bool stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* A task we did not know reported: an auto-attached child (clone, fork) whose
 * initial stop came before its parent's event. */
static struct ttask *task_adopt(struct tracer *t, pid_t tid)
{
	long long tgid = status_field(tid, "Tgid:");
	long long ppid;
	struct tproc *parent, *p;

	if (tgid <= 0)
		tgid = tid;
	if (proc_find(t, (pid_t)tgid))
		return task_add(t, tid, (pid_t)tgid);
	/* A new process. Followed with TRACER_FOLLOW, else let go. */
	ppid = status_field((pid_t)tgid, "PPid:");
	parent = ppid > 0 ? proc_find(t, (pid_t)ppid) : NULL;
	if (!(t->flags & TRACER_FOLLOW)) {
		if (ptrace(PTRACE_DETACH, tid, 0L, 0L) < 0 && errno != ESRCH)
			ptrace(PTRACE_INTERRUPT, tid, 0L, 0L);
		return NULL;
	}
	{
		bool launched = parent && parent->launched;

		p = proc_add(t, (pid_t)tgid);
		if (!p)
			return NULL;
		p->launched = launched;
	}
	return task_add(t, tid, (pid_t)tgid);
}

static bool proc_keeps_exit(const struct tracer *t, const struct tproc *p)
{
	/* Without a service thread the caller polls at its own pace and asked
	 * for every exit by following; with one, only for those it named. */
	return p && (!t->svc.on || p->keep_exit);
}

/* The system call a stopped or sleeping task TID of PID is in, from
 * /proc/PID/task/TID/syscall; -1 when it is in none, -2 when it runs or
 * the file cannot be read. */
static long task_syscall(pid_t pid, pid_t tid)
{
	char file[48], buf[256];

	snprintf(file, sizeof(file), "task/%d/syscall", (int)tid);
	for (int i = 0; i < 20; i++) {
		if (proc_read(pid, file, buf, sizeof(buf)) <= 0)
			return -2;
		if (strncmp(buf, "running", 7) != 0)
			return strtol(buf, NULL, 10);
		ms_sleep(50); /* woken for a moment: it sleeps again at once */
	}
	return -2;
}

/* The leader K is at its PTRACE_EVENT_EXIT stop: is the process ending, or
 * only its main thread? A leader that called pthread_exit (SYS_exit) while
 * other threads run leaves the process alive, its memory still mapped; a
 * leader killed because another thread exec'd (kernel/exec.c de_thread())
 * is replaced by that thread, and holding it would block the exec. */
static bool leader_exit_ends_process(struct tracer *t, struct ttask *k)
{
	long self = task_syscall(k->pid, k->tid);
	bool others = false;

	for (size_t i = 0; i < t->ntasks; i++) {
		const struct ttask *o = &t->tasks[i];
		long nr;

		if (o->pid != k->pid || o == k || (o->st & TS_EXITING))
			continue;
		others = true;
		nr = task_syscall(o->pid, o->tid);
		if (nr == SYS_execve
#ifdef SYS_execveat
		    || nr == SYS_execveat
#endif
		)
			return false;
	}
	return !(self == SYS_exit && others);
}

static void dispatch(struct tracer *t, pid_t tid, int status)
{
	struct ttask *k = task_find(t, tid);
	struct tproc *p;
	unsigned event;
	int sig;
	unsigned long msg = 0;

	if (!k) {
		if (!WIFSTOPPED(status))
			return; /* not ours (or already forgotten) */
		k = task_adopt(t, tid);
		if (!k)
			return;
	}
	if (!WIFSTOPPED(status)) {
		task_remove(t, k, status);
		return;
	}
	p = proc_find(t, k->pid);
	event = (unsigned)status >> 16;
	sig = WSTOPSIG(status);
	k->st = (k->st & ~(TS_LISTEN | TS_EVSTOP | TS_NOSTOP)) | TS_STOPPED;

	switch (event) {
	case PTRACE_EVENT_STOP:
		k->st |= TS_EVSTOP;
		if (p)
			p->group_stopped = stop_signal(sig);
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0L, &msg) == 0 && msg) {
			pid_t child = (pid_t)msg;
			/* The child's initial stop may have come first: then
			 * task_adopt() knows it already, and the event is
			 * still reported. */
			bool known = task_find(t, child) != NULL;
			long long tgid = status_field(child, "Tgid:");

			if (event == PTRACE_EVENT_CLONE && tgid == k->pid) {
				if (!known)
					task_add(t, child, k->pid);
				if (t->flags & TRACER_FOLLOW)
					event_push(t, TEV_CLONE, k->pid, child, 0);
			} else if (t->flags & TRACER_FOLLOW) {
				struct tproc *np = proc_find(t, child) ? NULL : proc_add(t, child);

				p = proc_find(t, k->pid); /* proc_add may move it */
				if (np) {
					np->launched = p && p->launched;
					if (!known)
						task_add(t, child, child);
				}
				event_push(t, TEV_FORK, k->pid, child, 0);
			}
			/* else: a new process we do not follow; its initial stop
			 * arrives later and task_adopt() lets it go. */
		}
		break;
	case PTRACE_EVENT_EXEC:
		/* A non-leader thread that execs takes over the leader's tid and
		 * its old tid vanishes without an exit report (ptrace(2)). */
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0L, &msg) == 0 && (pid_t)msg != tid) {
			struct ttask *old = task_find(t, (pid_t)msg);

			if (old && old != k) {
				*old = t->tasks[--t->ntasks];
				k = task_find(t, tid);
				if (!k)
					return;
			}
		}
		/* The leader's tid, killed by the exec, lives on in the
		 * thread that exec'd: its exit stop was no exit. */
		k->st &= ~TS_EXITING;
		if (p && p->launching) {
			p->launching = false;
			p->exec_held = true;
		}
		event_push(t, TEV_EXEC, k->pid, 0, 0);
		break;
	case PTRACE_EVENT_EXIT:
		k->st |= TS_EXITING;
		if (tid == k->pid && leader_exit_ends_process(t, k)) {
			if (!proc_keeps_exit(t, p)) {
				event_push(t, TEV_EXIT, k->pid, 0, 0);
				break;
			}
			k->st |= TS_EXITHOLD;
			event_push(t, TEV_EXIT, k->pid, 0, 0);
			return;
		}
		break;
	case 0:
		/* Signal-delivery-stop: the signal is the target's; deliver it. */
		k->sig = sig;
		break;
	default:
		break;
	}
	/* task_add/proc_add above may have moved the arrays. */
	k = task_find(t, tid);
	p = k ? proc_find(t, k->pid) : NULL;
	if (k && !proc_holds(p) && !(k->st & TS_HELD))
		task_resume(t, k);
}

/* Collect one wait status of a traced task and dispatch it. Only traced
 * tasks are reaped: the caller's own untraced children (a zombie it keeps
 * on purpose, a child it will waitpid() for) are left alone, which is why
 * waitid(WNOWAIT) looks before waitpid() takes. */
static int wait_take(struct tracer *t)
{
	siginfo_t si;
	int status;
	pid_t w;

	memset(&si, 0, sizeof(si));
	if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0)
		return -errno;
	if (si.si_pid == 0)
		return 0;
	if (task_find(t, si.si_pid) || si.si_code == CLD_TRAPPED) {
		w = waitpid(si.si_pid, &status, __WALL | WNOHANG);
		if (w > 0) {
			dispatch(t, w, status);
			return 1;
		}
		return w < 0 ? -errno : 0;
	}
	/* A child that is not ours to reap is first in line: ask each traced
	 * task in turn instead. */
	for (size_t i = 0; i < t->ntasks; i++) {
		w = waitpid(t->tasks[i].tid, &status, __WALL | WNOHANG);
		if (w > 0) {
			dispatch(t, w, status);
			return 1;
		}
	}
	return 0;
}

/* Wait up to TIMEOUT_MS for one status and dispatch it. 1 when one was
 * handled, 0 on timeout, -ECHILD when nothing is left to wait for, -EINTR
 * when a quit signal arrived. */
static int wait_one(struct tracer *t, int timeout_ms)
{
	uint64_t deadline = vm_now_ns() + (uint64_t)timeout_ms * 1000000u;
	unsigned us = 100;
	int r;

	for (;;) {
		r = wait_take(t);
		if (r != 0 && r != -EINTR)
			return r;
		if (vm_should_quit())
			return -EINTR;
		if (vm_now_ns() >= deadline)
			return 0;
		nap(t, us);
		if (us < 10000)
			us *= 2;
	}
}

/* ---- public interface ------------------------------------------------------ */

static void svc_stop(struct tracer *t);
static int svc_start(struct tracer *t);

struct tracer *tracer_new(unsigned flags)
{
	struct tracer *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return NULL;
	t->flags = flags;
	if ((flags & TRACER_THREAD) && (r = svc_start(t)) < 0) {
		free(t);
		errno = -r;
		return NULL;
	}
	return t;
}

void tracer_set_launch_tty(struct tracer *t, int fd)
{
	t->launch_tty = fd >= 0 ? fd + 1 : 0;
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	tracer_detach_all(t);
	svc_stop(t);
	free(t->tasks);
	free(t->procs);
	free(t->evq);
	free(t->away);
	free(t);
}

/* Is PID vmatlas itself, a thread of it, an ancestor, or its tracer?
 * Stopping any of those could deadlock (the shell waiting for us, the
 * debugger tracing us). */
static const char *tracer_relation(pid_t pid)
{
	pid_t self = getpid(), cur = getppid();
	long long tgid = status_field(pid, "Tgid:");
	long long tracer = status_field(self, "TracerPid:");

	if (pid == self || tgid == self)
		return "itself";
	if (pid == getppid())
		return "its own parent";
	if (tracer > 0 && pid == tracer)
		return "its own tracer";
	for (int depth = 0; cur > 1 && depth < 4096; depth++) {
		char st;
		pid_t pp = 0;

		if (cur == pid)
			return "an ancestor of vmatlas";
		if (stat_read(cur, &st, &pp, NULL) < 0)
			break;
		cur = pp;
	}
	return NULL;
}

/* Seize every thread listed in /proc/PID/task that we do not trace yet.
 * Returns how many were added, or -errno when the leader cannot be seized. */
static int seize_threads(struct tracer *t, pid_t pid, unsigned opts)
{
	pid_t *tids;
	size_t ntids;
	int added = 0, r = procfs_tids(pid, &tids, &ntids);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ntids; i++) {
		pid_t tid = tids[i];
		long long tracer;

		if (task_find(t, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0L, (long)opts) == 0) {
			if (!task_add(t, tid, pid)) {
				ptrace(PTRACE_DETACH, tid, 0L, 0L);
				r = -ENOMEM;
				break;
			}
			added++;
			continue;
		}
		r = -errno;
		tracer = status_field(tid, "TracerPid:");
		if (tracer_is_us(tracer)) {
			/* Auto-attached already: a thread created by one we seized. */
			if (!task_add(t, tid, pid)) {
				r = -ENOMEM;
				break;
			}
			added++;
			r = 0;
			continue;
		}
		if (tid != pid) {
			/* One thread traced by another tracer (strace -p TID):
			 * it could be neither stopped nor unwound. */
			if (tracer > 0) {
				r = -EBUSY;
				break;
			}
			/* A thread that exited meanwhile (ESRCH) or is a zombie
			 * (EPERM): nothing to stop there. */
			r = 0;
			continue;
		}
		{
			char st = 0;

			/* A leader that called pthread_exit is a zombie while
			 * its threads run on. */
			if (stat_read(tid, &st, NULL, NULL) == 0 && st == 'Z') {
				r = 0;
				continue;
			}
		}
		break;
	}
	free(tids);
	return r < 0 ? r : added;
}

/* TID, a task of process PID, is at the ptrace-stop STATUS: detach it,
 * delivering the signal it stopped for (none at an event or interrupt
 * stop). A child it forked or a thread it cloned at this stop is followed:
 * added to T, detached in turn. */
static void detach_at_stop(struct tracer *t, pid_t pid, pid_t tid, int status)
{
	unsigned event = (unsigned)status >> 16;
	unsigned long msg = 0;

	if ((event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) &&
	    ptrace(PTRACE_GETEVENTMSG, tid, 0L, &msg) == 0 && msg && !task_find(t, (pid_t)msg))
		task_add(t, (pid_t)msg, pid);
	ptrace(PTRACE_DETACH, tid, 0L, event ? 0L : (long)WSTOPSIG(status));
}

/* While task TID of PID does not stop, the others of its process may be
 * at stops it waits on: a thread that execs waits in D state
 * (kernel/exec.c de_thread()) until every other thread, the leader
 * included, has exited, and they stop at PTRACE_EVENT_EXIT on the way.
 * Detach each one found stopped, so the exec goes on (and TID, become the
 * leader's tid, stops); one that exited is left to the walk, which finds
 * it gone. */
static void detach_stopped_siblings(struct tracer *t, pid_t pid, pid_t tid)
{
	for (size_t i = 0; i < t->ntasks; i++) {
		pid_t o = t->tasks[i].tid;
		int status;

		if (o == tid || t->tasks[i].pid != pid || (t->tasks[i].st & TS_STOPPED))
			continue;
		if (waitpid(o, &status, __WALL | WNOHANG) == o && WIFSTOPPED(status))
			detach_at_stop(t, pid, o, status);
	}
}

/* Detach one task, leaving it as it was. DEADLINE bounds the wait for its
 * stop. Children that it forks meanwhile (followed) are added to T. */
static void task_detach(struct tracer *t, struct ttask *k, uint64_t deadline)
{
	pid_t pid = k->pid, tid = k->tid;
	int status;
	pid_t w;

	if (k->st & TS_STOPPED) {
		ptrace(PTRACE_DETACH, k->tid, 0L, (long)k->sig);
		return;
	}
	if (ptrace(PTRACE_INTERRUPT, k->tid, 0L, 0L) < 0)
		return; /* gone */
	/* It already failed to stop for a whole freeze timeout (a vfork
	 * parent, a D-state wait): a short grace, not a second timeout. */
	if ((k->st & TS_NOSTOP) && deadline > vm_now_ns() + NOSTOP_GRACE_NS)
		deadline = vm_now_ns() + NOSTOP_GRACE_NS;
	for (unsigned us = 50;;) {
		w = waitpid(tid, &status, __WALL | WNOHANG);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 || (w == tid && !WIFSTOPPED(status)))
			return; /* exited, or exec'd and took the leader's tid */
		if (w == tid) {
			detach_at_stop(t, pid, tid, status);
			return;
		}
		if (vm_now_ns() >= deadline)
			return; /* left to the kernel: detached when vmatlas exits */
		detach_stopped_siblings(t, pid, tid);
		ms_sleep(us);
		if (us < 5000)
			us *= 2;
	}
}

static void proc_kill_and_reap(struct tracer *t, pid_t pid, uint64_t deadline)
{
	int status;

	kill(pid, SIGKILL);
	while (proc_ntasks(t, pid) > 0 && vm_now_ns() < deadline) {
		bool any = false;

		for (size_t i = 0; i < t->ntasks; i++) {
			struct ttask *k = &t->tasks[i];
			pid_t w;

			if (k->pid != pid)
				continue;
			w = waitpid(k->tid, &status, __WALL | WNOHANG);
			if (w < 0 || (w == k->tid && !WIFSTOPPED(status))) {
				*k = t->tasks[--t->ntasks];
				any = true;
				break;
			}
			if (w == k->tid) {
				/* PTRACE_EVENT_EXIT stop of a killed task. */
				ptrace(PTRACE_CONT, k->tid, 0L, 0L);
				any = true;
			}
		}
		if (!any)
			ms_sleep(1000);
	}
	proc_remove(t, pid, 0, false);
}

/* Detach every task of PID (0: of every process). task_detach may append
 * tasks (children forked meanwhile), so walk until none is left. */
static void tasks_detach(struct tracer *t, pid_t pid, uint64_t deadline)
{
	for (;;) {
		ssize_t last = -1;
		pid_t tid;

		for (size_t i = 0; i < t->ntasks; i++)
			if (!pid || t->tasks[i].pid == pid)
				last = (ssize_t)i;
		if (last < 0)
			return;
		tid = t->tasks[last].tid;
		task_detach(t, &t->tasks[last], deadline);
		for (size_t i = 0; i < t->ntasks; i++) {
			if (t->tasks[i].tid == tid) {
				t->tasks[i] = t->tasks[--t->ntasks];
				break;
			}
		}
	}
}

static void do_detach_all(struct tracer *t)
{
	uint64_t deadline;

	if (!t)
		return;
	deadline = vm_now_ns() + (uint64_t)STOP_TIMEOUT_MS * 1000000u;
	/* Launched programs die first so they cannot fork more. */
	for (size_t i = 0; i < t->nprocs;) {
		if (t->procs[i].launched)
			proc_kill_and_reap(t, t->procs[i].pid, deadline);
		else
			i++;
	}
	tasks_detach(t, 0, deadline);
	t->nprocs = 0;
	t->nev = 0;
}

static int do_attach(struct tracer *t, pid_t pid, unsigned long long expect_start_time,
		     bool launched)
{
	unsigned long long start = 0, start2 = 0;
	struct tproc *p;
	char state = 0;
	long long tracer, threads;
	int r, added;

	if (pid <= 0)
		return -ESRCH;
	if (proc_find(t, pid))
		return 0;
	if (tracer_relation(pid))
		return -EDEADLK;
	r = stat_read(pid, &state, NULL, &start);
	if (r < 0)
		return -ESRCH;
	if (expect_start_time && start != expect_start_time)
		return -ESRCH; /* the pid names another process now */
	if (status_field(pid, "Tgid:") != pid)
		return -ESRCH; /* a thread id, not a process */
	threads = status_field(pid, "Threads:");
	if ((state == 'Z' || state == 'X') && threads <= 1)
		return -ESRCH;
	tracer = status_field(pid, "TracerPid:");
	if (tracer > 0)
		return -EBUSY;

	p = proc_add(t, pid);
	if (!p)
		return -ENOMEM;
	p->launched = launched;
	p->was_stopped = state == 'T';
	p->group_stopped = p->was_stopped;
	/* Threads started between listing /proc/PID/task and seizing are
	 * missed by one pass; the ones created by seized threads are
	 * auto-attached (TRACECLONE). Rescan until a pass finds nothing new. */
	for (int pass = 0, busy = 0; pass < 1000; pass++) {
		added = seize_threads(t, pid, trace_options(t, launched));
		/* An exec by another thread makes the leader a zombie for a
		 * moment (kernel/exec.c de_thread): ptrace_attach says EPERM
		 * then. Try again for a few milliseconds. */
		if (added == -EPERM && busy++ < 20) {
			ms_sleep(2000);
			continue;
		}
		if (added < 0) {
			r = added;
			goto fail;
		}
		if (added == 0)
			break;
	}
	if (proc_ntasks(t, pid) == 0) {
		r = -ESRCH;
		goto fail;
	}
	/* The pid could have been reused between the first check and the
	 * seize: same start time, same process. */
	if (stat_read(pid, &state, NULL, &start2) < 0 || start2 != start) {
		r = -ESRCH;
		goto fail;
	}
	return 0;
fail:
	/* Undo: detach the threads seized so far. */
	tasks_detach(t, pid, vm_now_ns() + (uint64_t)STOP_TIMEOUT_MS * 1000000u);
	proc_remove(t, pid, 0, false);
	return r;
}

/* Let processes held at their exit event go on (see TEV_EXIT). */
static void release_exit_holds(struct tracer *t)
{
	for (size_t i = 0; i < t->ntasks; i++) {
		struct ttask *k = &t->tasks[i];

		if ((k->st & TS_EXITHOLD) && !proc_holds(proc_find(t, k->pid)))
			task_resume(t, k);
	}
}

static int do_launch(struct tracer *t, char *const argv[], pid_t *pidp)
{
	struct tproc *p;
	int pfd[2], status, err = 0, r;
	uint64_t deadline;
	pid_t pid;
	ssize_t n;

	if (!argv || !argv[0])
		return -EINVAL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (pid == 0) {
		/* Stop so the parent can seize with options before exec. */
		sigset_t none;

		close(pfd[0]);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL); /* the service thread's mask */
		if (t->launch_tty && (err = -pty_make_controlling(t->launch_tty - 1)) != 0) {
			if (write(pfd[1], &err, sizeof(err)) < 0)
				_exit(127);
			_exit(127);
		}
		raise(SIGSTOP);
		execvp(argv[0], argv);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	while ((r = (int)waitpid(pid, &status, WUNTRACED)) < 0 && errno == EINTR)
		;
	if (r < 0 || !WIFSTOPPED(status)) {
		r = r < 0 ? -errno : -ECHILD;
		goto fail_unseized;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0L, (long)trace_options(t, true)) < 0) {
		r = -errno;
		goto fail_unseized;
	}
	p = proc_add(t, pid);
	if (!p || !task_add(t, pid, pid)) {
		r = -ENOMEM;
		kill(pid, SIGKILL);
		proc_kill_and_reap(t, pid, vm_now_ns() + 1000000000u);
		close(pfd[0]);
		return r;
	}
	p->launched = true;
	p->launching = true;
	kill(pid, SIGCONT);
	deadline = vm_now_ns() + 10000000000ull;
	for (;;) {
		p = proc_find(t, pid);
		if (!p || p->exec_held)
			break;
		if (vm_now_ns() >= deadline || vm_should_quit()) {
			proc_kill_and_reap(t, pid, vm_now_ns() + 1000000000u);
			close(pfd[0]);
			return vm_should_quit() ? -EINTR : -ETIMEDOUT;
		}
		release_exit_holds(t);
		wait_one(t, 100);
	}
	n = read(pfd[0], &err, sizeof(err));
	close(pfd[0]);
	if (!p) {
		/* Exited before exec: exec failed (errno from the pipe). Its
		 * events are of no interest to the caller. */
		for (size_t i = 0; i < t->nev;) {
			if (t->evq[i].pid == pid)
				memmove(&t->evq[i], &t->evq[i + 1], (--t->nev - i) * sizeof(*t->evq));
			else
				i++;
		}
		return n == (ssize_t)sizeof(err) && err ? -err : -ECHILD;
	}
	*pidp = pid;
	return 0;
fail_unseized:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	return r;
}

static int do_resume(struct tracer *t, pid_t pid)
{
	struct tproc *p = proc_find(t, pid);

	if (!p)
		return -ESRCH;
	if (!p->exec_held)
		return 0;
	p->exec_held = false;
	if (p->freeze)
		return 0;
	for (size_t i = 0; i < t->ntasks; i++)
		if (t->tasks[i].pid == pid)
			task_resume(t, &t->tasks[i]);
	return 0;
}

static bool proc_all_stopped(const struct tracer *t, pid_t pid)
{
	for (size_t i = 0; i < t->ntasks; i++)
		if (t->tasks[i].pid == pid && !(t->tasks[i].st & TS_STOPPED))
			return false;
	return true;
}

static void proc_release(struct tracer *t, pid_t pid)
{
	struct tproc *p = proc_find(t, pid);

	if (proc_holds(p))
		return;
	for (size_t i = 0; i < t->ntasks; i++)
		if (t->tasks[i].pid == pid && !(t->tasks[i].st & TS_EXITHOLD))
			task_resume(t, &t->tasks[i]);
}

static int do_freeze(struct tracer *t, pid_t pid)
{
	struct tproc *p = proc_find(t, pid);
	uint64_t deadline;
	int r = 0;

	if (!p)
		return -ESRCH;
	if (p->freeze++ > 0)
		return 0;
	p->freeze_t0 = vm_now_ns();
	for (size_t i = 0; i < t->ntasks; i++) {
		struct ttask *k = &t->tasks[i];

		if (k->pid == pid && !(k->st & TS_STOPPED))
			ptrace(PTRACE_INTERRUPT, k->tid, 0L, 0L);
	}
	deadline = p->freeze_t0 + (uint64_t)STOP_TIMEOUT_MS * 1000000u;
	while (proc_find(t, pid) && !proc_all_stopped(t, pid)) {
		uint64_t now = vm_now_ns();

		if (now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		/* New threads (auto-attached) join stopped: the dispatcher
		 * holds every task of a frozen process. */
		r = wait_one(t, (int)((deadline - now) / 1000000u) + 1);
		if (r < 0)
			break;
		r = 0;
	}
	p = proc_find(t, pid);
	if (!p)
		return -ESRCH;
	if (r < 0) {
		if (r == -ETIMEDOUT)
			for (size_t i = 0; i < t->ntasks; i++)
				if (t->tasks[i].pid == pid && !(t->tasks[i].st & TS_STOPPED))
					t->tasks[i].st |= TS_NOSTOP;
		p->freeze = 0;
		proc_release(t, pid);
		return r;
	}
	return 0;
}

static int do_thaw(struct tracer *t, pid_t pid, unsigned long long *stopped_ns)
{
	struct tproc *p = proc_find(t, pid);

	if (!p)
		return -ESRCH;
	if (p->freeze == 0)
		return -EINVAL;
	if (--p->freeze > 0)
		return 0;
	if (stopped_ns)
		*stopped_ns = vm_now_ns() - p->freeze_t0;
	proc_release(t, pid);
	return 0;
}

static bool do_is_frozen(const struct tracer *t, pid_t pid)
{
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid == pid)
			return t->procs[i].freeze > 0;
	return false;
}

static int do_stop_thread(struct tracer *t, pid_t pid, pid_t tid, int timeout_ms)
{
	struct tproc *p = proc_find(t, pid);
	struct ttask *k = task_find(t, tid);
	uint64_t deadline = vm_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int r = 0;

	if (!p || !k || k->pid != pid)
		return -ESRCH;
	if (proc_holds(p))
		return k->st & TS_STOPPED ? 0 : -ETIMEDOUT;
	k->st |= TS_HELD;
	if (!(k->st & TS_STOPPED))
		ptrace(PTRACE_INTERRUPT, tid, 0L, 0L);
	while ((k = task_find(t, tid)) && !(k->st & TS_STOPPED)) {
		uint64_t now = vm_now_ns();

		if (now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		r = wait_one(t, (int)((deadline - now) / 1000000u) + 1);
		if (r < 0)
			break;
		r = 0;
	}
	if (!k)
		return -ESRCH;
	if (r < 0) {
		/* The interrupt stays pending: its stop, when it comes, is
		 * answered at once by the dispatcher. */
		k->st &= ~TS_HELD;
		return r;
	}
	return 0;
}

static void do_release_thread(struct tracer *t, pid_t pid, pid_t tid)
{
	struct ttask *k = task_find(t, tid);

	if (!k || k->pid != pid || !(k->st & TS_HELD))
		return;
	k->st &= ~TS_HELD;
	if (!proc_holds(proc_find(t, pid)) && !(k->st & TS_EXITHOLD))
		task_resume(t, k);
}

static int do_get_regs(struct tracer *t, pid_t tid, struct user_regs_struct *regs)
{
	struct ttask *k = task_find(t, tid);
	struct iovec iov = { regs, sizeof(*regs) };

	if (!k || !(k->st & TS_STOPPED))
		return -ESRCH;
	/* NT_PRSTATUS (1, linux/elf.h): the general registers, any arch. */
	return ptrace(PTRACE_GETREGSET, tid, (void *)1L, &iov) < 0 ? -errno : 0;
}

static int do_poll(struct tracer *t, struct tracer_event *ev, int timeout_ms)
{
	uint64_t deadline = vm_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
	int r;

	/* A process held at its exit event goes on now. */
	release_exit_holds(t);
	for (;;) {
		if (t->nev > 0) {
			*ev = t->evq[0];
			memmove(t->evq, t->evq + 1, --t->nev * sizeof(*t->evq));
			return 1;
		}
		{
			uint64_t now = vm_now_ns();
			int left = now >= deadline ? 0 : (int)((deadline - now) / 1000000u);

			r = wait_one(t, left);
		}
		if (r == -ECHILD) {
			/* Nothing traced: sleep out the timeout. */
			while (vm_now_ns() < deadline && !vm_should_quit())
				ms_sleep(10000);
			return 0;
		}
		if (r < 0)
			return r;
		if (r == 0 && t->nev == 0)
			return 0;
	}
}

static size_t do_pids(const struct tracer *t, pid_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nprocs; i++) {
		if (n < max)
			out[n] = t->procs[i].pid;
		n++;
	}
	return n < max ? n : max;
}

static bool do_is_launched(const struct tracer *t, pid_t pid)
{
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid == pid)
			return t->procs[i].launched;
	return false;
}

bool tracer_follows(const struct tracer *t)
{
	return t && (t->flags & TRACER_FOLLOW);
}

/* ---- letting go and attaching again (Ctrl-Z) ------------------------------ */

static int do_let_go(struct tracer *t)
{
	struct taway *a;

	if (!t->nprocs)
		return 0;
	a = realloc(t->away, (t->naway + t->nprocs) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	t->away = a;
	for (size_t i = 0; i < t->nprocs; i++) {
		const struct tproc *p = &t->procs[i];
		struct taway *w = &t->away[t->naway];
		char st;

		if (stat_read(p->pid, &st, NULL, &w->start_time) < 0)
			continue; /* gone: nothing to attach again */
		w->pid = p->pid;
		w->launched = p->launched;
		w->keep_exit = p->keep_exit;
		t->naway++;
	}
	tasks_detach(t, 0, vm_now_ns() + (uint64_t)STOP_TIMEOUT_MS * 1000000u);
	t->nprocs = 0;
	return 0;
}

static int do_reattach(struct tracer *t)
{
	int ret = 0;

	for (size_t i = 0; i < t->naway; i++) {
		const struct taway *w = &t->away[i];
		int r = do_attach(t, w->pid, w->start_time, w->launched);
		struct tproc *p;

		if (r < 0) {
			/* Gone, or taken by another tracer meanwhile. */
			event_push(t, TEV_GONE, w->pid, 0, 0);
			if (w->pid == t->away[0].pid)
				ret = r;
			continue;
		}
		p = proc_find(t, w->pid);
		if (p)
			p->keep_exit = w->keep_exit;
	}
	t->naway = 0;
	return ret;
}

static int do_keep_exit(struct tracer *t, pid_t pid, bool keep)
{
	struct tproc *p = proc_find(t, pid);

	if (!p)
		return -ESRCH;
	p->keep_exit = keep;
	return 0;
}

/* ---- the service thread ------------------------------------------------------ */

enum {
	OP_ATTACH, OP_LAUNCH, OP_FREEZE, OP_THAW, OP_RESUME, OP_POLL, OP_PIDS,
	OP_IS_LAUNCHED, OP_DETACH_ALL, OP_LET_GO, OP_REATTACH, OP_KEEP_EXIT, OP_CALL,
	OP_IS_FROZEN, OP_STOP_THREAD, OP_RELEASE_THREAD, OP_GET_REGS,
};

static void svc_run(struct tracer *t, struct tcall *c)
{
	switch (c->op) {
	case OP_ATTACH:
		c->ret = do_attach(t, c->pid, c->ull, false);
		break;
	case OP_LAUNCH:
		c->ret = do_launch(t, c->argv, c->p);
		break;
	case OP_FREEZE:
		c->ret = do_freeze(t, c->pid);
		break;
	case OP_THAW:
		c->ret = do_thaw(t, c->pid, c->p);
		break;
	case OP_RESUME:
		c->ret = do_resume(t, c->pid);
		break;
	case OP_POLL:
		c->ret = do_poll(t, c->p, 0);
		break;
	case OP_PIDS:
		c->nret = do_pids(t, c->p, c->n);
		break;
	case OP_IS_LAUNCHED:
		c->ret = do_is_launched(t, c->pid);
		break;
	case OP_DETACH_ALL:
		do_detach_all(t);
		break;
	case OP_LET_GO:
		c->ret = do_let_go(t);
		break;
	case OP_REATTACH:
		c->ret = do_reattach(t);
		break;
	case OP_KEEP_EXIT:
		c->ret = do_keep_exit(t, c->pid, c->flag);
		break;
	case OP_CALL:
		c->ret = c->fn(c->p);
		break;
	case OP_IS_FROZEN:
		c->ret = do_is_frozen(t, c->pid);
		break;
	case OP_STOP_THREAD:
		c->ret = do_stop_thread(t, c->pid, (pid_t)c->n, (int)c->ull);
		break;
	case OP_RELEASE_THREAD:
		do_release_thread(t, c->pid, (pid_t)c->n);
		break;
	case OP_GET_REGS:
		c->ret = do_get_regs(t, c->pid, c->p);
		break;
	default:
		c->ret = -EINVAL;
		break;
	}
}

static void *svc_main(void *arg)
{
	struct tracer *t = arg;
	struct pollfd pfd = { .fd = t->svc.wake[0], .events = POLLIN };

	for (;;) {
		struct tcall *c;

		svc_drain(t);
		/* Every stop that is waiting, before anything else. */
		while (wait_take(t) > 0)
			;
		pthread_mutex_lock(&t->svc.mu);
		c = t->svc.call;
		if (!c && t->svc.stop) {
			pthread_mutex_unlock(&t->svc.mu);
			break;
		}
		pthread_mutex_unlock(&t->svc.mu);
		if (c) {
			svc_run(t, c);
			pthread_mutex_lock(&t->svc.mu);
			t->svc.call = NULL;
			t->svc.done = true;
			pthread_cond_broadcast(&t->svc.cv);
			pthread_mutex_unlock(&t->svc.mu);
			continue;
		}
		/* The timeout only guards against a lost wake-up. */
		poll(&pfd, 1, 1000);
	}
	return NULL;
}

static bool svc_remote(const struct tracer *t)
{
	return t->svc.on && !pthread_equal(pthread_self(), t->svc.th);
}

/* Run C in the service thread and wait for it. */
static void svc_call(struct tracer *t, struct tcall *c)
{
	pthread_mutex_lock(&t->svc.call_mu);
	pthread_mutex_lock(&t->svc.mu);
	t->svc.call = c;
	t->svc.done = false;
	pthread_mutex_unlock(&t->svc.mu);
	if (write(t->svc.wake[1], "r", 1) < 0) {
		/* full: the thread is awake anyway */
	}
	pthread_mutex_lock(&t->svc.mu);
	while (!t->svc.done)
		pthread_cond_wait(&t->svc.cv, &t->svc.mu);
	pthread_mutex_unlock(&t->svc.mu);
	pthread_mutex_unlock(&t->svc.call_mu);
}

static int svc_start(struct tracer *t)
{
	struct sigaction sa;
	sigset_t block, old;
	int r;

	if (svc_sigchld_fd >= 0)
		return -EBUSY; /* one such tracer per process */
	if (pipe2(t->svc.wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	pthread_mutex_init(&t->svc.mu, NULL);
	pthread_mutex_init(&t->svc.call_mu, NULL);
	pthread_cond_init(&t->svc.cv, NULL);
	svc_sigchld_fd = t->svc.wake[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = svc_on_sigchld;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: other threads' reads and writes are not cut short.
	 * Not SA_NOCLDSTOP: that would silence ptrace stops too
	 * (kernel/signal.c do_notify_parent_cldstop()). */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	/* The thread takes no signal but SIGCHLD: quit and job-control
	 * signals go to the main thread, which acts on them. */
	sigfillset(&block);
	sigdelset(&block, SIGCHLD);
	pthread_sigmask(SIG_SETMASK, &block, &old);
	t->svc.on = true;
	r = pthread_create(&t->svc.th, NULL, svc_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		t->svc.on = false;
		svc_sigchld_fd = -1;
		signal(SIGCHLD, SIG_DFL);
		close(t->svc.wake[0]);
		close(t->svc.wake[1]);
		pthread_mutex_destroy(&t->svc.mu);
		pthread_mutex_destroy(&t->svc.call_mu);
		pthread_cond_destroy(&t->svc.cv);
		return -r;
	}
	return 0;
}

static void svc_stop(struct tracer *t)
{
	if (!t->svc.on)
		return;
	pthread_mutex_lock(&t->svc.mu);
	t->svc.stop = true;
	pthread_mutex_unlock(&t->svc.mu);
	if (write(t->svc.wake[1], "q", 1) < 0) {
		/* full: it wakes anyway */
	}
	pthread_join(t->svc.th, NULL);
	t->svc.on = false;
	signal(SIGCHLD, SIG_DFL);
	svc_sigchld_fd = -1;
	close(t->svc.wake[0]);
	close(t->svc.wake[1]);
	pthread_mutex_destroy(&t->svc.mu);
	pthread_mutex_destroy(&t->svc.call_mu);
	pthread_cond_destroy(&t->svc.cv);
}

/* Run C where ptrace calls work: in the service thread when there is one
 * and this is another thread, else here. */
static void tcall_run(struct tracer *t, struct tcall *c)
{
	if (svc_remote(t))
		svc_call(t, c);
	else
		svc_run(t, c);
}

/* ---- the public calls: in the service thread when there is one ---------- */

int tracer_attach(struct tracer *t, pid_t pid, unsigned long long expect_start_time)
{
	struct tcall c = { .op = OP_ATTACH, .pid = pid, .ull = expect_start_time };

	tcall_run(t, &c);
	return c.ret;
}

int tracer_launch(struct tracer *t, char *const argv[], pid_t *pid)
{
	struct tcall c = { .op = OP_LAUNCH, .argv = argv, .p = pid };

	tcall_run(t, &c);
	return c.ret;
}

bool tracer_is_frozen(const struct tracer *t, pid_t pid)
{
	struct tcall c = { .op = OP_IS_FROZEN, .pid = pid };

	tcall_run((struct tracer *)t, &c);
	return c.ret;
}

/* One thread stopped alone and let go (the Stacks view's unwinder): in
 * the service thread too, which keeps answering the other threads' stops
 * while this one waits. */
int tracer_stop_thread(struct tracer *t, pid_t pid, pid_t tid, int timeout_ms)
{
	struct tcall c = { .op = OP_STOP_THREAD, .pid = pid, .n = (size_t)tid,
			   .ull = (unsigned long long)timeout_ms };

	tcall_run(t, &c);
	return c.ret;
}

void tracer_release_thread(struct tracer *t, pid_t pid, pid_t tid)
{
	struct tcall c = { .op = OP_RELEASE_THREAD, .pid = pid, .n = (size_t)tid };

	tcall_run(t, &c);
}

int tracer_get_regs(struct tracer *t, pid_t tid, struct user_regs_struct *regs)
{
	struct tcall c = { .op = OP_GET_REGS, .pid = tid, .p = regs };

	tcall_run(t, &c);
	return c.ret;
}

int tracer_freeze(struct tracer *t, pid_t pid)
{
	struct tcall c = { .op = OP_FREEZE, .pid = pid };

	tcall_run(t, &c);
	return c.ret;
}

int tracer_thaw(struct tracer *t, pid_t pid, unsigned long long *stopped_ns)
{
	struct tcall c = { .op = OP_THAW, .pid = pid, .p = stopped_ns };

	tcall_run(t, &c);
	return c.ret;
}

int tracer_resume(struct tracer *t, pid_t pid)
{
	struct tcall c = { .op = OP_RESUME, .pid = pid };

	tcall_run(t, &c);
	return c.ret;
}

int tracer_poll(struct tracer *t, struct tracer_event *ev, int timeout_ms)
{
	uint64_t deadline = vm_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;

	if (!svc_remote(t))
		return do_poll(t, ev, timeout_ms);
	for (;;) {
		struct tcall c = { .op = OP_POLL, .p = ev };
		unsigned long gen;
		struct timespec ts;
		uint64_t now;

		pthread_mutex_lock(&t->svc.mu);
		gen = t->svc.ev_gen;
		pthread_mutex_unlock(&t->svc.mu);
		svc_call(t, &c);
		if (c.ret != 0 || vm_should_quit())
			return c.ret;
		now = vm_now_ns();
		if (now >= deadline)
			return 0;
		/* Sleep until an event is queued (or 10 ms, for the quit flag). */
		clock_gettime(CLOCK_REALTIME, &ts);
		now = deadline - now < 10000000u ? deadline - now : 10000000u;
		ts.tv_nsec += (long)now;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&t->svc.mu);
		if (t->svc.ev_gen == gen)
			pthread_cond_timedwait(&t->svc.cv, &t->svc.mu, &ts);
		pthread_mutex_unlock(&t->svc.mu);
	}
}

size_t tracer_pids(const struct tracer *t, pid_t *out, size_t max)
{
	struct tcall c = { .op = OP_PIDS, .p = out, .n = max };

	tcall_run((struct tracer *)t, &c);
	return c.nret;
}

bool tracer_is_launched(const struct tracer *t, pid_t pid)
{
	struct tcall c = { .op = OP_IS_LAUNCHED, .pid = pid };

	tcall_run((struct tracer *)t, &c);
	return c.ret;
}

void tracer_detach_all(struct tracer *t)
{
	struct tcall c = { .op = OP_DETACH_ALL };

	if (!t)
		return;
	tcall_run(t, &c);
}

int tracer_let_go(struct tracer *t)
{
	struct tcall c = { .op = OP_LET_GO };

	tcall_run(t, &c);
	return c.ret;
}

int tracer_reattach(struct tracer *t)
{
	struct tcall c = { .op = OP_REATTACH };

	tcall_run(t, &c);
	return c.ret;
}

int tracer_keep_exit(struct tracer *t, pid_t pid, bool keep)
{
	struct tcall c = { .op = OP_KEEP_EXIT, .pid = pid, .flag = keep };

	tcall_run(t, &c);
	return c.ret;
}

int tracer_call(struct tracer *t, int (*fn)(void *arg), void *arg)
{
	struct tcall c = { .op = OP_CALL, .fn = fn, .p = arg };

	if (!svc_remote(t))
		return fn(arg);
	svc_call(t, &c);
	return c.ret;
}

/* ---- messages ------------------------------------------------------------- */

static int yama_scope(void)
{
	char buf[16];
	ssize_t n;
	int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

static bool have_cap_sys_ptrace(void)
{
	char buf[8192], *p;

	if (proc_read(getpid(), "status", buf, sizeof(buf)) <= 0 ||
	    !(p = strstr(buf, "\nCapEff:")))
		return geteuid() == 0;
	/* CAP_SYS_PTRACE is capability 19 (linux/capability.h). */
	return (strtoull(p + 8, NULL, 16) >> 19) & 1;
}

static bool is_descendant(pid_t pid)
{
	pid_t self = getpid(), cur = pid;

	for (int depth = 0; cur > 1 && depth < 4096; depth++) {
		char st;
		pid_t pp = 0;

		if (stat_read(cur, &st, &pp, NULL) < 0)
			return false;
		if (pp == self)
			return true;
		cur = pp;
	}
	return false;
}

long long tracer_other(pid_t pid, pid_t *tid)
{
	long long tracer = status_field(pid, "TracerPid:");
	pid_t *tids;
	size_t ntids;

	*tid = pid;
	if (tracer > 0 && !tracer_is_us(tracer))
		return tracer;
	if (procfs_tids(pid, &tids, &ntids) < 0)
		return 0;
	tracer = 0;
	for (size_t i = 0; i < ntids && !tracer; i++) {
		long long tr = tids[i] == pid ? 0 : status_field(tids[i], "TracerPid:");

		if (tr > 0 && !tracer_is_us(tr)) {
			*tid = tids[i];
			tracer = tr;
		}
	}
	free(tids);
	return tracer;
}

/* A freeze timed out: name the thread in uninterruptible sleep (D), which
 * no PTRACE_INTERRUPT stops, and where it waits (wchan). */
static bool describe_dstate(pid_t pid, char *buf, size_t len)
{
	pid_t *tids;
	size_t n;
	bool found = false;

	if (procfs_tids(pid, &tids, &n) < 0)
		return false;
	for (size_t i = 0; i < n && !found; i++) {
		char file[48], wchan[64] = "", st = 0;
		pid_t pp;
		ssize_t w;

		if (stat_read(tids[i], &st, &pp, NULL) < 0 || st != 'D')
			continue;
		snprintf(file, sizeof(file), "task/%d/wchan", (int)tids[i]);
		w = proc_read(pid, file, wchan, sizeof(wchan));
		if (w <= 0 || strcmp(wchan, "0") == 0)
			wchan[0] = '\0';
		{
			char *e = escape_untrusted(wchan);

			snprintf(buf, len,
				 "thread %d of process %d is in uninterruptible sleep (D state%s%s) and did not stop within %d s: try again once it wakes",
				 (int)tids[i], (int)pid, e && *e ? ", in " : "", e && *e ? e : "",
				 STOP_TIMEOUT_MS / 1000);
			free(e);
		}
		found = true;
	}
	free(tids);
	return found;
}

void tracer_error_describe(pid_t pid, int err, char *buf, size_t len)
{
	char state = 0;
	bool exists = stat_read(pid, &state, NULL, NULL) == 0;
	const char *rel;
	long long tracer, uid;
	pid_t tid;
	int yama;

	if (err < 0)
		err = -err;
	if (err == EDEADLK && (rel = tracer_relation(pid))) {
		snprintf(buf, len, "refusing to trace process %d: it is %s", (int)pid, rel);
		return;
	}
	if (!exists) {
		snprintf(buf, len, "no such process: %d", (int)pid);
		return;
	}
	if ((state == 'Z' || state == 'X') && status_field(pid, "Threads:") <= 1) {
		snprintf(buf, len, "process %d is a zombie: it has exited and has no memory left to show",
			 (int)pid);
		return;
	}
	tracer = tracer_other(pid, &tid);
	if (tracer > 0 && (err == EBUSY || err == EPERM)) {
		char comm[64] = "", *e;
		ssize_t n = proc_read((pid_t)tracer, "comm", comm, sizeof(comm));

		if (n > 0 && comm[n - 1] == '\n')
			comm[n - 1] = '\0';
		e = escape_untrusted(comm);
		if (tid == pid)
			snprintf(buf, len,
				 "process %d is already traced by process %lld (%s): a process can have only one tracer",
				 (int)pid, tracer, e ? e : "?");
		else
			snprintf(buf, len,
				 "thread %d of process %d is already traced by process %lld (%s): a thread can have only one tracer",
				 (int)tid, (int)pid, tracer, e ? e : "?");
		free(e);
		return;
	}
	if (err == ESRCH) {
		snprintf(buf, len, "process %d exited, or its PID now names another process", (int)pid);
		return;
	}
	if (err == ETIMEDOUT && describe_dstate(pid, buf, len))
		return;
	if (err != EPERM && err != EACCES) {
		snprintf(buf, len, "cannot trace process %d: %s", (int)pid, strerror(err));
		return;
	}
	if (status_field(pid, "VmSize:") < 0 && state != 'Z') {
		snprintf(buf, len, "process %d is a kernel thread: it has no user address space",
			 (int)pid);
		return;
	}
	uid = -1;
	{
		char sbuf[8192];
		struct proc_status ps;
		ssize_t n = proc_read(pid, "status", sbuf, sizeof(sbuf));

		if (n > 0 && status_parse(sbuf, (size_t)n, &ps) == 0)
			uid = ps.uid[1]; /* effective uid */
	}
	yama = yama_scope();
	if (yama == 3) {
		snprintf(buf, len,
			 "cannot trace process %d: ptrace is disabled on this system (Yama ptrace_scope 3, until reboot)",
			 (int)pid);
		return;
	}
	if (!have_cap_sys_ptrace()) {
		if (uid >= 0 && (uid_t)uid != geteuid()) {
			snprintf(buf, len,
				 "process %d belongs to another user (uid %lld, you are uid %u): run vmatlas as root or as that user",
				 (int)pid, uid, (unsigned)geteuid());
			return;
		}
		if (yama == 2) {
			snprintf(buf, len,
				 "cannot trace process %d: Yama ptrace_scope is 2, only processes with CAP_SYS_PTRACE may attach (run vmatlas as root)",
				 (int)pid);
			return;
		}
		if (yama == 1 && !is_descendant(pid)) {
			snprintf(buf, len,
				 "cannot trace process %d: Yama ptrace_scope is 1, only its ancestors may attach (run vmatlas as root, or sysctl kernel.yama.ptrace_scope=0)",
				 (int)pid);
			return;
		}
		if (geteuid() == 0) {
			snprintf(buf, len,
				 "cannot trace process %d: vmatlas runs as root but without CAP_SYS_PTRACE (a container or capability bounding set removed it)",
				 (int)pid);
			return;
		}
		snprintf(buf, len,
			 "cannot trace process %d: it is not dumpable (setuid, or PR_SET_DUMPABLE 0) and tracing it needs CAP_SYS_PTRACE (run vmatlas as root)",
			 (int)pid);
		return;
	}
	snprintf(buf, len,
		 "permission denied tracing process %d even with CAP_SYS_PTRACE: refused by a security module, by lockdown, or because it is in a user namespace beyond vmatlas's CAP_SYS_PTRACE",
		 (int)pid);
}
