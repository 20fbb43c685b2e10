/* Messages, number parsing, clocks. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "vmatlas/util.h"

const char *vm_progname = "vmatlas";

void vm_error(const char *fmt, ...)
{
	va_list ap;

	/* A closed pipe ends vmatlas quietly (as it does cat or grep): what
	 * failed after it is only the writing it stopped. */
	if (vm_quit_signal == SIGPIPE)
		return;
	fprintf(stderr, "%s: ", vm_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	int base = 10;
	unsigned long long n;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -EINVAL;
	}
	errno = 0;
	n = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end || end == s)
		return -EINVAL;
	*v = n;
	return 0;
}

int parse_pid(const char *s, pid_t *pid)
{
	uint64_t v;

	/* Decimal only: "0x10" is not a pid. */
	for (const char *c = s; c && *c; c++)
		if (*c < '0' || *c > '9')
			return -EINVAL;
	if (parse_u64(s, &v) < 0 || v == 0 || v > INT_MAX)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

uint64_t vm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int vm_wait_status_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

const char *vm_wait_status_describe(int status, char *buf, size_t len)
{
	const char *name;

	if (WIFSIGNALED(status)) {
		name = sigabbrev_np(WTERMSIG(status));
		if (name)
			snprintf(buf, len, "killed by SIG%s%s", name,
				 WCOREDUMP(status) ? " (core dumped)" : "");
		else
			snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	} else if (WIFEXITED(status)) {
		snprintf(buf, len, "exited %d", WEXITSTATUS(status));
	} else {
		snprintf(buf, len, "ended");
	}
	return buf;
}
