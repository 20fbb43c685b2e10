/* /proc/PID/{stat,status,cmdline} parsers and the process collector. The
 * parsers take buffers; only procfs_read_file() and procfs_collect() touch
 * /proc. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remotefs.h"
#include "vmatlas/procfs.h"
#include "vmatlas/util.h"

/* Bounds on what one process can make us allocate. */
#define STAT_MAX    (64u << 10)
#define STATUS_MAX  (1u << 20)
#define COMM_MAX    (4u << 10)
#define CMDLINE_MAX (16u << 20)
#define MAPS_MAX    (256u << 20)
#define CHILDREN_MAX (4u << 20)

/* Copy LEN bytes into a fixed field, truncating; always NUL-terminated. */
static void copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int dec_u64(const char *s, const char *end, uint64_t *v)
{
	uint64_t n = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		unsigned d;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -EINVAL;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}

/* Signed decimal, e.g. ppid, which is 0 for init and kernel threads and
 * other fields that may be negative (priority). */
static int dec_s64(const char *s, const char *end, int64_t *v)
{
	bool neg = s < end && *s == '-';
	uint64_t u;

	if (dec_u64(s + neg, end, &u) < 0 || u > (uint64_t)INT64_MAX)
		return -EINVAL;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return 0;
}

static int dec_pid(const char *s, const char *end, pid_t *pid)
{
	int64_t v;

	if (dec_s64(s, end, &v) < 0 || v < 0 || v > INT_MAX)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/* fs/proc/array.c do_task_stat. Fields are numbered as in proc(5): 1 pid,
 * 2 (comm), 3 state, ... Fields 45-51 exist since Linux 3.3. */
int stat_parse(const char *buf, size_t len, struct proc_stat *out)
{
	const char *open, *close = NULL, *p, *end = buf + len;
	struct proc_stat st;
	uint64_t *mmf[52] = { 0 };
	int field = 3;

	memset(&st, 0, sizeof(st));
	open = memchr(buf, '(', len);
	if (!open)
		return -EINVAL;
	for (p = open + 1; p < end; p++)
		if (*p == ')')
			close = p;
	if (!close)
		return -EINVAL;
	copy_field(st.comm, sizeof(st.comm), open + 1, (size_t)(close - open - 1));

	mmf[10] = &st.minflt;
	mmf[12] = &st.majflt;
	mmf[22] = &st.start_time;
	mmf[23] = &st.vsize;
	mmf[26] = &st.mm.start_code;
	mmf[27] = &st.mm.end_code;
	mmf[28] = &st.mm.start_stack;
	mmf[45] = &st.mm.start_data;
	mmf[46] = &st.mm.end_data;
	mmf[47] = &st.mm.start_brk;
	mmf[48] = &st.mm.arg_start;
	mmf[49] = &st.mm.arg_end;
	mmf[50] = &st.mm.env_start;
	mmf[51] = &st.mm.env_end;

	p = close + 1;
	for (;;) {
		const char *f;

		if (p < end && *p == '\n' && p + 1 == end)
			p++;
		if (p == end)
			break;
		if (*p != ' ')
			return -EINVAL;
		f = ++p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p == f)
			return -EINVAL;
		if (field == 3) {
			if (p - f != 1)
				return -EINVAL;
			st.state = *f;
		} else if (field == 4) {
			if (dec_pid(f, p, &st.ppid) < 0)
				return -EINVAL;
		} else if (field < 52 && mmf[field]) {
			if (dec_u64(f, p, mmf[field]) < 0)
				return -EINVAL;
		} else {
			int64_t ignored;
			uint64_t uignored;
			/* Every other field is a decimal number too. */
			if (dec_s64(f, p, &ignored) < 0 && dec_u64(f, p, &uignored) < 0)
				return -EINVAL;
		}
		field++;
	}
	if (field <= 4)
		return -EINVAL;
	/* Without ptrace-read access the kernel prints 1 for start_code and
	 * end_code and 0 for the other boundaries; kernel threads and exiting
	 * tasks (no mm) get 0 everywhere. A task with an mm always has a
	 * start_stack, so that tells real values from hidden ones. */
	st.mm.valid = field > 51 && st.mm.start_stack != 0;
	if (!st.mm.valid)
		memset(&st.mm, 0, sizeof(st.mm));
	*out = st;
	return 0;
}

