/* A program linked with libmymalloc.so (before libc, as a program linked
 * with -ljemalloc is): the dynamic linker binds its malloc, and libc's own
 * calls, to libmymalloc's. Writes "malloc=HEX" (the malloc it calls) and
 * "ready" to the file argv[1], then waits for a signal. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	void *(*volatile m)(size_t) = malloc;
	char tmp[4096];
	FILE *f;

	if (argc != 2)
		return 2;
	free(m(16));
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "malloc=%lx\nready\n", (unsigned long)(void *)m);
	if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
		return 1;
	for (;;)
		pause();
}
