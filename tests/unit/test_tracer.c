/* The tracer on real processes: every target is a child of this test (a
 * few threads sleeping), every check reads the kernel's view of it from
 * /proc: its state letter and TracerPid, thread by thread. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "vmatlas/tracer.h"
#include "vmatlas/util.h"

#define NTHREADS 4

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* State letter of task TID of PID ('?' when gone). */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (read_small(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return '?';
	return p[2];
}

static long task_tracer(pid_t pid, pid_t tid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (read_small(path, buf, sizeof(buf)) < 0 || !(p = strstr(buf, "TracerPid:")))
		return -1;
	return strtol(p + 10, NULL, 10);
}

/* Every thread of PID: state letter in WANT (e.g. "SR"), TracerPid 0 (or
 * not checked when TRACER is -1). Returns the number of threads checked, or
 * -1 when one does not match. */
static int threads_match(pid_t pid, const char *want, long tracer)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid <= 0)
			continue;
		if (!strchr(want, task_state(pid, tid)) ||
		    (tracer >= 0 && task_tracer(pid, tid) != tracer)) {
			n = -1;
			break;
		}
		n++;
	}
	closedir(d);
	return n;
}

/* Wait up to 2 s for threads_match() to hold; its last result. */
static int threads_become(pid_t pid, const char *want, long tracer)
{
	int n = -1;

	for (int i = 0; i < 200 && (n = threads_match(pid, want, tracer)) < 0; i++)
		sleep_ms(10);
	return n;
}

static int sig_pipe = -1;

static void on_usr1(int sig)
{
	char c = 'u';

	(void)sig;
	if (write(sig_pipe, &c, 1) < 0)
		_exit(98);
}

static void *thread_sleep(void *arg)
{
	(void)arg;
	for (;;)
		sleep_ms(50);
	return NULL;
}

/* A target: NTHREADS sleeping threads besides main; SIGUSR1 writes 'u' to
 * the returned *sigfd. Ready when started. */
static pid_t target_start(int *sigfd)
{
	int ready[2], sp[2];
	pid_t pid;
	char c;

	if (pipe(ready) < 0 || pipe(sp) < 0)
		exit(99);
	pid = fork();
	if (pid < 0)
		exit(99);
	if (pid == 0) {
		pthread_t th;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Under Yama ptrace_scope 1, let a sibling tracer attach. */
		prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
		sig_pipe = sp[1];
		signal(SIGUSR1, on_usr1);
		for (int i = 0; i < NTHREADS; i++)
			pthread_create(&th, NULL, thread_sleep, NULL);
		if (write(ready[1], "r", 1) < 0)
			_exit(99);
		thread_sleep(NULL);
	}
	close(ready[1]);
	close(sp[1]);
	if (read(ready[0], &c, 1) != 1)
		exit(99);
	close(ready[0]);
	if (sigfd)
		*sigfd = sp[0];
	else
		close(sp[0]);
	return pid;
}

static void target_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Attach + detach: a running target is running, untraced. */
static void test_running(void)
{
	struct tracer *t = tracer_new(0);
	pid_t pid = target_start(NULL);

	CHECK_EQ_U64(tracer_attach(t, pid, 0), 0);
	CHECK(threads_become(pid, "SRt", getpid()) == NTHREADS + 1);
	tracer_detach_all(t);
	CHECK(threads_become(pid, "SR", 0) == NTHREADS + 1);
	/* Attach again with the right and a wrong start time. */
	{
		char buf[1024], *p;
		unsigned long long start = 0;
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		CHECK(read_small(path, buf, sizeof(buf)) == 0);
		p = strrchr(buf, ')');
		for (int f = 2; f < 22 && p; f++)
			p = strchr(p + 1, ' ');
		CHECK(p && sscanf(p, " %llu", &start) == 1);
		CHECK_EQ_U64(tracer_attach(t, pid, start + 1), (unsigned long long)-ESRCH);
		CHECK(threads_become(pid, "SR", 0) == NTHREADS + 1);
		CHECK_EQ_U64(tracer_attach(t, pid, start), 0);
	}
	tracer_free(t);
	CHECK(threads_become(pid, "SR", 0) == NTHREADS + 1);
	target_stop(pid);
}

/* A SIGSTOPped target is still stopped after attach, freeze, thaw and
 * detach; SIGCONT resumes it. */