/* fs/proc/array.c proc_pid_status: "Key:\tvalue" lines. */
enum {
	ST_NAME = 1u << 0,
	ST_STATE = 1u << 1,
	ST_TGID = 1u << 2,
	ST_PPID = 1u << 3,
	ST_UID = 1u << 4,
	ST_REQUIRED = ST_NAME | ST_STATE | ST_TGID | ST_PPID | ST_UID,
};

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* "   1234 kB" */
static int status_kb(const char *v, const char *end, uint64_t *kb)
{
	const char *d = v;

	while (d < end && *d >= '0' && *d <= '9')
		d++;
	if (dec_u64(v, d, kb) < 0)
		return -EINVAL;
	d = skip_blanks(d, end);
	if (end - d != 2 || memcmp(d, "kB", 2) != 0)
		return -EINVAL;
	return 0;
}

static int status_uids(const char *v, const char *end, uid_t uid[4])
{
	for (int i = 0; i < 4; i++) {
		const char *d;
		uint64_t u;

		v = skip_blanks(v, end);
		for (d = v; d < end && *d >= '0' && *d <= '9'; d++)
			;
		if (dec_u64(v, d, &u) < 0 || u > UINT32_MAX)
			return -EINVAL;
		uid[i] = (uid_t)u;
		v = d;
	}
	return skip_blanks(v, end) == end ? 0 : -EINVAL;
}

static bool key_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(k, name, klen) == 0;
}

int status_parse(const char *buf, size_t len, struct proc_status *out)
{
	const char *p = buf, *end = buf + len;
	struct proc_status st;
	unsigned seen = 0;

	memset(&st, 0, sizeof(st));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *colon, *v;
		size_t klen;
		int ret = 0;

		if (eol == p) {
			p = eol + 1;
			continue;
		}
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			return -EINVAL;
		klen = (size_t)(colon - p);
		/* Name keeps its leading blanks: only the tab is a separator. */
		v = colon + 1;
		if (key_is(p, klen, "Name")) {
			if (v < eol && *v == '\t')
				v++;
			copy_field(st.name, sizeof(st.name), v, (size_t)(eol - v));
			seen |= ST_NAME;
		} else {
			v = skip_blanks(v, eol);
			if (key_is(p, klen, "State")) {
				if (v == eol)
					return -EINVAL;
				st.state = *v;
				seen |= ST_STATE;
			} else if (key_is(p, klen, "Tgid")) {
				ret = dec_pid(v, eol, &st.tgid);
				seen |= ST_TGID;
			} else if (key_is(p, klen, "PPid")) {
				ret = dec_pid(v, eol, &st.ppid);
				seen |= ST_PPID;
			} else if (key_is(p, klen, "TracerPid")) {
				ret = dec_pid(v, eol, &st.tracer_pid);
			} else if (key_is(p, klen, "Uid")) {
				ret = status_uids(v, eol, st.uid);
				seen |= ST_UID;
			} else if (key_is(p, klen, "VmRSS")) {
				ret = status_kb(v, eol, &st.vm_rss_kb);
			} else if (key_is(p, klen, "VmSwap")) {
				ret = status_kb(v, eol, &st.vm_swap_kb);
			} else if (key_is(p, klen, "VmSize")) {
				st.has_mm = true;
			}
		}
		if (ret < 0)
			return ret;
		p = nl ? nl + 1 : end;
	}
	if ((seen & ST_REQUIRED) != ST_REQUIRED)
		return -EINVAL;
	*out = st;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* fs/proc/base.c get_mm_cmdline: arguments separated by NUL; the last one
 * lacks its NUL when the process rewrote its arguments. */
int cmdline_parse(const char *buf, size_t len, char ***argv, size_t *argc)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0, i = 0;
	char **v;

	for (const char *q = buf; q < end; q++)
		if (*q == '\0')
			n++;
	if (len > 0 && end[-1] != '\0')
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (; i < n; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t l = (size_t)((z ? z : end) - p);

		v[i] = malloc(l + 1);
		if (!v[i]) {
			strv_free(v, i);
			return -ENOMEM;
		}
		memcpy(v[i], p, l);
		v[i][l] = '\0';
		p += l + 1;
	}
	*argv = v;
	*argc = n;
	return 0;
}

/* Read the file at DIRFD/PATH: proc files report size 0, so read until a
 * read returns 0. */
