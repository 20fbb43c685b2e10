/* open_untrusted on a tree made here: regular files only, FIFOs and
 * devices refused before they are opened, symlinks followed as the rule
 * says (anywhere, or only in root-only directories), loops, "..", relative
 * paths, and names that are not directories on the way. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmatlas/util.h"
#include "check.h"

static char dir[64];

static int try(const char *rel, enum open_links links, struct stat *st)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open_untrusted(path, links, st);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd;
}

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void link_at(const char *target, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (symlink(target, path) != 0)
		abort();
}

int main(void)
{
	struct stat st;
	char path[256];
	bool root = getuid() == 0 && geteuid() == 0;
	int any_link_root;

	snprintf(dir, sizeof(dir), "/tmp/vmatlas-openfile.XXXXXX");
	if (!mkdtemp(dir))
		return 99;
	snprintf(path, sizeof(path), "%s/sub", dir);
	if (mkdir(path, 0755) != 0)
		return 99;
	snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600) != 0)
		return 99;
	put("file", "hello\n");
	put("sub/inner", "x\n");
	link_at("file", "to-file");
	link_at("sub/../file", "dotdot");
	link_at("../file", "sub/up");
	link_at("fifo", "to-fifo");
	link_at("/dev/null", "to-dev");
	link_at("loop-b", "loop-a");
	link_at("loop-a", "loop-b");
	link_at("sub", "to-sub");

	/* Regular files, through "..", a relative path, a linked directory. */
	CHECK(try("file", OPEN_LINKS_ROOT, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 6);
	CHECK(try("sub/../file", OPEN_LINKS_ROOT, &st) == 0);
	CHECK(try("to-file", OPEN_LINKS_ANY, &st) == 0 && st.st_size == 6);
	CHECK(try("dotdot", OPEN_LINKS_ANY, &st) == 0 && st.st_size == 6);
	CHECK(try("sub/up", OPEN_LINKS_ANY, &st) == 0 && st.st_size == 6);
	CHECK(try("to-sub/inner", OPEN_LINKS_ANY, &st) == 0 && st.st_size == 2);
	if (chdir(dir) == 0) {
		int fd = open_untrusted("sub/inner", OPEN_LINKS_ROOT, &st);

		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK(chdir("/") == 0);
	}
	/* Not regular: refused, and *ST says what it is. */
	CHECK(try("fifo", OPEN_LINKS_ANY, &st) == -EINVAL && S_ISFIFO(st.st_mode));
	CHECK(try("to-fifo", OPEN_LINKS_ANY, &st) == -EINVAL && S_ISFIFO(st.st_mode));
	CHECK(try("to-dev", OPEN_LINKS_ANY, &st) == -EINVAL && S_ISCHR(st.st_mode));
	CHECK(try("sub", OPEN_LINKS_ANY, &st) == -EISDIR);
	/* Loops, missing names, a file taken for a directory. */
	CHECK(try("loop-a", OPEN_LINKS_ANY, &st) == -ELOOP);
	CHECK(try("missing", OPEN_LINKS_ANY, &st) == -ENOENT);
	CHECK(try("file/x", OPEN_LINKS_ANY, &st) == -ENOTDIR);
	/* OPEN_LINKS_ROOT: DIR is the caller's, 0700: its links are followed
	 * only when the caller is root; never in a group-writable one. */
	any_link_root = try("to-file", OPEN_LINKS_ROOT, &st);
	CHECK(root ? any_link_root == 0 : any_link_root == -ELOOP);
	CHECK(try("to-sub/inner", OPEN_LINKS_ROOT, &st) == (root ? 0 : -ELOOP));
	CHECK(chmod(dir, 0770) == 0);
	CHECK(try("to-file", OPEN_LINKS_ROOT, &st) == -ELOOP);
	CHECK(try("file", OPEN_LINKS_ROOT, &st) == 0);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 99;
	return check_failures ? 1 : 0;
}
