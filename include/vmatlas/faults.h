/* Page faults of processes as they happen, recorded with perf_event_open:
 * the exceptions:page_fault_user/_kernel tracepoints (their x86 error code
 * says present or not, write, instruction fetch) give the class, the
 * page-faults-min/-maj software events the faults the kernel counted in
 * /proc/PID/stat (minflt, majflt). The target never waits: the kernel
 * writes the events into ring buffers that are read afterwards. */
#ifndef VMATLAS_FAULTS_H
#define VMATLAS_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmatlas/model.h"

enum fault_type {
	FT_FIRST_TOUCH, /* not present, anonymous, never touched: demand-zero */
	FT_FILE,        /* not present, file-backed or shared memory */
	FT_SWAP_IN,     /* not present, anonymous, swapped out */
	FT_COW,         /* write to a present page of a private mapping */
	FT_OTHER,       /* anything else (write-protect, NUMA hinting, ...) */
	FT__COUNT
};
/* "first_touch", "file", "swap_in", "cow", "other". */
const char *fault_type_name(enum fault_type t);

struct fault_opts {
	bool follow_forks; /* descendants too, existing and new */
	unsigned sample;   /* record every Nth fault; 0 or 1: every one */
	bool callchains;   /* user call chains (frame pointers) */
	bool on_exec;      /* start at the targets' next exec (a launched program) */
};

/* Per process: the faults the kernel counted, as recorded; and the change
 * of minflt + majflt in /proc/PID/stat over the window when known. */
struct fault_proc {
	pid_t pid, ppid;  /* ppid: the traced parent of a followed child, else 0 */
	char *comm;       /* owned, as the process named itself */
	uint64_t faults, minor, major;
	uint64_t by_type[FT__COUNT];
	uint64_t kernel_delta;
	bool kernel_known; /* the process was alive at both ends */
	bool exited;
};

struct fault_mapping {
	pid_t pid;
	uint64_t start, end;
	enum vm_kind kind;
	char *path;       /* owned, "" for anonymous, as in maps */
	bool deleted;
	uint64_t faults, by_type[FT__COUNT];
};

/* A caller in a call chain, named like the faulting function. */
struct fault_frame {
	uint64_t pc;
	char *symbol;     /* owned, or NULL */
	uint64_t offset;
	char *object;     /* owned, or NULL */
};

struct fault_code {
	pid_t pid;
	uint64_t ip;      /* the faulting instruction */
	char *symbol;     /* owned, or NULL when no symbol covers ip */
	uint64_t offset;  /* ip - symbol */
	char *object;     /* owned: the object's path, "[kernel]", or NULL */
	enum fault_type type;
	uint64_t count;
	struct fault_frame *callers; /* owned, innermost first (--callchains) */
	size_t ncallers;
	bool chain_cut;   /* the chain ends where frame pointers are missing */
};

struct fault_report {
	double duration_s;
	unsigned sample;         /* 1: every fault; N: counts are samples x N */
	struct fault_proc *procs; /* owned */
	size_t nprocs;
	uint64_t faults, minor, major, by_type[FT__COUNT];
	uint64_t unclassified;   /* counted, but the trap's event was not seen:
				  * in by_type "other" */
	uint64_t uncounted;      /* traps the kernel did not count: retried
				  * after a signal, or failed (SIGSEGV) */
	uint64_t lost;           /* events the kernel dropped (buffer full) */
	struct fault_mapping *maps; /* owned, most faults first */
	size_t nmaps;
	struct fault_code *code;    /* owned, highest count first */
	size_t ncode;
};
void fault_report_fini(struct fault_report *r);

struct faults;

/* Open the events on every thread of PIDS (N of them), and of their
 * descendants with o->follow_forks; nothing is recorded before
 * faults_start() (or the exec, with o->on_exec). -EACCES/-EPERM when not
 * permitted (faults_refusal() says why), -ENOENT when the kernel has no
 * page_fault_user tracepoint, -ESRCH when a process is gone. */
int faults_open(const pid_t *pids, size_t n, const struct fault_opts *o,
		struct faults **out);
/* Read the kernel's counters and start recording. 0 or -errno. */
int faults_start(struct faults *f);
/* Wait up to TIMEOUT_MS for events, then read and classify what the
 * buffers hold. 0 or -errno. */
int faults_poll(struct faults *f, int timeout_ms);
/* Stop recording, read the rest and the kernel's counters. 0 or -errno. */
int faults_stop(struct faults *f);
/* The report so far (symbols resolved now). 0 or -ENOMEM. */
int faults_report(struct faults *f, struct fault_report *r);
/* Page addresses of PID in [START, END) that faulted since the last call
 * (for the Pages view), sorted, in a new array. 0 or -ENOMEM. */
int faults_take_pages(struct faults *f, pid_t pid, uint64_t start, uint64_t end,
		      uint64_t **pages, size_t *n);
void faults_close(struct faults *f);

/* The sentence saying why recording was refused (ERR a -errno from
 * faults_open): root or kernel.perf_event_paranoid, and its value. */
void faults_refusal(int err, char *buf, size_t len);

#endif
