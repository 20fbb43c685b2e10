/* The bottom layer (src/util/): parsing numbers, messages, time, escaping
 * untrusted bytes, quit signals. Knows nothing of memory. */
#ifndef VMATLAS_UTIL_H
#define VMATLAS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <sys/types.h>

/* Escape untrusted bytes for a terminal or a text file: control characters
 * (C0, DEL, C1), invalid UTF-8, and bidi overrides become \xNN / \uNNNN;
 * backslash becomes "\\". Returns a malloc'd string or NULL + ENOMEM. */
char *escape_untrusted(const char *s);
/* Same, of LEN bytes (may contain NUL). */
char *escape_untrusted_n(const char *s, size_t len);
/* A mapping's PATH escaped for a terminal or a text file, with " (deleted)"
 * appended when DELETED; a live file whose own name ends in " (deleted)"
 * shows that space as \x20, so the two cannot be confused. */
char *escape_mapping_path(const char *path, bool deleted);

/* Parse a PID argument: a decimal number > 0 that fits pid_t. 0 or -EINVAL. */
int parse_pid(const char *s, pid_t *pid);
/* Parse an unsigned 64-bit number (0x hex or decimal). 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t *v);

/* An address as 'vmatlas addr' and the screen's 'a' read it
 * (util/addrspec.c): a number is hex, with or without 0x (as
 * /proc/PID/maps and the screen print addresses): NAME NULL, ADDR set.
 * Anything else is a symbol NAME (malloc'd), with an optional +OFFSET
 * after its last "+" that is followed by a digit (0xHEX or decimal, as
 * gdb's main+28): OFF set. A name made only of hex digits ("beef",
 * "ffffffffff600000") is also that number (HEX_NAME, ADDR): an address
 * when no symbol has the name. 0, -EINVAL (not an address: a usage
 * error) or -ENOMEM. */
struct addr_spec {
	char *name;
	uint64_t addr;
	uint64_t off;
	bool hex_name;
};
int addr_spec_parse(const char *arg, struct addr_spec *s);
void addr_spec_free(struct addr_spec *s);

/* Open PATH, a file someone else may control (a target's debug file, a
 * snapshot file given on the command line), for reading: nothing but a
 * regular file is ever opened (a FIFO, device or socket is refused before
 * it is opened, -EINVAL; a directory, -EISDIR: no blocked writer wakes, no
 * device is touched), O_NONBLOCK | O_NOCTTY | O_CLOEXEC. With
 * OPEN_LINKS_ROOT a symlink is followed only where it lies in a directory
 * owned by root and writable by no one else (never in one the target's
 * owner could write: -ELOOP); OPEN_LINKS_ANY follows every symlink (the
 * user's own path). *ST describes what PATH names, also when it is refused
 * as not regular. A descriptor or -errno. */
struct stat;
enum open_links { OPEN_LINKS_ROOT, OPEN_LINKS_ANY };
int open_untrusted(const char *path, enum open_links links, struct stat *st);

/* Program name for messages ("vmatlas"). */
extern const char *vm_progname;
/* Print "vmatlas: FMT\n" to stderr. */
void vm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A pseudo-terminal pair for a launched program (util/pty.c), both ends
 * close-on-exec, the master non-blocking, sized WS (may be NULL) and set
 * up as the user's terminal is. 0 or -errno. */
struct winsize;
int pty_open(int *master, int *slave, const struct winsize *ws);
/* In a child between fork and exec: a new session whose controlling
 * terminal is SLAVE, which becomes its standard input, output and error.
 * 0 or -errno. */
int pty_make_controlling(int slave);

/* Monotonic time in nanoseconds. */
uint64_t vm_now_ns(void);

/* Work that may never return, such as a read of a file whose FUSE daemon
 * or NFS server hangs (util/bounded.c): FN(ARG) runs on a worker thread
 * and is waited for at most TIMEOUT_MS (less when a quit signal comes).
 * 0: it finished, ARG holds its results. -ETIMEDOUT (or -EINTR): it did
 * not; the worker goes on, and when FN returns it calls DROP(ARG), which
 * frees ARG and what FN made: the caller must not touch ARG again.
 * -ENOMEM. Without a thread to spare FN runs on the caller's thread. */
int bounded_run(void (*fn)(void *), void (*drop)(void *), void *arg, unsigned timeout_ms);
/* The same for work in steps: FN counts the steps it finished in
 * *PROGRESS (atomically), and the deadline is TIMEOUT_MS from the last
 * step. */
int bounded_run_progress(void (*fn)(void *), void (*drop)(void *), void *arg, unsigned timeout_ms,
			 const size_t *progress);
/* The same in two halves, for work to do meanwhile: bounded_start gives
 * FN(ARG) to a worker (NULL: no memory, nothing done); bounded_wait waits
 * as bounded_run_progress does, or bounded_abandon gives up at once (DROP
 * then runs when FN returns, or here if it has). Either ends the handle. */
struct bounded;
/* Make a worker ready ahead of the first job, while other work goes on. */
void bounded_warm(void);
struct bounded *bounded_start(void (*fn)(void *), void (*drop)(void *), void *arg);
int bounded_wait(struct bounded *b, unsigned timeout_ms, const size_t *progress);
void bounded_abandon(struct bounded *b);

/* A wait status as a shell's exit status: the code of a program that
 * exited, 128 + N for one killed by signal N (as time, strace and timeout
 * exit). */
int vm_wait_status_code(int status);
/* "exited 3", "killed by SIGSEGV" into BUF; returns BUF. */
const char *vm_wait_status_describe(int status, char *buf, size_t len);

/* Signals: SIGINT, SIGTERM, SIGHUP, SIGPIPE only set a flag
 * (src/util/signals.c); long loops (pagemap scans, unwinding, the screen's
 * main loop) check it and unwind to the top, which detaches and exits with
 * 128 + signal. */
extern volatile sig_atomic_t vm_quit_signal;
void vm_signals_install(void);
static inline bool vm_should_quit(void) { return vm_quit_signal != 0; }

/* Job control (src/util/signals.c): SIGTSTP only sets a flag that
 * vm_stop_requested() reads; vm_stop_self() then stops the process as
 * SIGTSTP would have, until SIGCONT. vm_wait_foreground(FD) stops (as
 * SIGTTIN does) until the process group owns the terminal FD, at once
 * when FD is no terminal. */
void vm_stop_signals_install(void);
bool vm_stop_requested(void);
void vm_stop_self(void);
void vm_wait_foreground(int fd);

#endif
