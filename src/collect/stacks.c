/* Backtraces from each object's unwind information: libdw reads the call
 * frame information (.eh_frame, with or without .eh_frame_hdr, and
 * .debug_frame, also from a separate debug file); the DWARF expressions
 * in it are evaluated here, with a budget. Frame pointers are followed
 * only below a frame that has no unwind information, and those frames are
 * marked guessed. Symbols come from vmatlas's own tables (symbols.c),
 * source lines from the line tables (dwinfo.c).
 *
 * A thread is stopped only to copy what unwinding needs: its registers
 * and the used part of its stack. It is let go at once and unwound from
 * the copy afterwards, so that no unwind table, however crafted, and no
 * symbol or debug file keeps the target stopped. One thread is stopped at
 * a time, unless the caller froze the whole process (--freeze). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "vmatlas/dwinfo.h"
#include "vmatlas/procfs.h"
#include "vmatlas/stacks.h"
#include "vmatlas/symbols.h"
#include "vmatlas/tracer.h"
#include "vmatlas/util.h"

#define STACKS_MAX_THREADS 65536
/* Stack bytes copied per thread, above the stack pointer; what lies
 * beyond is read from the running process. */
#define STACK_COPY_MAX (256u * 1024)
/* A frozen process's threads are copied all at once: the copies share
 * this much, each at least STACK_COPY_MIN. */
#define STACK_COPY_TOTAL (64u << 20)
#define STACK_COPY_MIN (16u * 1024)
/* Below the stack pointer: the x86-64 red zone. */
#define STACK_RED_ZONE 128u
/* A thread's unwind: DWARF operations and memory reads, and time (not
 * counting the first reading of an object's tables). */
#define UNWIND_STEP_BUDGET 200000
#define UNWIND_TIME_BUDGET_NS (1000 * 1000000ull)
/* How long to wait for one thread to stop before going on without it. */
/* The live screen: one slice of unwinding per refresh, at most; the
 * target stopped at most STOP_SHARE of the wall time and vmatlas busy
 * unwinding at most BUSY_SHARE of it. */
#define SLICE_NS (50 * 1000000ull)
#define STOP_SHARE 0.02
#define BUSY_SHARE 0.25

/* DWARF register numbers (x86-64 psABI, figure 3.36). */
enum { R_RAX, R_RDX, R_RCX, R_RBX, R_RSI, R_RDI, R_RBP, R_RSP,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15, R_RA, NREGS };

struct regs {
	uint64_t r[NREGS];
	uint32_t valid; /* bit N: r[N] is known */
};

/* What is copied from a stopped thread. */
struct capture {
	struct regs regs;
	uint64_t base;   /* target address of buf[0] */
	size_t len;
	uint8_t *buf;    /* owned */
	uint64_t stopped_ns;
	bool ok;
};

struct stacks_ctx {
	struct dwinfo *dw;
	/* The live screen's last backtraces, by thread (sorted by tid), and
	 * where its round over the threads goes on. */
	struct vm_thread *kept;
	size_t nkept;
	pid_t kept_pid;
	pid_t next_tid;
	uint64_t not_before;
	uint64_t stopped_ns, busy_ns; /* totals, for the tests and the view */
	/* Copies taken in a frozen process, unwound by stacks_finish. */
	struct pending {
		pid_t pid;
		struct capture *caps; /* owned, one per thread of the process */
		size_t n;
	} *pend;
	size_t npend;
};

struct stacks_ctx *stacks_ctx_new(void)
{
	struct stacks_ctx *u = calloc(1, sizeof(*u));

	if (u && !(u->dw = dwinfo_new())) {
		free(u);
		u = NULL;
	}
	if (!u)
		errno = ENOMEM;
	return u;
}

static void threads_free(struct vm_thread *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vm_thread_fini(&v[i]);
	free(v);
}

static void pending_free(struct pending *pd)
{
	for (size_t i = 0; i < pd->n; i++)
		free(pd->caps[i].buf);
	free(pd->caps);
	memset(pd, 0, sizeof(*pd));
}

void stacks_ctx_free(struct stacks_ctx *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->npend; i++)
		pending_free(&u->pend[i]);
	free(u->pend);
	dwinfo_free(u->dw);
	threads_free(u->kept, u->nkept);
	free(u);
}

