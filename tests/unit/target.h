/* Unit tests that read a real process: start a target program from
 * tests/targets and wait for its ready file. */
#ifndef VMATLAS_TEST_TARGET_H
#define VMATLAS_TEST_TARGET_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t target_pid;
static char target_ready[256];

static void target_stop(void)
{
	if (target_pid > 0) {
		kill(target_pid, SIGKILL);
		waitpid(target_pid, NULL, 0);
		target_pid = 0;
	}
	if (target_ready[0])
		unlink(target_ready);
}

/* The program NAME in $TARGETS (or ARG when given) into BUF; exits 99 when
 * it is missing and 77 unless pages are 4 KiB (the layouts assume them). */
static const char *target_path(const char *arg, const char *name, char *buf,
			       size_t len)
{
	const char *dir = getenv("TARGETS");

	if (!arg) {
		snprintf(buf, len, "%s/%s", dir ? dir : "tests/targets", name);
		arg = buf;
	}
	if (access(arg, X_OK) != 0) {
		fprintf(stderr, "no target program %s\n", arg);
		exit(99);
	}
	if (sysconf(_SC_PAGESIZE) != 4096) {
		fprintf(stderr, "SKIP: the target layouts assume 4 KiB pages\n");
		exit(77);
	}
	atexit(target_stop);
	return arg;
}

/* Run PATH READY_FILE [ARG]; once READY_FILE exists return it open for
 * reading, or NULL with errno set (ECHILD: the target exited). */
static FILE *target_run(const char *path, const char *arg)
{
	FILE *f = NULL;

	snprintf(target_ready, sizeof(target_ready), "/tmp/vmatlas-unit.%d.ready",
		 (int)getpid());
	unlink(target_ready);
	target_pid = fork();
	if (target_pid < 0)
		return NULL;
	if (target_pid == 0) {
		execl(path, path, target_ready, arg, (char *)NULL);
		perror(path);
		_exit(127);
	}
	for (int i = 0; i < 1000 && !f; i++) {
		if (waitpid(target_pid, NULL, WNOHANG) == target_pid) {
			target_pid = 0;
			errno = ECHILD;
			return NULL;
		}
		f = fopen(target_ready, "r");
		if (!f)
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	if (!f)
		errno = ETIMEDOUT;
	return f;
}

#endif
