/* Parsers of /proc text files. Each parser takes a buffer, never a pid, so
 * tests and fuzzers feed it text directly; procfs_read_file() is the only
 * place that opens /proc. All return 0 or -errno. */
#ifndef VMATLAS_PROCFS_H
#define VMATLAS_PROCFS_H

#include <stdio.h>
#include "vmatlas/model.h"

/* Parse the text of /proc/PID/maps (LEN bytes, need not be NUL-terminated)
 * into a newly allocated array of mappings (kind left as VK_OTHER, counts
 * zero). Paths stay as the kernel printed them, except that a trailing
 * " (deleted)" is removed and sets `deleted`. -EINVAL on a malformed,
 * unsorted or overlapping line; *bad_line gets its 1-based number and *out
 * is left untouched. An empty buffer gives *out = NULL, *nout = 0. */
int maps_parse(const char *buf, size_t len, struct vm_mapping **out,
	       size_t *nout, size_t *bad_line);

/* Fields of /proc/PID/stat that vmatlas uses. comm may hold anything the
 * process set, including ')' and newlines: the parser finds the last ')'.
 * mm.valid is false (and mm all zero) when the kernel hid the boundaries
 * (no ptrace-read access), the task has no mm, or the kernel predates the
 * fields 45-51 (Linux 3.3); mm.brk is never set (it is not in stat). */
struct proc_stat {
	char comm[64];
	char state;
	pid_t ppid;
	uint64_t start_time;
	uint64_t vsize;
	uint64_t minflt, majflt; /* fields 10, 12: faults counted so far */
	struct vm_mm mm;
};
int stat_parse(const char *buf, size_t len, struct proc_stat *out);
/* Read and parse /proc/PID/stat. 0 or -errno. */
int procfs_read_stat(pid_t pid, struct proc_stat *out);

/* Fields of /proc/PID/status. */
struct proc_status {
	char name[64];
	char state;
	pid_t tgid, ppid, tracer_pid;
	uid_t uid[4];
	uint64_t vm_rss_kb, vm_swap_kb;
	bool has_mm; /* VmSize present: not a kernel thread or zombie */
};
int status_parse(const char *buf, size_t len, struct proc_status *out);

/* Split NUL-separated /proc/PID/cmdline into owned strings; *argv has a
 * NULL after the last one. An empty buffer gives 0 arguments. */
int cmdline_parse(const char *buf, size_t len, char ***argv, size_t *argc);
/* The command line in BUF (LEN bytes of /proc/PID/cmdline) as ps shows it,
 * into OUT (at most OUTLEN - 1 bytes, NUL-terminated, not escaped): each
 * NUL a space, trailing NULs dropped. Returns its length (0: empty, as for
 * a kernel thread or a zombie). */
size_t cmdline_title(const char *buf, size_t len, char *out, size_t outlen);
/* PID's command line as cmdline_title makes it; 0 or -errno (-ENOENT when
 * it is empty). */
int procfs_title(pid_t pid, char *out, size_t outlen);

/* Append the pids of /proc/PID/task/TID/children text (blank-separated
 * decimal pids) to *PIDS (*N entries, *CAP allocated; grown with realloc).
 * -EINVAL on anything else than pids. */
int children_parse(const char *buf, size_t len, pid_t **pids, size_t *n, size_t *cap);
/* The children of every thread of PID (Linux 3.5+, CONFIG_PROC_CHILDREN),
 * as children_parse() gives them. -ESRCH when PID is gone, -ENOENT when
 * the kernel lacks the files. */
int procfs_children(pid_t pid, pid_t **pids, size_t *n, size_t *cap);

/* The thread ids of PID (/proc/PID/task), ascending, in a new array *TIDS
 * of *N. -ESRCH when the process is gone. */
int procfs_tids(pid_t pid, pid_t **tids, size_t *n);

/* The task through which PID's memory is read: PID, or when its main
 * thread has exited (pthread_exit; for a moment during an exec by another
 * thread) while others run, the first of those; the leader is then a
 * zombie whose /proc/PID/maps is empty. -ESRCH when no thread runs. */
pid_t procfs_main_tid(pid_t pid);

/* Is /proc of vmatlas's own PID namespace? Mounted for another (a
 * container's, entered with its mount namespace only), its PID N is not
 * the process ptrace and kill call N. 0, or -EXDEV with a sentence in MSG
 * saying where to run vmatlas. */
int procfs_check_namespace(char *msg, size_t len);

/* Is any swap in use on the host (/proc/meminfo: SwapTotal above
 * SwapFree)? True when it cannot be told. */
bool procfs_swap_in_use(void);

/* Read a whole /proc file into a malloc'd buffer (NUL-terminated, *len
 * without it), up to MAX bytes (-EFBIG beyond). */
int procfs_read_file(const char *path, size_t max, char **buf, size_t *len);

/* Collect a process: maps, stat, status, cmdline, exe, comm; no pages.
 * Returns -ESRCH (no such process, it exited, or it has no memory map),
 * -EACCES/-EPERM, ... On error *p is finalised except p->state: 'Z' for a
 * zombie, the state last read for a task without mm (kernel thread), 0 if
 * the process was not found. */
int procfs_collect(pid_t pid, struct vm_process *p);
/* The same through thread TID of PID (/proc/PID/task/TID), for a process
 * whose main thread has exited (procfs_main_tid). */
int procfs_collect_task(pid_t pid, pid_t tid, struct vm_process *p);

#endif