static void test_stopped(void)
{
	struct tracer *t = tracer_new(0);
	struct tracer_event ev;
	unsigned long long ns = 0;
	pid_t pid = target_start(NULL);

	kill(pid, SIGSTOP);
	CHECK(threads_become(pid, "T", 0) == NTHREADS + 1);
	CHECK_EQ_U64(tracer_attach(t, pid, 0), 0);
	while (tracer_poll(t, &ev, 50) > 0)
		;
	CHECK_EQ_U64(tracer_freeze(t, pid), 0);
	CHECK(threads_match(pid, "t", getpid()) == NTHREADS + 1);
	CHECK_EQ_U64(tracer_thaw(t, pid, &ns), 0);
	tracer_detach_all(t);
	CHECK(threads_become(pid, "T", 0) == NTHREADS + 1);
	sleep_ms(100);
	CHECK(threads_match(pid, "T", 0) == NTHREADS + 1);
	kill(pid, SIGCONT);
	CHECK(threads_become(pid, "SR", 0) == NTHREADS + 1);
	tracer_free(t);
	target_stop(pid);
}

/* Freeze stops every thread; thaw lets them all go; stopped time known. */
static void test_freeze(void)
{
	struct tracer *t = tracer_new(0);
	unsigned long long ns = 0;
	pid_t pid = target_start(NULL);

	CHECK_EQ_U64(tracer_attach(t, pid, 0), 0);
	CHECK_EQ_U64(tracer_freeze(t, pid), 0);
	CHECK(threads_match(pid, "t", getpid()) == NTHREADS + 1);
	/* Nested: still frozen after the inner thaw. */
	CHECK_EQ_U64(tracer_freeze(t, pid), 0);
	CHECK_EQ_U64(tracer_thaw(t, pid, NULL), 0);
	sleep_ms(30);
	CHECK_EQ_U64(tracer_thaw(t, pid, &ns), 0);
	CHECK(ns >= 30000000ull);
	CHECK(threads_become(pid, "SR", getpid()) == NTHREADS + 1);
	CHECK_EQ_U64(tracer_thaw(t, pid, NULL), (unsigned long long)-EINVAL);
	tracer_free(t);
	CHECK(threads_become(pid, "SR", 0) == NTHREADS + 1);
	target_stop(pid);
}

/* A signal sent while traced reaches the target (re-injected); SIGSTOP while
 * traced leaves it stopped after detach. */
static void test_signals(void)
{
	struct tracer *t = tracer_new(0);
	struct tracer_event ev;
	int sigfd, got = 0;
	pid_t pid = target_start(&sigfd);
	char c;

	CHECK_EQ_U64(tracer_attach(t, pid, 0), 0);
	kill(pid, SIGUSR1);
	fcntl(sigfd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 100 && !got; i++) {
		tracer_poll(t, &ev, 20);
		got = read(sigfd, &c, 1) == 1 && c == 'u';
	}
	CHECK(got);
	/* Frozen: the signal waits until thaw. */
	CHECK_EQ_U64(tracer_freeze(t, pid), 0);
	kill(pid, SIGUSR1);
	sleep_ms(50);
	CHECK(read(sigfd, &c, 1) < 0);
	CHECK_EQ_U64(tracer_thaw(t, pid, NULL), 0);
	got = 0;
	for (int i = 0; i < 100 && !got; i++) {
		tracer_poll(t, &ev, 20);
		got = read(sigfd, &c, 1) == 1;
	}
	CHECK(got);
	kill(pid, SIGSTOP);
	for (int i = 0; i < 10; i++)
		tracer_poll(t, &ev, 10);
	tracer_detach_all(t);
	CHECK(threads_become(pid, "T", 0) == NTHREADS + 1);
	kill(pid, SIGCONT);
	CHECK(threads_become(pid, "SR", 0) == NTHREADS + 1);
	/* A signal pending at detach is delivered, not lost. */
	CHECK_EQ_U64(tracer_attach(t, pid, 0), 0);
	kill(pid, SIGUSR1);
	sleep_ms(20);
	tracer_detach_all(t);
	fcntl(sigfd, F_SETFL, 0);
	CHECK(read(sigfd, &c, 1) == 1 && c == 'u');
	close(sigfd);
	tracer_free(t);
	target_stop(pid);
}

/* vmatlas killed with SIGKILL: the attached target runs on, untraced; the
 * launched one dies with it (PTRACE_O_EXITKILL). */
