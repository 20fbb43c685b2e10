/* Target with known symbols: a function, a global in .data, one in .bss,
 * and two threads blocked in their own functions (thread_a, thread_b).
 * Writes "KEY=HEX" lines (func, data, bss, getpid, tid_a, tid_b) and then
 * "ready" to the file argv[1], then waits for a signal. Built twice: with
 * a .symtab, and stripped with its functions exported (.dynsym only). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int vm_known_func(int x);
void *thread_a(void *arg);
void *thread_b(void *arg);

int vm_data_var = 42;
long vm_bss_var[512];
static pid_t tid_a, tid_b;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

__attribute__((noinline)) int vm_known_func(int x)
{
	return x * 3 + vm_data_var;
}

/* Tell main this thread's id. */
static void announce(pid_t *tid)
{
	pthread_mutex_lock(&lock);
	*tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

__attribute__((noinline)) void *thread_a(void *arg)
{
	announce(&tid_a);
	for (;;)
		pause();
	return arg;
}

__attribute__((noinline)) void *thread_b(void *arg)
{
	announce(&tid_b);
	for (;;)
		sleep(1000);
	return arg;
}

int main(int argc, char **argv)
{
	char tmp[4096];
	pthread_t a, b;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: symbols READY-FILE\n");
		return 2;
	}
	vm_bss_var[0] = vm_known_func((int)getpid());
	if (pthread_create(&a, NULL, thread_a, NULL) != 0 ||
	    pthread_create(&b, NULL, thread_b, NULL) != 0)
		return 1;
	pthread_mutex_lock(&lock);
	while (!tid_a || !tid_b)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "func=%lx\ndata=%lx\nbss=%lx\ngetpid=%lx\ntid_a=%d\ntid_b=%d\nready\n",
		(unsigned long)(void *)vm_known_func, (unsigned long)&vm_data_var,
		(unsigned long)vm_bss_var, (unsigned long)(void *)getpid,
		(int)tid_a, (int)tid_b);
	if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
		return 1;
	for (;;)
		pause();
}
