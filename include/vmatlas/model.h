/* vmatlas snapshot model: plain data filled by collectors (or by the
 * snapshot-file reader) and read by every front end through const pointers.
 * No output code, no ncurses, no /proc access lives here. */
#ifndef VMATLAS_MODEL_H
#define VMATLAS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Kinds of mapping, in the order the textbook draws them doesn't matter here;
 * vm_kind_name() gives the stable string used in every output. */
enum vm_kind {
	VK_TEXT,
	VK_RODATA,
	VK_DATA,
	VK_BSS,
	VK_HEAP,
	VK_STACK,
	VK_ANON,
	VK_FILE,
	VK_SHM,
	VK_VDSO,
	VK_VVAR,
	VK_VSYSCALL,
	VK_GUARD,    /* small no-access pages: a stack guard, an object's gap */
	VK_RESERVED, /* no-access address space set aside for later */
	VK_OTHER,
	VK__COUNT
};

const char *vm_kind_name(enum vm_kind k);
/* Returns the kind for NAME, or -1 (errno EINVAL) if unknown. */
int vm_kind_from_name(const char *name);

/* Per-page flags, one byte per page (only ever stored run-length encoded). */
enum {
	PG_PRESENT   = 1u << 0, /* pagemap bit 63 */
	PG_SWAPPED   = 1u << 1, /* pagemap bit 62 */
	PG_FILE      = 1u << 2, /* pagemap bit 61: file page or shared anon */
	PG_EXCLUSIVE = 1u << 3, /* pagemap bit 56: exclusively mapped */
	PG_SOFTDIRTY = 1u << 4, /* pagemap bit 55 */
	PG_ZERO      = 1u << 5, /* the shared zero page */
	PG_THP       = 1u << 6, /* part of a transparent or hugetlb huge page */
};

/* The primary state of a page, derived from its flags; used for "runs". */
enum vm_page_state {
	PS_NOT_PRESENT,
	PS_RESIDENT,   /* present, anonymous/private */
	PS_FILE,       /* present, file page or shared anon */
	PS_ZERO,       /* present, the zero page */
	PS_THP,        /* present, part of a huge page */
	PS_SWAPPED,
	PS__COUNT
};

const char *vm_page_state_name(enum vm_page_state s);
int vm_page_state_from_name(const char *name); /* -1 + EINVAL if unknown */
/* The state's letter in a runs string: n r f z h s (not_present, resident,
 * file, zero, thp, swapped); the state of a letter, or -1 + EINVAL. */
char vm_page_state_letter(enum vm_page_state s);
int vm_page_state_from_letter(int c);
enum vm_page_state vm_page_state_of(unsigned flags);

/* Eight bytes a run: a process's runs are what its model holds most of
 * (ten million runs: 80 MB). GCC computes in 56 bits with count, even
 * against a uint64_t: fine for counts of pages and their bytes (user space
 * is below 2^56 bytes); convert it first for anything larger. */
struct vm_page_run {
	uint64_t count : 56; /* at most VM_RUN_MAX pages */
	uint64_t flags : 8;  /* PG_* of every page in the run */
};
#define VM_RUN_MAX ((1ULL << 56) - 1)

/* Which of the counts below are known (the rest are left out of outputs). */
enum {
	PC_EXCLUSIVE = 1u << 0,
	PC_FILE      = 1u << 1,
	PC_SOFTDIRTY = 1u << 2,
	PC_THP       = 1u << 3,
	PC_ZERO      = 1u << 4,
};

struct vm_page_counts {
	uint64_t total, resident, swapped, not_present;
	uint64_t exclusive, file_or_shared, soft_dirty, thp, zero;
	unsigned known; /* PC_* */
};

struct vm_section {
	char *name;          /* owned */
	uint64_t start, end; /* target addresses, clipped to the mapping */
};

/* Why a mapped file was not read (its mapping then typed from its
 * permissions): its mount is FUSE, NFS, CIFS or like (read only when
 * asked), or it did not answer in time. */
enum vm_unread { VU_READ, VU_REMOTE, VU_TIMEOUT };
const char *vm_unread_name(enum vm_unread u); /* NULL for VU_READ */
int vm_unread_from_name(const char *name);    /* -1 when unknown */

struct vm_mapping {
	uint64_t start, end, offset;
	unsigned dev_major, dev_minor;
	uint64_t inode;
	char perms[5];       /* "rwxp" as in /proc/PID/maps */
	char *path;          /* owned; "" for anonymous; as the kernel printed it
			      * (it writes a newline in a name as "\012") */
	bool deleted;        /* the kernel appended " (deleted)" */
	enum vm_kind kind;
	enum vm_unread unread; /* the file was left unread: kind from perms */
	struct vm_page_counts pages;
	struct vm_page_run *runs; /* owned; NULL unless per-page runs were asked */
	size_t nruns;
	struct vm_section *sections; /* owned; may be NULL */
	size_t nsections;
	char *extra;         /* owned, NULL: members of a read file this vmatlas
			      * does not know, as compact JSON, written back */
};

