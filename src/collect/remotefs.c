/* Which devices are file systems that may never answer (remotefs.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remotefs.h"

#define REMOTEFS_MAX 512

struct rdev {
	unsigned major, minor;
	bool remote;
	char type[32];
};

/* Devices seen so far (device numbers are system-wide). */
static struct rdev devs[REMOTEFS_MAX];
static size_t ndevs;
static pthread_mutex_t devs_mu = PTHREAD_MUTEX_INITIALIZER;
static bool allowed;
static size_t skipped;

size_t remotefs_skipped(void)
{
	return skipped;
}

void remotefs_allow(bool on)
{
	allowed = on;
}

static bool type_blocks(const char *t)
{
	static const char *const names[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p",
					     "ceph", "glusterfs", "lustre", "afs", "fuseblk",
					     "fuse", "virtiofs" };

	if (strncmp(t, "fuse.", 5) == 0)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(t, names[i]) == 0)
			return true;
	return false;
}

static struct rdev *dev_find(unsigned major, unsigned minor)
{
	for (size_t i = 0; i < ndevs; i++)
		if (devs[i].major == major && devs[i].minor == minor)
			return &devs[i];
	return NULL;
}

/* Learn every mount of mountinfo text BUF (proc(5): "ID PARENT MAJ:MIN
 * ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER"). */
static void learn(const char *buf)
{
	for (const char *line = buf; line && *line;) {
		const char *eol = strchr(line, '\n'), *sep;
		unsigned maj, min;
		char type[32];

		if (sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 &&
		    (sep = strstr(line, " - ")) && (!eol || sep < eol) &&
		    sscanf(sep + 3, "%31s", type) == 1 && !dev_find(maj, min) &&
		    ndevs < REMOTEFS_MAX) {
			devs[ndevs] = (struct rdev){ .major = maj, .minor = min,
						     .remote = type_blocks(type) };
			snprintf(devs[ndevs].type, sizeof(devs[ndevs].type), "%s", type);
			ndevs++;
		}
		line = eol ? eol + 1 : NULL;
	}
}

/* /proc/PID/mountinfo (PID 0: our own), read whole (procfs files give
 * consistent text per read call; the buffer grows until it fits). */
static void learn_from(pid_t pid)
{
	char path[64], *buf = NULL;
	size_t cap = 1u << 16, len = 0;
	ssize_t n;
	int fd;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/mountinfo");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (;;) {
		char *nb = len + 1 >= cap || !buf ? realloc(buf, cap *= 2) : buf;

		if (!nb || cap > (16u << 20))
			break;
		buf = nb;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf) {
		buf[len] = '\0';
		learn(buf);
	}
	free(buf);
}

bool remotefs_dev(pid_t pid, unsigned major, unsigned minor)
{
	struct rdev *d;
	bool r;

	if (allowed)
		return false;
	pthread_mutex_lock(&devs_mu);
	d = dev_find(major, minor);
	if (!d) {
		learn_from(pid);
		d = dev_find(major, minor);
	}
	if (!d) {
		learn_from(0);
		d = dev_find(major, minor);
	}
	if (!d && ndevs < REMOTEFS_MAX) {
		/* Not mounted where we can see: local, and not asked again. */
		devs[ndevs] = (struct rdev){ .major = major, .minor = minor };
		d = &devs[ndevs++];
	}
	r = d && d->remote;
	skipped += r;
	pthread_mutex_unlock(&devs_mu);
	return r;
}

const char *remotefs_type(unsigned major, unsigned minor)
{
	struct rdev *d;
	const char *t;

	pthread_mutex_lock(&devs_mu);
	d = dev_find(major, minor);
	t = d && d->type[0] ? d->type : NULL;
	pthread_mutex_unlock(&devs_mu);
	return t;
}