static int read_file_at(int dirfd, const char *path, size_t max, char **bufp,
			size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int fd, ret = 0;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (!buf || len == cap) {
			size_t ncap = buf ? cap * 2 : cap;
			char *nb;

			if (ncap > max + 1)
				ncap = max + 1;
			if (buf && ncap <= len) {
				ret = -EFBIG;
				goto out;
			}
			/* One spare byte for the NUL. */
			nb = realloc(buf, ncap + 1);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			ret = -EFBIG;
			goto out;
		}
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

size_t cmdline_title(const char *buf, size_t len, char *out, size_t outlen)
{
	size_t n;

	if (!outlen)
		return 0;
	while (len && buf[len - 1] == '\0')
		len--;
	n = len < outlen - 1 ? len : outlen - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = buf[i] ? buf[i] : ' ';
	out[n] = '\0';
	return n;
}

int procfs_title(pid_t pid, char *out, size_t outlen)
{
	char path[64], *buf = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	/* The first 4K: more than a title column shows. */
	r = procfs_read_file(path, 4096, &buf, &len);
	if (r == 0 && !cmdline_title(buf, len, out, outlen))
		r = -ENOENT;
	free(buf);
	return r;
}

int procfs_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	return read_file_at(AT_FDCWD, path, max, buf, len);
}

bool procfs_swap_in_use(void)
{
	char *buf = NULL, *t, *f;
	size_t len;
	uint64_t total = 0, free_kb = 0;

	if (procfs_read_file("/proc/meminfo", 1 << 20, &buf, &len) < 0)
		return true;
	t = strstr(buf, "\nSwapTotal:");
	f = strstr(buf, "\nSwapFree:");
	if (t)
		sscanf(t + 1, "SwapTotal: %" SCNu64, &total);
	if (f)
		sscanf(f + 1, "SwapFree: %" SCNu64, &free_kb);
	free(buf);
	return total > free_kb;
}

