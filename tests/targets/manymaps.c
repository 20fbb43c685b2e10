/* Target with many small mappings: 600 one-page mappings in a row, every
 * other one PROT_NONE and the others alternately read-only and writable
 * (so that the kernel merges none of them), the writable ones written. A
 * picture of it must stay a page high.
 * Usage: manymaps READYFILE. Writes "base=0xADDR", "maps=600" and "ready",
 * then sleeps. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "targetlib.h"

#define N 600

int main(int argc, char **argv)
{
	char line[64], *base;

	if (argc < 2)
		return 99;
	base = mmap(NULL, N * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return 99;
	for (size_t i = 0; i < N; i += 2) {
		if (mprotect(base + i * PAGE, PAGE, i % 4 ? PROT_READ | PROT_WRITE : PROT_READ) < 0)
			return 99;
		if (i % 4)
			base[i * PAGE] = 1;
	}
	snprintf(line, sizeof(line), "base=%p\nmaps=%d\nready\n", (void *)base, N);
	say(argv[1], line);
	for (;;)
		pause();
}