/* mm_struct boundaries from /proc/PID/stat (fields 26-28, 45-51). */
struct vm_mm {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	bool valid; /* false when the kernel hid them (no permission) */
};

struct vm_kind_totals {
	uint64_t virtual_kb, resident_kb, swapped_kb;
};

struct vm_totals {
	uint64_t virtual_kb, resident_kb, swapped_kb;
	struct vm_kind_totals by_kind[VK__COUNT];
};

struct vm_frame {
	uint64_t pc;
	char *symbol;  /* owned, may be NULL */
	uint64_t offset;
	char *object;  /* owned, may be NULL */
	bool guessed;  /* a frame below had no unwind information: found by
			* following frame pointers, maybe wrong */
	char *source_file;    /* owned: from the line table, or NULL */
	unsigned source_line; /* valid with source_file */
};

/* Why a backtrace ends. */
/* Frames per thread at most (collect/stacks.c). */
#define STACKS_MAX_DEPTH 256
/* How long the unwinder waits for one thread to stop before passing it over. */
#define STACKS_STOP_TIMEOUT_MS 200

enum vm_unwind_end {
	UNWIND_END_OUTERMOST, /* the outermost frame: the whole stack */
	UNWIND_END_DEPTH,     /* STACKS_MAX_DEPTH frames: more follow */
	UNWIND_END_NO_INFO,   /* the last frame's code has no unwind information
			       * and no frame pointer chain (JIT code) */
	UNWIND_END_NO_PROGRESS, /* a loop or a corrupt stack */
	UNWIND_END_BUDGET,    /* the walk used up its steps or its time (a
			       * malformed or hostile unwind table) */
	/* No frames, and why: */
	UNWIND_END_PENDING,     /* not unwound yet (the live screen's round
				 * has not reached it) */
	UNWIND_END_NOT_STOPPED, /* it did not stop in time (uninterruptible
				 * sleep): passed over */
	UNWIND_END_GONE,        /* it ended, or its registers could not be read */
};

struct vm_thread {
	pid_t tid;
	char *name;    /* owned */
	char state;
	uint64_t sp;
	struct vm_frame *frames; /* owned */
	size_t nframes;
	enum vm_unwind_end end;
};
/* Frees what T owns and zeroes it. */
void vm_thread_fini(struct vm_thread *t);
/* "depth", "no_unwind_info", "no_progress", "budget", "pending",
 * "not_stopped", "gone"; NULL for UNWIND_END_OUTERMOST. */
const char *vm_unwind_end_name(enum vm_unwind_end e);
/* The enum value of such a name; -1 (errno EINVAL) for any other. */
int vm_unwind_end_from_name(const char *name);
/* The sentence the text outputs print after a cut backtrace; NULL for
 * UNWIND_END_OUTERMOST. */
const char *vm_unwind_end_note(enum vm_unwind_end e);

struct vm_process {
	pid_t pid, ppid;
	char state;          /* from /proc/PID/stat */
	uint64_t start_time; /* clock ticks since boot, /proc/PID/stat field 22 */
	uid_t uid;
	char *comm;          /* owned */
	char *exe;           /* owned, may be NULL (no permission, kernel thread) */
	char **cmdline;      /* owned, ncmdline strings */
	size_t ncmdline;
	struct vm_mm mm;
	struct vm_mapping *maps; /* owned, sorted by start, not overlapping */
	size_t nmaps;
	struct vm_totals totals;
	struct vm_thread *threads; /* owned; NULL unless stacks were asked */
	size_t nthreads;
	char *extra;         /* owned, NULL: as vm_mapping.extra */
};

struct vm_host {
	char kernel[65];      /* uname release */
	char machine[65];     /* uname machine */
	long page_size;
	bool pfn_visible;
	uint64_t swap_total_kb;
	bool swap_total_known;
};

/* Copy-on-write comparison of a parent/child pair (or any two processes
 * that share an ancestor's pages), per mapping at the same address. */
struct vm_cow_counts {
	uint64_t shared, diverged, parent_only, child_only, neither;
};

struct vm_cow_mapping {
	uint64_t start, end;  /* the compared range (same start in both) */
	char *path;           /* owned, as in the parent's maps */
	enum vm_kind kind;
	struct vm_cow_counts counts;
	struct vm_page_run *runs; /* owned; flags is the page's enum cow_state
				   * (vmatlas/pagemap.h); NULL unless asked */
	size_t nruns;
};

/* How the two processes of a pair are related (by /proc's parent links). */
enum vm_cow_relation {
	COW_REL_CHILD,      /* the child's parent is the parent */
	COW_REL_DESCENDANT, /* the parent is a further ancestor of the child */
	COW_REL_ANCESTOR,   /* the other way round: the "child" is an ancestor */
	COW_REL_KIN,        /* both descend from one ancestor (not pid 1) */
	COW_REL_UNRELATED,  /* neither: nothing copy-on-write ties them */
};
/* "child", "descendant", "ancestor", "kin", "unrelated". */
const char *vm_cow_relation_name(enum vm_cow_relation r);