/* ---- threads ------------------------------------------------------------- */

/* Name and state of thread TID of PID, read before the process is
 * stopped: the state is reported as found. */
static int thread_read(pid_t pid, struct vm_thread *th)
{
	char path[96], *buf = NULL;
	struct proc_stat st;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)th->tid);
	r = procfs_read_file(path, 1 << 16, &buf, &len);
	if (r < 0)
		return r;
	r = stat_parse(buf, len, &st);
	free(buf);
	if (r < 0)
		return r;
	th->state = st.state;
	th->name = strdup(st.comm);
	return th->name ? 0 : -ENOMEM;
}

/* The threads of PID, sorted by id. */
static int threads_list(pid_t pid, struct vm_thread **out, size_t *nout)
{
	struct vm_thread *v;
	pid_t *tids;
	size_t n = 0, ntids;
	int r = procfs_tids(pid, &tids, &ntids);

	if (r < 0)
		return r;
	if (ntids > STACKS_MAX_THREADS)
		ntids = STACKS_MAX_THREADS;
	v = calloc(ntids ? ntids : 1, sizeof(*v));
	if (!v) {
		free(tids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ntids; i++) {
		v[n].tid = tids[i];
		v[n].end = UNWIND_END_PENDING;
		r = thread_read(pid, &v[n]);
		if (r == -ENOMEM)
			break;
		if (r < 0) { /* gone meanwhile */
			vm_thread_fini(&v[n]);
			r = 0;
			continue;
		}
		n++;
	}
	free(tids);
	if (r < 0) {
		threads_free(v, n + 1 <= ntids ? n + 1 : n);
		return r;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* ---- copying a stopped thread --------------------------------------------- */

static bool regs_from_user(const struct user_regs_struct *u, struct regs *rg)
{
#if defined(__x86_64__)
	const uint64_t v[NREGS] = {
		u->rax, u->rdx, u->rcx, u->rbx, u->rsi, u->rdi, u->rbp, u->rsp,
		u->r8, u->r9, u->r10, u->r11, u->r12, u->r13, u->r14, u->r15, u->rip,
	};

	memcpy(rg->r, v, sizeof(v));
	rg->valid = (1u << NREGS) - 1;
	return true;
#else
	(void)u;
	(void)rg;
	return false;
#endif
}

/* Copy the stack of the thread whose registers are in C, from just below
 * its stack pointer up to the end of its mapping (at most
 * STACK_COPY_MAX bytes above it). */
static void stack_copy(const struct vm_process *p, struct capture *c, size_t max)
{
	uint64_t sp = c->regs.r[R_RSP], lo, hi;
	ssize_t i = vm_process_find(p, sp), got;
	struct iovec local, remote;

	/* A stack is anonymous memory: a stack pointer in a file mapping is
	 * not copied while the thread is stopped (a read there can wait on
	 * its file system); reads go to the running process instead. */
	if (i < 0 || p->maps[i].inode != 0)
		return;
	lo = sp - STACK_RED_ZONE < p->maps[i].start || sp < STACK_RED_ZONE ?
	     p->maps[i].start : sp - STACK_RED_ZONE;
	hi = p->maps[i].end - sp > max ? sp + max : p->maps[i].end;
	if (hi <= lo || !(c->buf = malloc(hi - lo)))
		return;
	local = (struct iovec){ c->buf, hi - lo };
	remote = (struct iovec){ (void *)(uintptr_t)lo, hi - lo };
	got = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
	if (got <= 0) {
		free(c->buf);
		c->buf = NULL;
		return;
	}
	c->base = lo;
	c->len = (size_t)got;
}

/* Stop thread TID (unless FROZEN: the process is stopped already), copy
 * its registers and stack into C, let it go. */
static int capture_thread(struct tracer *t, const struct vm_process *p,
			  pid_t tid, bool frozen, size_t max, struct capture *c)
{
	struct user_regs_struct u;
	uint64_t t0 = vm_now_ns();
	int r = 0;

	memset(c, 0, sizeof(*c));
	if (!frozen)
		r = tracer_stop_thread(t, p->pid, tid, STACKS_STOP_TIMEOUT_MS);
	if (r < 0)
		return r;
	r = tracer_get_regs(t, tid, &u);
	if (r == 0 && regs_from_user(&u, &c->regs)) {
		stack_copy(p, c, max);
		c->ok = true;
	}
	if (!frozen)
		tracer_release_thread(t, p->pid, tid);
	c->stopped_ns = vm_now_ns() - t0;
	return r;
}

/* ---- unwinding from the copy ------------------------------------------------ */

struct walk {
	const struct capture *c;
	pid_t pid;
	long steps;        /* left */
	uint64_t deadline;
	bool over;         /* the budget ran out */
};

static bool walk_spend(struct walk *w)
{
	if (w->over)
		return false;
	if (--w->steps < 0 || ((w->steps & 1023) == 0 && vm_now_ns() > w->deadline))
		w->over = true;
	return !w->over;
}

/* 8 bytes at A: from the copied stack, else from the process (which runs:
 * only what does not change, such as code and read-only data, is read
 * right that way). */
static bool mem_read(struct walk *w, uint64_t a, uint64_t *v)
{
	const struct capture *c = w->c;
	struct iovec local = { v, 8 }, remote = { (void *)(uintptr_t)a, 8 };

	if (!walk_spend(w))
		return false;
	if (a >= c->base && a - c->base <= c->len && c->len - (a - c->base) >= 8) {
		memcpy(v, c->buf + (a - c->base), 8);
		return true;
	}
	return process_vm_readv(w->pid, &local, 1, &remote, 1, 0) == 8;
}

static bool reg_get(const struct regs *rg, uint64_t n, uint64_t *v)
{
	if (n >= NREGS || !(rg->valid & (1u << n)))
		return false;
	*v = rg->r[n];
	return true;
}

#define EXPR_STACK 64

/* Evaluate the DWARF expression OPS[NOPS] of a CFI rule in frame FR with
 * registers RG: *OUT is its value, *IS_VALUE false when it is a location
 * (the caller reads memory there). Every operation costs a step of W; a
 * branch may go backwards, so only the budget ends a loop. 0 or -1. */
static int expr_eval(struct walk *w, Dwarf_Frame *fr, const struct regs *rg,
		     const Dwarf_Op *ops, size_t nops, bool nested,
		     uint64_t *out, bool *is_value)
{
	uint64_t st[EXPR_STACK], a, b, c;
	size_t sp = 0;

	*is_value = false;
	/* A register rule "in register N" (DW_CFA_register). */
	if (nops == 1 && ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31) {
		*is_value = true;
		return reg_get(rg, ops[0].atom - DW_OP_reg0, out) ? 0 : -1;
	}
	if (nops == 1 && ops[0].atom == DW_OP_regx) {
		*is_value = true;
		return reg_get(rg, ops[0].number, out) ? 0 : -1;
	}
#define PUSH(x) do { uint64_t v_ = (x); if (sp == EXPR_STACK) return -1; st[sp++] = v_; } while (0)
#define POP(x) do { if (sp == 0) return -1; (x) = st[--sp]; } while (0)
	for (size_t i = 0; i < nops; i++) {
		const Dwarf_Op *op = &ops[i];

		if (!walk_spend(w))
			return -1;
		switch (op->atom) {
		case DW_OP_lit0 ... DW_OP_lit31:
			PUSH(op->atom - DW_OP_lit0);
			break;
		case DW_OP_addr: case DW_OP_const1u: case DW_OP_const1s:
		case DW_OP_const2u: case DW_OP_const2s: case DW_OP_const4u:
		case DW_OP_const4s: case DW_OP_const8u: case DW_OP_const8s:
		case DW_OP_constu: case DW_OP_consts:
			PUSH(op->number);
			break;
		case DW_OP_breg0 ... DW_OP_breg31:
			if (!reg_get(rg, op->atom - DW_OP_breg0, &a))
				return -1;
			PUSH(a + op->number);
			break;
		case DW_OP_bregx:
			if (!reg_get(rg, op->number, &a))
				return -1;
			PUSH(a + op->number2);
			break;
		case DW_OP_dup:
			if (sp == 0)
				return -1;
			a = st[sp - 1];
			PUSH(a);
			break;
		case DW_OP_drop:
			POP(a);
			break;
		case DW_OP_over:
			if (sp < 2)
				return -1;
			a = st[sp - 2];
			PUSH(a);
			break;
		case DW_OP_pick:
			if (op->number >= sp)
				return -1;
			a = st[sp - 1 - op->number];
			PUSH(a);
			break;
		case DW_OP_swap:
			POP(a); POP(b); PUSH(a); PUSH(b);
			break;
		case DW_OP_rot:
			POP(a); POP(b); POP(c); PUSH(a); PUSH(c); PUSH(b);
			break;
		case DW_OP_deref:
		case DW_OP_deref_size:
			POP(a);
			if (!mem_read(w, a, &b))
				return -1;
			if (op->atom == DW_OP_deref_size && op->number < 8)
				b &= (1ull << (op->number * 8)) - 1;
			PUSH(b);
			break;
		case DW_OP_plus_uconst:
			POP(a); PUSH(a + op->number);
			break;
		case DW_OP_plus: POP(a); POP(b); PUSH(b + a); break;
		case DW_OP_minus: POP(a); POP(b); PUSH(b - a); break;
		case DW_OP_mul: POP(a); POP(b); PUSH(b * a); break;
		case DW_OP_and: POP(a); POP(b); PUSH(b & a); break;
		case DW_OP_or: POP(a); POP(b); PUSH(b | a); break;
		case DW_OP_xor: POP(a); POP(b); PUSH(b ^ a); break;
		case DW_OP_shl: POP(a); POP(b); PUSH(a < 64 ? b << a : 0); break;
		case DW_OP_shr: POP(a); POP(b); PUSH(a < 64 ? b >> a : 0); break;
		case DW_OP_shra:
			POP(a); POP(b);
			PUSH(a < 64 ? (uint64_t)((int64_t)b >> a) : ((int64_t)b < 0 ? UINT64_MAX : 0));
			break;
		case DW_OP_neg: POP(a); PUSH(-a); break;
		case DW_OP_not: POP(a); PUSH(~a); break;
		case DW_OP_abs: POP(a); PUSH((int64_t)a < 0 ? -a : a); break;
		case DW_OP_div:
		case DW_OP_mod:
			POP(a); POP(b);
			if (a == 0)
				return -1;
			if (op->atom == DW_OP_mod)
				PUSH(b % a);
			else if ((int64_t)a == -1)
				PUSH(-b);
			else
				PUSH((uint64_t)((int64_t)b / (int64_t)a));
			break;
		case DW_OP_eq: POP(a); POP(b); PUSH(b == a); break;
		case DW_OP_ne: POP(a); POP(b); PUSH(b != a); break;
		case DW_OP_lt: POP(a); POP(b); PUSH((int64_t)b < (int64_t)a); break;
		case DW_OP_gt: POP(a); POP(b); PUSH((int64_t)b > (int64_t)a); break;
		case DW_OP_le: POP(a); POP(b); PUSH((int64_t)b <= (int64_t)a); break;
		case DW_OP_ge: POP(a); POP(b); PUSH((int64_t)b >= (int64_t)a); break;
		case DW_OP_nop:
			break;
		case DW_OP_skip:
		case DW_OP_bra: {
			/* The target is a byte offset past this 3-byte operation. */
			uint64_t to = op->offset + 3 + (uint64_t)(int64_t)(int16_t)op->number;
			size_t j;

			if (op->atom == DW_OP_bra) {
				POP(a);
				if (a == 0)
					break;
			}
			for (j = 0; j < nops && ops[j].offset != to; j++)
				if (!walk_spend(w))
					return -1;
			if (j == nops)
				return -1; /* not onto an operation */
			i = j - 1; /* the loop's i++ lands on j */
			if (j == 0)
				i = (size_t)-1;
			break;
		}
		case DW_OP_call_frame_cfa: {
			Dwarf_Op *cops;
			size_t cn;
			bool v;

			if (nested || dwarf_frame_cfa(fr, &cops, &cn) != 0 || cn == 0 ||
			    expr_eval(w, fr, rg, cops, cn, true, &a, &v) < 0)
				return -1;
			PUSH(a);
			break;
		}
		case DW_OP_stack_value:
			*is_value = true;
			break;
		default:
			return -1; /* not an operation CFI needs */
		}
	}
#undef PUSH
#undef POP
	if (sp == 0)
		return -1;
	*out = st[sp - 1];
	return 0;
}

enum step { STEP_OK, STEP_OUTERMOST, STEP_NO_INFO, STEP_BUDGET };

/* The caller's registers of the frame RG, from the CFI row FR. */
static enum step cfi_step(struct walk *w, Dwarf_Frame *fr, const struct regs *rg,
			  struct regs *nr, bool *signal)
{
	Dwarf_Op *cops;
	size_t cn;
	uint64_t cfa;
	bool v, ra_undefined = false;
	int ra = dwarf_frame_info(fr, NULL, NULL, signal);

	if (ra < 0 || dwarf_frame_cfa(fr, &cops, &cn) != 0 || cn == 0 ||
	    expr_eval(w, fr, rg, cops, cn, true, &cfa, &v) < 0)
		return w->over ? STEP_BUDGET : STEP_NO_INFO;
	memset(nr, 0, sizeof(*nr));
	for (int n = 0; n < NREGS; n++) {
		Dwarf_Op mem[3], *ops;
		size_t nops;
		uint64_t val;

		if (dwarf_frame_register(fr, n, mem, &ops, &nops) != 0)
			continue;
		if (nops == 0) {
			if (ops == mem) { /* undefined */
				if (n == ra)
					ra_undefined = true;
			} else if (rg->valid & (1u << n)) { /* same value */
				nr->r[n] = rg->r[n];
				nr->valid |= 1u << n;
			}
			continue;
		}
		if (expr_eval(w, fr, rg, ops, nops, false, &val, &v) < 0 ||
		    (!v && !mem_read(w, val, &val))) {
			if (w->over)
				return STEP_BUDGET;
			continue;
		}
		nr->r[n] = val;
		nr->valid |= 1u << n;
	}
	/* The CFA is the caller's stack pointer by definition (psABI). */
	if (!(nr->valid & (1u << R_RSP))) {
		nr->r[R_RSP] = cfa;
		nr->valid |= 1u << R_RSP;
	}
	if (ra_undefined)
		return STEP_OUTERMOST; /* _start, clone: .cfi_undefined rip */
	if (ra != R_RA) {
		if (ra >= NREGS || !(nr->valid & (1u << ra)))
			return STEP_NO_INFO;
		nr->r[R_RA] = nr->r[ra];
		nr->valid |= 1u << R_RA;
	}
	return nr->valid & (1u << R_RA) ? STEP_OK : STEP_NO_INFO;
}

/* Without unwind information: the frame pointer chain (rbp points at the
 * saved rbp, the return address above it). A guess. */
static bool fp_step(struct walk *w, const struct regs *rg, struct regs *nr)
{
	uint64_t fp = rg->r[R_RBP], ra, next;

	if (!(rg->valid & (1u << R_RBP)) || fp < rg->r[R_RSP] || fp % 8 ||
	    !mem_read(w, fp + 8, &ra) || !mem_read(w, fp, &next))
		return false;
	memset(nr, 0, sizeof(*nr));
	nr->r[R_RA] = ra;
	nr->r[R_RBP] = next;
	nr->r[R_RSP] = fp + 16;
	nr->valid = 1u << R_RA | 1u << R_RBP | 1u << R_RSP;
	return true;
}

static int dup_into(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

/* Name frame F (its pc found): symbol, object, source line. The symbol
 * and line are those of the call, not of the return address: a return
 * address minus one, so that a call at the very end of a function
 * (noreturn) is not blamed on the next one, as gdb does. */
static int frame_describe(struct stacks_ctx *u, struct elf_cache *c,
			  const struct vm_process *p, struct vm_frame *f,
			  bool exact)
{
	uint64_t lookup = exact || !f->pc ? f->pc : f->pc - 1, bias;
	struct dwinfo_obj *o;
	struct sym_where w;
	const char *file;
	unsigned line;
	int r = symbols_describe(c, p, lookup, &w);

	if (r < 0)
		return r;
	f->symbol = w.symbol;
	f->object = w.object;
	f->offset = w.offset + (f->pc - lookup);
	w.symbol = w.object = NULL;
	sym_where_fini(&w);
	if (!f->object) {
		ssize_t i = vm_process_find(p, f->pc);

		if (i >= 0 && p->maps[i].path && p->maps[i].path[0] &&
		    dup_into(&f->object, p->maps[i].path) < 0)
			return -ENOMEM;
	}
	o = dwinfo_at(u->dw, c, p, lookup, &bias);
	if (o && dwinfo_source(o, lookup - bias, &file, &line) == 0) {
		if (dup_into(&f->source_file, file) < 0)
			return -ENOMEM;
		f->source_line = line;
	}
	return 0;
}

/* Unwind thread TH from its copy C: first the walk, within its budget,
 * then the names of the frames found. */
static int thread_unwind(struct stacks_ctx *u, struct elf_cache *cache,
			 const struct vm_process *p, const struct capture *c,
			 struct vm_thread *th)
{
	struct walk w = { .c = c, .pid = p->pid, .steps = UNWIND_STEP_BUDGET,
			  .deadline = vm_now_ns() + UNWIND_TIME_BUDGET_NS };
	struct regs rg = c->regs, nr;
	/* exact[i]: frame i's pc is where it is, not a return address. */
	bool exact[STACKS_MAX_DEPTH], guessed = false;
	int r = 0;

	th->frames = calloc(STACKS_MAX_DEPTH, sizeof(*th->frames));
	if (!th->frames)
		return -ENOMEM;
	th->sp = rg.r[R_RSP];
	exact[0] = true;
	for (;;) {
		uint64_t pc = rg.r[R_RA], lookup, bias, t0;
		struct dwinfo_obj *o;
		Dwarf_Frame *fr;
		enum step s = STEP_NO_INFO;
		bool signal = false;

		if (vm_should_quit())
			break;
		if (th->nframes == STACKS_MAX_DEPTH) {
			th->end = UNWIND_END_DEPTH;
			break;
		}
		if (w.over || vm_now_ns() > w.deadline) {
			th->end = UNWIND_END_BUDGET;
			break;
		}
		lookup = exact[th->nframes] ? pc : pc - 1;
		th->frames[th->nframes].pc = pc;
		th->frames[th->nframes].guessed = guessed;
		th->nframes++;
		t0 = vm_now_ns();
		o = dwinfo_at(u->dw, cache, p, lookup, &bias);
		if (o && dwinfo_cfi_frame(o, lookup - bias, &fr) == 0) {
			w.deadline += vm_now_ns() - t0;
			s = cfi_step(&w, fr, &rg, &nr, &signal);
			free(fr);
		} else {
			w.deadline += vm_now_ns() - t0;
		}
		if (s == STEP_OUTERMOST)
			break;
		if (s == STEP_BUDGET || w.over) {
			th->end = UNWIND_END_BUDGET;
			break;
		}
		if (s == STEP_NO_INFO) {
			if (!fp_step(&w, &rg, &nr)) {
				th->end = w.over ? UNWIND_END_BUDGET : UNWIND_END_NO_INFO;
				break;
			}
			guessed = true;
		}
		if (nr.r[R_RA] == 0)
			break; /* a thread's first frame (Go's mcall, clone) */
		if (nr.r[R_RSP] < rg.r[R_RSP] ||
		    (nr.r[R_RSP] == rg.r[R_RSP] && nr.r[R_RA] == pc && !signal)) {
			th->end = UNWIND_END_NO_PROGRESS;
			break;
		}
		/* After a signal frame: the interrupted pc itself. */
		if (th->nframes < STACKS_MAX_DEPTH)
			exact[th->nframes] = signal;
		rg = nr;
	}
	for (size_t i = 0; i < th->nframes && r == 0; i++)
		r = frame_describe(u, cache, p, &th->frames[i], exact[i]);
	if (vm_should_quit() && r == 0)
		r = -EINTR;
	return r;
}

/* ---- collecting ------------------------------------------------------------ */

/* Copy, then unwind, thread TH of P: stopped alone unless FROZEN. A thread
 * that cannot be stopped or read gets no frames. */
static int thread_collect(struct stacks_ctx *u, struct tracer *t,
			  struct elf_cache *cache, const struct vm_process *p,
			  bool frozen, struct vm_thread *th)
{
	struct capture c;
	int r = capture_thread(t, p, th->tid, frozen, STACK_COPY_MAX, &c);

	u->stopped_ns += c.stopped_ns;
	if (r == -EINTR || vm_should_quit()) {
		free(c.buf);
		return -EINTR;
	}
	if (r == 0 && c.ok) {
		th->end = UNWIND_END_OUTERMOST;
		r = thread_unwind(u, cache, p, &c, th);
	} else if (r == -ETIMEDOUT) {
		th->end = UNWIND_END_NOT_STOPPED;
	} else {
		th->end = UNWIND_END_GONE;
		r = 0;
	}
	free(c.buf);
	return r;
}

/* In a frozen process: copy every thread as it stands, to be unwound by
 * stacks_finish once the process runs again. */
static int copy_frozen(struct stacks_ctx *u, struct tracer *t,
		       const struct vm_process *p, const struct vm_thread *v,
		       size_t n)
{
	size_t window = n ? STACK_COPY_TOTAL / n : STACK_COPY_MAX;
	struct pending *pd;
	int r = 0;

	if (window > STACK_COPY_MAX)
		window = STACK_COPY_MAX;
	if (window < STACK_COPY_MIN)
		window = STACK_COPY_MIN;
	pd = realloc(u->pend, (u->npend + 1) * sizeof(*pd));
	if (!pd)
		return -ENOMEM;
	u->pend = pd;
	pd = &u->pend[u->npend];
	memset(pd, 0, sizeof(*pd));
	pd->pid = p->pid;
	pd->caps = calloc(n ? n : 1, sizeof(*pd->caps));
	if (!pd->caps)
		return -ENOMEM;
	u->npend++;
	for (size_t i = 0; i < n && r != -EINTR; i++) {
		r = capture_thread(t, p, v[i].tid, true, window, &pd->caps[i]);
		u->stopped_ns += pd->caps[i].stopped_ns;
		pd->n++;
		if (vm_should_quit())
			r = -EINTR;
	}
	return r == -EINTR ? r : 0;
}

int stacks_finish(struct stacks_ctx *u, struct elf_cache *cache,
		  struct vm_process *p)
{
	int r = 0;

	for (size_t i = 0; i < u->npend; i++) {
		struct pending *pd = &u->pend[i];

		if (pd->pid != p->pid)
			continue;
		for (size_t k = 0; k < pd->n && k < p->nthreads && r == 0; k++)
			if (pd->caps[k].ok) {
				p->threads[k].end = UNWIND_END_OUTERMOST;
				r = thread_unwind(u, cache, p, &pd->caps[k], &p->threads[k]);
			} else {
				p->threads[k].end = UNWIND_END_GONE;
			}
		pending_free(pd);
		u->pend[i] = u->pend[--u->npend];
		break;
	}
	return r;
}

static int collect_all(struct stacks_ctx *u, struct tracer *t,
		       struct elf_cache *cache, struct vm_process *p,
		       struct vm_thread *v, size_t n)
{
	int r = 0;

	if (tracer_is_frozen(t, p->pid))
		r = copy_frozen(u, t, p, v, n);
	else {
		/* A thread that does not stop in time (uninterruptible sleep)
		 * gets no frames; when none stops, that is the error. */
		size_t stuck = 0;

		for (size_t i = 0; i < n && (r == 0 || r == -ETIMEDOUT); i++) {
			r = thread_collect(u, t, cache, p, false, &v[i]);
			stuck += r == -ETIMEDOUT;
		}
		if (r == -ETIMEDOUT)
			r = 0;
		if (r == 0 && n && stuck == n)
			r = -ETIMEDOUT;
	}
	if (r < 0) {
		threads_free(v, n);
		return r;
	}
	p->threads = v;
	p->nthreads = n;
	return 0;
}

int stacks_collect(struct stacks_ctx *u, struct tracer *t,
		   struct elf_cache *cache, struct vm_process *p)
{
	struct vm_thread *v = NULL;
	size_t n = 0;
	int r = threads_list(p->pid, &v, &n);

	return r < 0 ? r : collect_all(u, t, cache, p, v, n);
}

int stacks_attach_collect(struct stacks_ctx *u, struct tracer *t,
			  struct elf_cache *cache, struct vm_process *p)
{
	pid_t traced[64];
	size_t n = tracer_pids(t, traced, 64), nthreads = 0;
	struct vm_thread *v = NULL;
	bool attached = false;
	int r;

	for (size_t i = 0; i < n && i < 64; i++)
		attached |= traced[i] == p->pid;
	/* States are read before attaching: a stopped process shows 't'
	 * (tracing stop) once seized. */
	r = threads_list(p->pid, &v, &nthreads);
	if (r < 0)
		return r;
	if (!attached && (r = tracer_attach(t, p->pid, p->start_time)) < 0) {
		threads_free(v, nthreads);
		return r;
	}
	return collect_all(u, t, cache, p, v, nthreads);
}

/* ---- the live screen: a slice at a time, within the duty cycle ------------- */

static int thread_copy(struct vm_thread *dst, const struct vm_thread *src)
{
	dst->sp = src->sp;
	dst->end = src->end;
	dst->nframes = 0;
	if (!src->nframes)
		return 0;
	dst->frames = calloc(src->nframes, sizeof(*dst->frames));
	if (!dst->frames)
		return -ENOMEM;
	for (size_t j = 0; j < src->nframes; j++) {
		const struct vm_frame *s = &src->frames[j];
		struct vm_frame *d = &dst->frames[j];

		*d = *s;
		d->symbol = d->object = d->source_file = NULL;
		dst->nframes++;
		if (dup_into(&d->symbol, s->symbol) < 0 ||
		    dup_into(&d->object, s->object) < 0 ||
		    dup_into(&d->source_file, s->source_file) < 0)
			return -ENOMEM;
	}
	return 0;
}

static const struct vm_thread *kept_find(const struct stacks_ctx *u, pid_t tid)
{
	size_t lo = 0, hi = u->nkept;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->kept[mid].tid == tid)
			return &u->kept[mid];
		if (u->kept[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int stacks_refresh(struct stacks_ctx *u, struct tracer *t,
		   struct elf_cache *cache, struct vm_process *p)
{
	struct vm_thread *v = NULL;
	size_t n = 0, start = 0;
	uint64_t t0 = vm_now_ns(), stopped0 = u->stopped_ns;
	bool frozen;
	int r = threads_list(p->pid, &v, &n);

	if (r < 0)
		return r;
	if (u->kept_pid != p->pid) {
		threads_free(u->kept, u->nkept);
		u->kept = NULL;
		u->nkept = 0;
		u->kept_pid = p->pid;
		u->next_tid = 0;
		u->not_before = 0;
	}
	/* The threads unwound before, as they were; new ones unwound when
	 * their turn comes. */
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct vm_thread *k = kept_find(u, v[i].tid);

		if (k)
			r = thread_copy(&v[i], k);
	}
	frozen = tracer_is_frozen(t, p->pid);
	if (r == 0 && (t0 >= u->not_before || frozen)) {
		while (start < n && v[start].tid < u->next_tid)
			start++;
		for (size_t k = 0; k < n && r == 0; k++) {
			struct vm_thread *th = &v[(start + k) % n], fresh = { .tid = th->tid };

			if (k > 0 && vm_now_ns() - t0 >= SLICE_NS)
				break;
			r = thread_collect(u, t, cache, p, frozen, &fresh);
			if (r == -ETIMEDOUT)
				r = 0; /* passed over, and said so; the others go on */
			if (r < 0) {
				vm_thread_fini(&fresh);
				break;
			}
			fresh.name = th->name;
			fresh.state = th->state;
			th->name = NULL;
			vm_thread_fini(th);
			*th = fresh;
			u->next_tid = (start + k + 1) % n ? v[(start + k + 1) % n].tid : 0;
		}
		{
			uint64_t busy = vm_now_ns() - t0, stopped = u->stopped_ns - stopped0;
			uint64_t wait = (uint64_t)((double)stopped / STOP_SHARE);

			if ((uint64_t)((double)busy / BUSY_SHARE) > wait)
				wait = (uint64_t)((double)busy / BUSY_SHARE);
			u->busy_ns += busy;
			u->not_before = vm_now_ns() + wait;
		}
	}
	if (r < 0) {
		threads_free(v, n);
		return r;
	}
	/* Keep this round's backtraces for the next refresh. */
	threads_free(u->kept, u->nkept);
	u->kept = calloc(n ? n : 1, sizeof(*u->kept));
	u->nkept = 0;
	for (size_t i = 0; u->kept && i < n; i++) {
		u->kept[i].tid = v[i].tid;
		u->nkept++;
		if (thread_copy(&u->kept[i], &v[i]) < 0)
			break;
	}
	p->threads = v;
	p->nthreads = n;
	return 0;
}
