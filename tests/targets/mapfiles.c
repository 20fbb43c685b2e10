/* Target that maps the files named in argv[2..] read-only and executable
 * (as a loader would map an object's code), touches their first page, and
 * writes "map=HEX" per file and "ready" to argv[1]. For malformed ELF
 * objects: vmatlas must read no symbols from them, and not crash. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char tmp[4096];
	FILE *f;

	if (argc < 2)
		return 2;
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 1;
	for (int i = 2; i < argc; i++) {
		struct stat st;
		int fd = open(argv[i], O_RDONLY);
		void *p;

		if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0)
			return 1;
		p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			return 1;
		close(fd);
		(void)*(volatile char *)p;
		fprintf(f, "map=%lx\n", (unsigned long)p);
	}
	fprintf(f, "ready\n");
	if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
		return 1;
	for (;;)
		pause();
}