/* readlink of any length; NULL + errno on failure. */
static char *readlink_alloc(int dirfd, const char *path)
{
	size_t size = 256;

	for (;;) {
		char *b = malloc(size);
		ssize_t r;

		if (!b)
			return NULL;
		r = readlinkat(dirfd, path, b, size);
		if (r < 0) {
			int e = errno;
			free(b);
			errno = e;
			return NULL;
		}
		if ((size_t)r < size) {
			b[r] = '\0';
			return b;
		}
		free(b);
		if (size > (1u << 20)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		size *= 2;
	}
}

/* ENOENT under /proc/PID means the task is gone. */
static int gone(int ret)
{
	return ret == -ENOENT ? -ESRCH : ret;
}

/* Read DIRFD/NAME into *BUF, replacing (and freeing) what it held. */
static int load(int dirfd, const char *name, size_t max, char **buf, size_t *len)
{
	free(*buf);
	*buf = NULL;
	return gone(read_file_at(dirfd, name, max, buf, len));
}

/* " (deleted)" is ambiguous: a file really named "x (deleted)" prints the
 * same as a deleted "x". If such a file exists (as the target sees its file
 * system) with the mapping's inode, the suffix belonged to the name. */
static int maps_fix_deleted(pid_t pid, int dirfd, struct vm_mapping *maps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct vm_mapping *m = &maps[i];
		struct stat sb;
		char *rel, *full;

		/* Escaped names (\012) cannot be looked up reliably. */
		if (!m->deleted || m->path[0] != '/' || strchr(m->path, '\\'))
			continue;
		/* A stat on a hung FUSE or NFS mount never returns. */
		if (remotefs_dev(pid, m->dev_major, m->dev_minor))
			continue;
		if (asprintf(&rel, "root%s (deleted)", m->path) < 0)
			return -ENOMEM;
		if (fstatat(dirfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (uint64_t)sb.st_ino == m->inode) {
			if (asprintf(&full, "%s (deleted)", m->path) < 0) {
				free(rel);
				return -ENOMEM;
			}
			free(m->path);
			m->path = full;
			m->deleted = false;
		}
		free(rel);
	}
	return 0;
}

static int task_stat(pid_t pid, pid_t tid, char *state, uint64_t *start);

int procfs_collect(pid_t pid, struct vm_process *p)
{
	return procfs_collect_task(pid, pid, p);
}

int procfs_collect_task(pid_t pid, pid_t tid, struct vm_process *p)
{
	struct proc_stat st;
	struct proc_status stu;
	char dir[64], *buf = NULL;
	size_t len, bad = 0;
	int dirfd = -1, ret;
	char state = 0;
	uint64_t start = 0;

	memset(p, 0, sizeof(*p));
	if (pid <= 0 || tid <= 0)
		return -ESRCH;
	if (tid == pid) {
		snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	} else {
		/* Through a thread: the process's start time is its leader's. */
		snprintf(dir, sizeof(dir), "/proc/%d/task/%d", (int)pid, (int)tid);
		ret = task_stat(pid, pid, &state, &start);
		if (ret < 0)
			goto out;
	}
	/* Every file is read relative to this directory: if PID dies and is
	 * reused meanwhile, reads fail instead of describing another process. */
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ret = gone(-errno);
		goto out;
	}

	ret = load(dirfd, "stat", STAT_MAX, &buf, &len);
	if (ret == 0)
		ret = stat_parse(buf, len, &st);
	if (ret < 0)
		goto out;
	state = st.state;
	p->pid = pid;
	p->ppid = st.ppid;
	p->state = st.state;
	p->start_time = tid == pid ? st.start_time : start;
	p->mm = st.mm;
	/* 'X' (dead) is only ever seen in a race with the reaper. */
	if (st.state == 'Z' || st.state == 'X') {
		ret = -ESRCH;
		goto out;
	}

	ret = load(dirfd, "status", STATUS_MAX, &buf, &len);
	if (ret == 0)
		ret = status_parse(buf, len, &stu);
	if (ret < 0)
		goto out;
	p->uid = stu.uid[0];
	if (stu.state == 'Z')
		state = 'Z';
	/* No mm: a kernel thread, or a task exiting right now. */
	if (!stu.has_mm || stu.state == 'Z') {
		ret = -ESRCH;
		goto out;
	}

	ret = load(dirfd, "comm", COMM_MAX, &buf, &len);
	if (ret == -ESRCH)
		goto out;
	if (ret == 0 && len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	p->comm = strdup(ret == 0 ? buf : st.comm);
	ret = p->comm ? 0 : -ENOMEM;
	if (ret < 0)
		goto out;

	p->exe = readlink_alloc(dirfd, "exe");
	if (!p->exe && errno != EACCES && errno != ENOENT) {
		ret = -errno;
		goto out;
	}

	ret = load(dirfd, "cmdline", CMDLINE_MAX, &buf, &len);
	if (ret == 0)
		ret = cmdline_parse(buf, len, &p->cmdline, &p->ncmdline);
	if (ret < 0)
		goto out;

	ret = load(dirfd, "maps", MAPS_MAX, &buf, &len);
	if (ret == 0)
		ret = maps_parse(buf, len, &p->maps, &p->nmaps, &bad);
	if (ret < 0)
		goto out;
	/* The kernel ends maps early, without error, once the mm is gone
	 * (fs/proc/task_mmu.c m_start): the task exited after status. */
	if (p->nmaps == 0) {
		ret = -ESRCH;
		state = 0;
		if (load(dirfd, "stat", STAT_MAX, &buf, &len) == 0 &&
		    stat_parse(buf, len, &st) == 0)
			state = st.state;
		goto out;
	}
	ret = maps_fix_deleted(pid, dirfd, p->maps, p->nmaps);
out:
	free(buf);
	if (dirfd >= 0)
		close(dirfd);
	if (ret < 0) {
		vm_process_fini(p);
		p->state = state;
	}
	return ret;
}

int children_parse(const char *buf, size_t len, pid_t **pids, size_t *n, size_t *cap)
{
	size_t i = 0;

	while (i < len) {
		unsigned long v = 0;
		size_t d = 0;

		if (buf[i] == ' ' || buf[i] == '\n') {
			i++;
			continue;
		}
		for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++, d++) {
			v = v * 10 + (unsigned long)(buf[i] - '0');
			if (v > INT_MAX)
				return -EINVAL;
		}
		if (!d || v == 0 || (i < len && buf[i] != ' ' && buf[i] != '\n'))
			return -EINVAL;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			pid_t *p = realloc(*pids, nc * sizeof(**pids));

			if (!p)
				return -ENOMEM;
			*pids = p;
			*cap = nc;
		}
		(*pids)[(*n)++] = (pid_t)v;
	}
	return 0;
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int procfs_read_stat(pid_t pid, struct proc_stat *out)
{
	char path[64], *buf = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = procfs_read_file(path, 1 << 16, &buf, &len);
	if (r == 0)
		r = stat_parse(buf, len, out);
	free(buf);
	return r;
}

