/* Target whose main thread waits 1000 calls deep in deep_recurse, deeper
 * than vmatlas unwinds (STACKS_MAX_DEPTH frames).
 * Usage: deep READYFILE. Writes "depth=1000", then "ready", and waits
 * until killed. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#define DEPTH 1000

static volatile sig_atomic_t stop; /* never set: the wait looks finite */

__attribute__((noipa)) int deep_recurse(int n, const char *ready);

int deep_recurse(int n, const char *ready)
{
	volatile int here = n; /* read after the call: each call keeps its frame */
	FILE *f;

	if (n > 1)
		return deep_recurse(n - 1, ready) + (here > 0);
	f = fopen(ready, "w");
	if (!f || fprintf(f, "depth=%d\nready\n", DEPTH) < 0 || fclose(f) != 0)
		return -1;
	while (!stop)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	return deep_recurse(DEPTH, argv[1]) < 0;
}