static void test_sigkill(void)
{
	pid_t target = target_start(NULL), tracer_pid, launched = 0;
	int p[2];

	if (pipe(p) < 0)
		exit(99);
	tracer_pid = fork();
	if (tracer_pid == 0) {
		struct tracer *t = tracer_new(0);
		char *argv[] = { "sleep", "1000", NULL };
		pid_t l = 0;

		if (tracer_attach(t, target, 0) < 0 || tracer_launch(t, argv, &l) < 0 ||
		    tracer_resume(t, l) < 0 || tracer_freeze(t, target) < 0)
			_exit(1);
		if (write(p[1], &l, sizeof(l)) != sizeof(l))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	CHECK(read(p[0], &launched, sizeof(launched)) == sizeof(launched));
	close(p[0]);
	CHECK(launched > 0 && kill(launched, 0) == 0);
	CHECK(threads_match(target, "t", tracer_pid) == NTHREADS + 1);
	kill(tracer_pid, SIGKILL);
	waitpid(tracer_pid, NULL, 0);
	CHECK(threads_become(target, "SR", 0) == NTHREADS + 1);
	{
		int gone = 0;

		/* The launched program was the dead tracer's child: init reaps it. */
		for (int i = 0; i < 200 && !gone; i++) {
			char st = launched > 0 ? task_state(launched, launched) : '?';
			gone = st == '?' || st == 'Z' || st == 'X';
			if (!gone)
				sleep_ms(10);
		}
		CHECK(gone);
	}
	target_stop(target);
}

/* Errors: distinct sentences. */
static void test_errors(void)
{
	struct tracer *t = tracer_new(0);
	char msg[512];
	pid_t z, pid;
	int r;

	r = tracer_attach(t, getpid(), 0);
	CHECK_EQ_U64(r, (unsigned long long)-EDEADLK);
	tracer_error_describe(getpid(), r, msg, sizeof(msg));
	CHECK(strstr(msg, "it is itself") != NULL);
	r = tracer_attach(t, getppid(), 0);
	CHECK_EQ_U64(r, (unsigned long long)-EDEADLK);
	tracer_error_describe(getppid(), r, msg, sizeof(msg));
	CHECK(strstr(msg, "its own parent") != NULL);

	/* A zombie: a child that exited, not reaped. The tracer must not reap
	 * it either (it only waits for what it traces). */
	z = fork();
	if (z == 0)
		_exit(0);
	for (int i = 0; i < 200 && task_state(z, z) != 'Z'; i++)
		sleep_ms(5);
	r = tracer_attach(t, z, 0);
	CHECK_EQ_U64(r, (unsigned long long)-ESRCH);
	tracer_error_describe(z, r, msg, sizeof(msg));
	CHECK(strstr(msg, "is a zombie") != NULL);
	{
		struct tracer_event ev;

		tracer_poll(t, &ev, 20);
		CHECK(task_state(z, z) == 'Z');
	}
	waitpid(z, NULL, 0);

	/* No such process. */
	{
		char buf[32];
		pid_t nopid;

		CHECK(read_small("/proc/sys/kernel/pid_max", buf, sizeof(buf)) == 0);
		nopid = atoi(buf) + 1;
		r = tracer_attach(t, nopid, 0);
		CHECK_EQ_U64(r, (unsigned long long)-ESRCH);
		tracer_error_describe(nopid, r, msg, sizeof(msg));
		snprintf(buf, sizeof(buf), "no such process: %d", (int)nopid);
		CHECK_STR(msg, buf);
	}

	/* Already traced by another process: named, with its comm. */
	pid = target_start(NULL);
	{
		int p[2];
		pid_t other;
		char c, want[128];

		if (pipe(p) < 0)
			exit(99);
		other = fork();
		if (other == 0) {
			struct tracer *t2 = tracer_new(0);

			prctl(PR_SET_NAME, "oth\033[31mtr");
			if (tracer_attach(t2, pid, 0) < 0 || write(p[1], "a", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(p[1]);
		CHECK(read(p[0], &c, 1) == 1);
		close(p[0]);
		r = tracer_attach(t, pid, 0);
		CHECK_EQ_U64(r, (unsigned long long)-EBUSY);
		tracer_error_describe(pid, r, msg, sizeof(msg));
		snprintf(want, sizeof(want), "already traced by process %d (oth\\x1b[31mtr)",
			 (int)other);
		CHECK(strstr(msg, want) != NULL);
		if (!strstr(msg, want))
			fprintf(stderr, "message: %s\n", msg);
		kill(other, SIGKILL);
		waitpid(other, NULL, 0);
		CHECK(threads_become(pid, "SR", 0) == NTHREADS + 1);
	}
	target_stop(pid);
	tracer_free(t);
}

/* Launch: stopped at the exec event until resumed; exit reported; a missing
 * program is ENOENT. With TRACER_FOLLOW, forks and threads are reported. */
static void test_launch(void)
{
	struct tracer *t = tracer_new(TRACER_FOLLOW);
	char *argv[] = { "sh", "-c", "sleep 0.2 & wait; exit 3", NULL };
	char *bad[] = { "/nonexistent/vmatlas-no-such-program", NULL };
	struct tracer_event ev;
	bool exec_seen = false, fork_seen = false, gone = false;
	int status = -1;
	pid_t pid = 0, child = 0;

	CHECK_EQ_U64(tracer_launch(t, bad, &pid), (unsigned long long)-ENOENT);
	CHECK_EQ_U64(tracer_launch(t, argv, &pid), 0);
	CHECK(tracer_is_launched(t, pid));
	CHECK(task_state(pid, pid) == 't');
	CHECK(tracer_poll(t, &ev, 0) == 1 && ev.kind == TEV_EXEC && ev.pid == pid);
	exec_seen = ev.kind == TEV_EXEC;
	/* Held at exec until resumed. */
	sleep_ms(50);
	CHECK(task_state(pid, pid) == 't');
	CHECK_EQ_U64(tracer_resume(t, pid), 0);
	for (int i = 0; i < 500 && !gone; i++) {
		if (tracer_poll(t, &ev, 20) != 1)
			continue;
		if (ev.kind == TEV_FORK && ev.pid == pid) {
			fork_seen = true;
			child = ev.child;
		}
		if (ev.kind == TEV_GONE && ev.pid == pid) {
			gone = true;
			status = ev.status;
		}
	}
	CHECK(exec_seen && fork_seen && gone && child > 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	tracer_free(t);

	/* Threads created while attached are auto-attached and frozen too. */
	t = tracer_new(TRACER_FOLLOW);
	{
		char *argv2[] = { "sleep", "1000", NULL };
		size_t n;
		pid_t pids[4];

		CHECK_EQ_U64(tracer_launch(t, argv2, &pid), 0);
		n = tracer_pids(t, pids, 4);
		CHECK(n == 1 && pids[0] == pid);
		CHECK_EQ_U64(tracer_freeze(t, pid), 0);
		CHECK_EQ_U64(tracer_resume(t, pid), 0);
		CHECK(task_state(pid, pid) == 't');
		CHECK_EQ_U64(tracer_thaw(t, pid, NULL), 0);
		CHECK(threads_become(pid, "S", getpid()) == 1);
	}
	tracer_free(t);
	/* Killed with its tracer's end. */
	CHECK(task_state(pid, pid) == '?');
}

/* Threads created while attached are auto-attached, reported, and frozen
 * with the others. */
static void test_new_threads(void)
{
	struct tracer *t;
	struct tracer_event ev;
	int clones = 0;
	pid_t pid;

	t = tracer_new(TRACER_FOLLOW);
	{
		int p[2];
		char c;

		if (pipe(p) < 0)
			exit(99);
		pid = fork();
		if (pid == 0) {
			pthread_t th;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
			close(p[1]);
			/* Wait until attached, then start the threads. */
			if (read(p[0], &c, 1) != 1)
				_exit(99);
			for (int i = 0; i < NTHREADS; i++)
				pthread_create(&th, NULL, thread_sleep, NULL);
			thread_sleep(NULL);
		}
		close(p[0]);
		CHECK_EQ_U64(tracer_attach(t, pid, 0), 0);
		CHECK(write(p[1], "g", 1) == 1);
		for (int i = 0; i < 200 && clones < NTHREADS; i++)
			if (tracer_poll(t, &ev, 10) == 1 && ev.kind == TEV_CLONE && ev.pid == pid)
				clones++;
		CHECK_EQ_U64(clones, NTHREADS);
		CHECK_EQ_U64(tracer_freeze(t, pid), 0);
		CHECK(threads_match(pid, "t", getpid()) == NTHREADS + 1);
		CHECK_EQ_U64(tracer_thaw(t, pid, NULL), 0);
		tracer_free(t);
		CHECK(threads_become(pid, "SR", 0) == NTHREADS + 1);
		close(p[1]);
		target_stop(pid);
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_running();
	test_stopped();
	test_freeze();
	test_signals();
	test_sigkill();
	test_errors();
	test_launch();
	test_new_threads();
	CHECK_DONE();
}
