/* Target with no-access mappings of both kinds:
 *
 *   reserve  1 GiB mmap(PROT_NONE): reserved.
 *   stack    a thread's stack (pthread default), with the guard page
 *            glibc puts right below it: guard.
 *   lib      the library ARGV[2] (dlopen), linked with 2 MiB segment
 *            alignment: ld.so makes the gaps between its segments
 *            PROT_NONE, parts of its file mapping: guard.
 *
 * Usage: noaccess READYFILE LIBRARY. Writes KEY=0xADDR lines and "ready",
 * then sleeps until killed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "targetlib.h"

static char *stack_var;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *thread_main(void *arg)
{
	volatile char here = 0;

	pthread_mutex_lock(&mu);
	stack_var = (char *)&here;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	for (;;)
		pause();
	return arg;
}

int main(int argc, char **argv)
{
	char line[256], *reserve;
	void *lib, *fn;
	pthread_t th;

	if (argc < 3)
		return 99;
	reserve = mmap(NULL, 1UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	lib = dlopen(argv[2], RTLD_NOW);
	fn = lib ? dlsym(lib, "gap_func") : NULL;
	if (reserve == MAP_FAILED || !fn || pthread_create(&th, NULL, thread_main, NULL) != 0)
		return 99;
	pthread_mutex_lock(&mu);
	while (!stack_var)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	snprintf(line, sizeof(line), "reserve=%p\nstack=%p\nlib=%p\nready\n", (void *)reserve,
		 (void *)stack_var, fn);
	say(argv[1], line);
	for (;;)
		pause();
}
