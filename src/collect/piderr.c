/* Turning an errno from reading /proc/PID into a sentence for the user:
 * the kernel says ESRCH or EACCES; the user wants to know why. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmatlas/piderr.h"
#include "vmatlas/procfs.h"

static int read_status(pid_t pid, struct proc_status *st)
{
	char path[64], *buf = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	r = procfs_read_file(path, 1 << 20, &buf, &len);
	if (r < 0)
		return r;
	r = status_parse(buf, len, st);
	free(buf);
	return r;
}

void pid_error_describe(pid_t pid, int err, char *buf, size_t len)
{
	struct proc_status st;
	bool have = read_status(pid, &st) == 0;
	uid_t me = geteuid();

	if (err == ESRCH || err == ENOENT) {
		if (!have)
			snprintf(buf, len, "no such process: %d", (int)pid);
		else if ((st.state == 'Z' || st.state == 'X') && procfs_main_tid(pid) > 0)
			snprintf(buf, len, "process %d changed during the snapshot (another thread exec'd, or the main thread exited): try again", (int)pid);
		else if (st.state == 'Z' || st.state == 'X')
			snprintf(buf, len, "process %d is a zombie: it has exited and has no memory left to show", (int)pid);
		else if (!st.has_mm)
			snprintf(buf, len, "process %d is a kernel thread: it has no user address space", (int)pid);
		else
			/* Still there after ESRCH: it did not exit. */
			snprintf(buf, len, "process %d exec'd during the snapshot, twice: try again", (int)pid);
		return;
	}
	if (err == EACCES || err == EPERM) {
		char proc[64];
		struct stat sb;

		snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
		if (have && me != 0 && st.uid[1] != me)
			snprintf(buf, len,
				 "process %d belongs to another user (uid %u, you are uid %u): run vmatlas as root or as that user",
				 (int)pid, (unsigned)st.uid[1], (unsigned)me);
		/* The same user refused: the process is not dumpable
		 * (kernel/ptrace.c, __ptrace_may_access). /proc/PID's owner
		 * alone does not tell: Linux 6.18 keeps the user's uid. */
		else if (me != 0 && (have || (stat(proc, &sb) == 0 && sb.st_uid != me)))
			snprintf(buf, len,
				 "process %d is not dumpable (setuid or setgid, or PR_SET_DUMPABLE 0): reading its memory needs CAP_SYS_PTRACE (run as root)",
				 (int)pid);
		else if (me == 0)
			snprintf(buf, len,
				 "permission denied reading process %d even as root: refused by a security module, by lockdown, or because it is in a user namespace beyond vmatlas's CAP_SYS_PTRACE",
				 (int)pid);
		else
			snprintf(buf, len,
				 "permission denied reading process %d: reading /proc/%d/pagemap needs ptrace read access (same user, or CAP_SYS_PTRACE)",
				 (int)pid, (int)pid);
		return;
	}
	if (err == EOPNOTSUPP) {
		snprintf(buf, len,
			 "this kernel has no PAGEMAP_SCAN ioctl (Linux 6.7 and later): use --backend=auto or --backend=pread");
		return;
	}
	snprintf(buf, len, "process %d: %s", (int)pid, strerror(err));
}
