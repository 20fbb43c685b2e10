/* ptrace discipline in one place (strace's and gdb's handling):
 * PTRACE_SEIZE (never PTRACE_ATTACH), PTRACE_INTERRUPT when a stop is needed,
 * waitpid(__WALL), every thread of a process, and on every exit path a
 * process vmatlas attached to is left as it was found: running, or in
 * group-stop if it was stopped, and not traced. Only a program vmatlas
 * launched has PTRACE_O_EXITKILL and dies with it.
 *
 * Every function returns 0 or -errno unless said otherwise. */
#ifndef VMATLAS_TRACER_H
#define VMATLAS_TRACER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tracer;

enum {
	TRACER_FOLLOW = 1u << 0, /* TRACEFORK|VFORK|CLONE|EXEC|EXIT options */
	TRACER_THREAD = 1u << 1, /* answer stops from a thread of its own */
};

/* With TRACER_THREAD a service thread does every ptrace call (Linux lets
 * only the thread that attached ptrace a tracee): it sleeps until SIGCHLD
 * says a tracee stopped and answers at once, whatever the caller does
 * meanwhile. The calls below may then come from any thread; they run in
 * the service thread. It installs a SIGCHLD handler; one such tracer per
 * process. */
struct tracer *tracer_new(unsigned flags);
/* Detaches from everything still traced (tracer_detach_all), kills what
 * was launched, frees. */
void tracer_free(struct tracer *t);

/* Attach to every thread of PID (rescanning /proc/PID/task until stable;
 * threads that vanish are ignored) with PTRACE_SEIZE, without stopping it.
 * Refuses vmatlas itself and its own ancestors/tracer (-EDEADLK). When
 * PID's start time differs from EXPECT_START_TIME (if non-zero), -ESRCH
 * (the pid was reused). Errors are -ESRCH, -EPERM, -EBUSY (already traced),
 * ...; tracer_error_describe() turns them into a sentence. */
int tracer_attach(struct tracer *t, pid_t pid, unsigned long long expect_start_time);

/* Launch ARGV[0] (searched in PATH) traced from its first instruction after
 * exec, with PTRACE_O_EXITKILL. Returns 0 and *PID, stopped at the exec
 * event until tracer_resume(). */
int tracer_launch(struct tracer *t, char *const argv[], pid_t *pid);

/* The next tracer_launch() runs the program on terminal FD (a pty slave,
 * borrowed: pty_open), in a session of its own; -1: on vmatlas's own. */
void tracer_set_launch_tty(struct tracer *t, int fd);

/* Stop every thread of PID (PTRACE_INTERRUPT, wait for each stop), and let
 * them go again. Nested calls are counted. *stopped_ns (may be NULL) gets
 * how long the process was stopped, on thaw. A thread that does not stop
 * within 5 s (uninterruptible sleep) makes tracer_freeze fail with
 * -ETIMEDOUT, the others let go; -EINTR when a quit signal arrives. */
int tracer_freeze(struct tracer *t, pid_t pid);
int tracer_thaw(struct tracer *t, pid_t pid, unsigned long long *stopped_ns);
/* Whether PID is frozen now (tracer_freeze). */
bool tracer_is_frozen(const struct tracer *t, pid_t pid);
/* Stop thread TID of PID alone (the others run on), waiting up to
 * TIMEOUT_MS for it (-ETIMEDOUT: the thread is let go as soon as it
 * stops), and let it go again. Within a freeze, tracer_stop_thread only
 * says whether TID is stopped. */
int tracer_stop_thread(struct tracer *t, pid_t pid, pid_t tid, int timeout_ms);
void tracer_release_thread(struct tracer *t, pid_t pid, pid_t tid);
/* The registers of TID, which is in a ptrace-stop (PTRACE_GETREGSET). */
struct user_regs_struct;
int tracer_get_regs(struct tracer *t, pid_t tid, struct user_regs_struct *regs);
/* Continue a launched program stopped at its exec event. */
int tracer_resume(struct tracer *t, pid_t pid);

enum tracer_event_kind {
	TEV_NONE,
	TEV_FORK,   /* pid forked (or vforked) child */
	TEV_CLONE,  /* new thread child in pid's thread group */
	TEV_EXEC,   /* pid exec'd: its layout is new */
	TEV_EXIT,   /* pid is about to exit: memory still mapped, stopped
	             * until the next tracer_poll() */
	TEV_GONE,   /* pid is gone (exited, killed, or detached by a tracer) */
};

struct tracer_event {
	enum tracer_event_kind kind;
	pid_t pid;   /* the process (thread group leader) */
	pid_t child; /* TEV_FORK, TEV_CLONE */
	int status;  /* TEV_GONE: the wait status when known */
};

/* Handle pending ptrace stops without blocking longer than TIMEOUT_MS
 * (0: do not block): signal-delivery stops are continued with their
 * signal, group-stops are kept with PTRACE_LISTEN, event stops are
 * continued after being reported. Returns 1 with *EV filled, 0 when
 * nothing happened, or -errno (-EINTR when vm_should_quit()).
 * Call it regularly while attached: until it runs, a signal sent to the
 * target waits in a signal-delivery stop. Only traced tasks are waited
 * for; the caller's own untraced children are never reaped here.
 * New threads are always traced (so --freeze stops them too); TEV_CLONE,
 * TEV_FORK and TEV_EXIT are reported with TRACER_FOLLOW only. */
int tracer_poll(struct tracer *t, struct tracer_event *ev, int timeout_ms);

/* Hold PID at its exit stop until the next tracer_poll() (TEV_EXIT, for a
 * last picture) or not. Without TRACER_THREAD every followed process is
 * held; with it only those asked for, so that nobody else waits. */
int tracer_keep_exit(struct tracer *t, pid_t pid, bool keep);

/* Let every traced process go, as tracer_detach_all() does for attached
 * ones but without killing launched ones, remembering them; and attach
 * again to those still there with the same start time (TEV_GONE for the
 * others). For a tracer about to stop (SIGTSTP): nobody waits on it. */
int tracer_let_go(struct tracer *t);
int tracer_reattach(struct tracer *t);

/* Run FN(ARG) where ptrace calls work: in the service thread when there is
 * one (an unwinder reading registers of stopped tasks), else here. */
int tracer_call(struct tracer *t, int (*fn)(void *arg), void *arg);

/* Processes traced now (thread group leaders), in attach order. */
size_t tracer_pids(const struct tracer *t, pid_t *out, size_t max);
bool tracer_is_launched(const struct tracer *t, pid_t pid);
/* Made with TRACER_FOLLOW. */
bool tracer_follows(const struct tracer *t);

/* Detach from everything: each attached process is left running, or in
 * group-stop if it was stopped when found (or stopped while traced);
 * launched ones are killed. Safe to call more than once and after a
 * signal; never blocks indefinitely. */
void tracer_detach_all(struct tracer *t);

/* A sentence for an error from attaching to PID: no such process, zombie,
 * already traced by PID N (COMM), another user's process, missing
 * CAP_SYS_PTRACE, Yama ptrace_scope N, refusing to trace itself. */
void tracer_error_describe(pid_t pid, int err, char *buf, size_t len);

/* The tracer other than vmatlas of PID's leader or, failing that, of one of
 * its threads (strace -p TID traces a single thread), and that task in *TID;
 * 0 when there is none. */
long long tracer_other(pid_t pid, pid_t *tid);

#include "vmatlas/util.h" /* vm_should_quit */

#endif
