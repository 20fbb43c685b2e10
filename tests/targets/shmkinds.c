/* Target with the shared-memory kinds and the names that /proc/PID/maps
 * prints ambiguously, each 16 pages with a known number written:
 *
 *   sysv     SysV shm segment (IPC_RMID after attaching): 3 pages written,
 *            "/SYSV00000000 (deleted)", kind shm.
 *   memfd    memfd "vmatlas test" mapped shared: 5 written,
 *            "/memfd:vmatlas test (deleted)", kind shm.
 *   shanon   shared anonymous: 7 written, "/dev/zero (deleted)", kind shm.
 *   space    shared file really named "NAME.with space (deleted)", not
 *            deleted: 11 written, kind file.
 *   gone     shared file unlinked after mapping: 13 written, kind file,
 *            deleted.
 *
 * Usage: shmkinds READYFILE. Writes KEY=0xADDR lines, then "ready", and
 * sleeps until killed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#define PAGE 4096UL

#define LEN (16 * PAGE)

static char *map_shared(int fd, size_t written)
{
	char *p;

	if (fd < 0 || ftruncate(fd, LEN) < 0)
		_exit(99);
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(99);
	close(fd);
	for (size_t i = 0; i < written; i++)
		p[i * PAGE] = 1;
	return p;
}

int main(int argc, char **argv)
{
	char path[4096], *sysv, *memfd, *shanon, *space, *gone;
	FILE *f;
	int id;

	if (argc < 2)
		return 99;
	id = shmget(IPC_PRIVATE, LEN, IPC_CREAT | 0600);
	sysv = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
	if (sysv == (char *)-1)
		return 99;
	shmctl(id, IPC_RMID, NULL);
	for (size_t i = 0; i < 3; i++)
		sysv[i * PAGE] = 1;
	memfd = map_shared(memfd_create("vmatlas test", MFD_CLOEXEC), 5);
	shanon = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shanon == MAP_FAILED)
		return 99;
	for (size_t i = 0; i < 7; i++)
		shanon[i * PAGE] = 1;
	snprintf(path, sizeof(path), "%s.with space (deleted)", argv[1]);
	space = map_shared(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), 11);
	snprintf(path, sizeof(path), "%s.gone", argv[1]);
	gone = map_shared(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), 13);
	unlink(path);

	snprintf(path, sizeof(path), "%s.tmp", argv[1]);
	f = fopen(path, "w");
	if (!f || fprintf(f, "sysv=%p\nmemfd=%p\nshanon=%p\nspace=%p\ngone=%p\nready\n",
			  (void *)sysv, (void *)memfd, (void *)shanon, (void *)space,
			  (void *)gone) < 0 || fclose(f) != 0 || rename(path, argv[1]) < 0)
		return 99;
	for (;;)
		pause();
}