struct vm_cow_pair {
	pid_t parent, child;
	enum vm_cow_relation relation;
	pid_t ancestor;       /* the common ancestor, for COW_REL_KIN */
	bool pfn;             /* PFNs compared; false: exclusive-bit estimate */
	struct vm_cow_mapping *maps; /* owned */
	size_t nmaps;
	struct vm_cow_counts totals;
};

/* A family of processes (a root and its descendants) and where its memory
 * goes (collect/family.c). kB everywhere; pages * page size / 1024. */
struct vm_family_proc {
	pid_t pid, ppid;
	unsigned depth;      /* 0 for a root, 1 for its children... */
	char *comm;          /* owned */
	char *title;         /* owned: the command line as ps shows it */
	/* From /proc/PID/smaps_rollup: the kernel's own numbers. */
	uint64_t rss_kb, pss_kb, uss_kb, swap_kb, swap_pss_kb;
	bool has_parent;     /* its parent is in the family: the next two count */
	uint64_t shared_kb;  /* same physical page (or swap entry) at the same
			      * address as in its parent */
	uint64_t diverged_kb; /* both have the page, each its own copy */
};

/* One member's pages in one mapping of the root, against the root's. */
struct vm_family_share {
	pid_t pid;
	uint64_t shared_kb, diverged_kb;
};

struct vm_family_mapping {
	uint64_t start, end;  /* the root's mapping */
	char *path;           /* owned */
	enum vm_kind kind;
	struct vm_family_share *procs; /* owned: the members that have it */
	size_t nprocs;
};

struct vm_family {
	pid_t root;
	bool pfn;             /* PFNs compared; false: the exclusive-bit estimate */
	uint64_t footprint_kb; /* every resident physical page once */
	uint64_t rss_sum_kb;  /* the members' RSS added up */
	uint64_t *sharing_kb; /* owned: [k - 1] resident memory mapped by exactly
			       * k of the family's processes, k = 1..nsharing */
	size_t nsharing;
	struct vm_family_proc *procs; /* owned, in tree order */
	size_t nprocs;
	struct vm_family_mapping *maps; /* owned: the root's mappings that a
					 * member has, by address */
	size_t nmaps;
};

struct vm_snapshot {
	struct timespec taken_at; /* CLOCK_REALTIME */
	struct vm_host host;
	struct vm_process *procs; /* owned */
	size_t nprocs;
	struct vm_cow_pair *cows; /* owned; may be NULL */
	size_t ncows;
	bool live;             /* taken from a running process (non-atomic) */
	double frozen_ms;      /* >= 0 when taken with --freeze */
	struct vm_family *family; /* owned; may be NULL */
	char *trigger;         /* owned, NULL: what took it in a launch or a
				* timeline ("exit", "interval") */
	pid_t trigger_pid;     /* the process the trigger is about; 0: none */
	char *generator;       /* owned, NULL: this vmatlas; a read file keeps
				* the name of the one that wrote it */
	char *extra;           /* owned, NULL: as vm_mapping.extra */
};

/* Allocation helpers; _free on NULL is a no-op. */
void vm_mapping_fini(struct vm_mapping *m);
void vm_process_fini(struct vm_process *p);
void vm_cow_pair_fini(struct vm_cow_pair *c);
void vm_family_fini(struct vm_family *f);
void vm_snapshot_free(struct vm_snapshot *s);

/* Recompute p->totals from p->maps. */
void vm_process_compute_totals(struct vm_process *p, long page_size);

/* Append one page-flags run, merging with the last one. 0 or -ENOMEM. */
int vm_runs_append(struct vm_page_run **runs, size_t *nruns, size_t *cap,
		   uint8_t flags, uint64_t count);

/* P's command line as ps shows it (arguments joined by spaces), or
 * "[comm]" when it has none, into OUT (LEN bytes); not escaped. */
void vm_process_title(const struct vm_process *p, char *out, size_t len);

/* Index of the mapping containing ADDR, or -1. Binary search. */
ssize_t vm_process_find(const struct vm_process *p, uint64_t addr);

/* Which stack the stack pointer SP of a thread of P lies in: "main" (the
 * kernel's [stack]), "goroutine" (anonymous memory of a Go program: its
 * heap arenas hold goroutine stacks), "thread" (a mapping with a guard
 * right below it, as a thread library makes), "heap" ([heap]), "anon"
 * (other anonymous memory: a coroutine's, a signal stack), or NULL (no
 * mapping). *MAP gets the mapping's index when not NULL. */
const char *vm_process_sp_place(const struct vm_process *p, uint64_t sp,
				ssize_t *map);
/* PLACE in words: "main stack", "thread stack", "goroutine stack (Go
 * heap)", "stack in the heap", "stack in anonymous memory". */
const char *vm_sp_place_phrase(const char *place);

/* Pages counted in C. */
uint64_t vm_cow_counts_total(const struct vm_cow_counts *c);
/* "pfn" or "exclusive-bit", as every output states a pair's precision. */
const char *vm_cow_pair_precision(const struct vm_cow_pair *c);

/* What an output of the model includes (json.h, render.h). */
enum {
	OUT_PAGES = 1u << 0,    /* include per-page runs */
	OUT_SECTIONS = 1u << 1, /* text: ELF sections under each mapping */
};

#endif