int procfs_tids(pid_t pid, pid_t **tids, size_t *n)
{
	char path[64];
	struct dirent *de;
	pid_t *v = NULL;
	size_t cnt = 0, cap = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(d))) {
		pid_t tid;

		if (parse_pid(de->d_name, &tid) < 0)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			pid_t *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt++] = tid;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), pid_cmp);
	*tids = v;
	*n = cnt;
	return 0;
}

/* State letter and start time of /proc/PID/task/TID/stat (TID == PID:
 * /proc/PID/stat). */
static int task_stat(pid_t pid, pid_t tid, char *state, uint64_t *start)
{
	char path[80], *buf = NULL;
	struct proc_stat st;
	size_t len;
	int r;

	if (tid == pid)
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	r = procfs_read_file(path, STAT_MAX, &buf, &len);
	if (r == 0)
		r = stat_parse(buf, len, &st);
	free(buf);
	if (r < 0)
		return gone(r);
	*state = st.state;
	if (start)
		*start = st.start_time;
	return 0;
}

pid_t procfs_main_tid(pid_t pid)
{
	pid_t *tids, found = -ESRCH;
	size_t n;
	char st;
	int r = task_stat(pid, pid, &st, NULL);

	if (r < 0)
		return r;
	if (st != 'Z' && st != 'X')
		return pid;
	r = procfs_tids(pid, &tids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && found < 0; i++)
		if (tids[i] != pid && task_stat(pid, tids[i], &st, NULL) == 0 &&
		    st != 'Z' && st != 'X')
			found = tids[i];
	free(tids);
	return found;
}

int procfs_check_namespace(char *msg, size_t len)
{
	char self[32], ns[64];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
	pid_t shown = 0;

	if (n > 0) {
		self[n] = '\0';
		if (parse_pid(self, &shown) == 0 && shown == getpid())
			return 0;
	} else if (errno != ENOENT) {
		return 0; /* no /proc at all: the commands say so themselves */
	}
	/* fs/proc/self.c: /proc/self names the reader's pid as the namespace
	 * of the mount sees it, and nothing when it cannot see the reader. */
	n = readlink("/proc/1/ns/pid", ns, sizeof(ns) - 1);
	ns[n > 0 ? n : 0] = '\0';
	if (shown > 0)
		snprintf(msg, len,
			 "/proc here is another PID namespace's (it calls vmatlas %d, vmatlas is %d): "
			 "its PIDs name other processes than ptrace would; run vmatlas inside that PID namespace%s%s "
			 "(nsenter -t PID -p -m), or where /proc is vmatlas's own",
			 (int)shown, (int)getpid(), *ns ? ", " : "", ns);
	else
		snprintf(msg, len,
			 "/proc here is another PID namespace's (vmatlas, pid %d, is not in it): "
			 "its PIDs name other processes than ptrace would; run vmatlas inside that PID namespace%s%s "
			 "(nsenter -t PID -p -m), or where /proc is vmatlas's own",
			 (int)getpid(), *ns ? ", " : "", ns);
	return -EXDEV;
}

/* The file lists the children of one thread only (kernel
 * Documentation/filesystems/proc.rst, "children"): read every thread's. */
int procfs_children(pid_t pid, pid_t **pids, size_t *n, size_t *cap)
{
	char path[64];
	pid_t *tids;
	size_t ntids;
	int r = procfs_tids(pid, &tids, &ntids);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ntids; i++) {
		char *buf = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)tids[i]);
		r = procfs_read_file(path, CHILDREN_MAX, &buf, &len);
		if (r == -ENOENT || r == -ESRCH) {
			/* The thread exited meanwhile, or the kernel has no such
			 * file (CONFIG_PROC_CHILDREN off). */
			snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid, (int)tids[i]);
			if (r == -ENOENT && access(path, F_OK) == 0)
				break;
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		r = children_parse(buf, len, pids, n, cap);
		free(buf);
		if (r < 0)
			break;
	}
	free(tids);
	return r;
}
