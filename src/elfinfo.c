/* Program headers of the ELF objects a process maps, read with libelf.
 *
 * Files are read with ELF_C_READ (pread on demand: the ELF header, then the
 * program header table) or from a private copy with elf_memory(); never with
 * ELF_C_READ_MMAP, whose mapping a concurrent truncate would turn into
 * SIGBUS. Every field is checked against the file size before use. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vmatlas/elfinfo.h"

/* Files larger than this are not parsed (treated as non-ELF). */
#define ELF_MAX_SIZE (1ull << 30)
/* More program headers than this is not a loadable object (PN_XNUM can
 * claim up to 2^32 through section 0). */
#define ELF_MAX_PHNUM 65535u
#define ELF_CACHE_MAX 256

void elf_object_free(struct elf_object *o)
{
	if (!o)
		return;
	free(o->path);
	free(o->loads);
	free(o);
}

static bool range_fits(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Keep a PT_LOAD only if it is self-consistent and does not overlap the
 * previous one (the ELF spec requires ascending p_vaddr; the kernel's
 * MAP_FIXED would let a later segment replace an earlier one). */
static bool load_is_sane(const GElf_Phdr *ph, uint64_t size,
			 const struct elf_segment *prev)
{
	if (ph->p_memsz == 0 || ph->p_filesz > ph->p_memsz)
		return false;
	if (ph->p_vaddr + ph->p_memsz < ph->p_vaddr)
		return false;
	if (!range_fits(ph->p_offset, ph->p_filesz, size))
		return false;
	if (prev && ph->p_vaddr < prev->vaddr + prev->memsz)
		return false;
	return true;
}

/* Fill O from E, a file of SIZE bytes. A malformed object leaves is_elf
 * false or drops the segments that do not make sense; only ENOMEM fails. */
static int elf_object_parse(struct elf_object *o, Elf *e, uint64_t size)
{
	GElf_Ehdr eh;
	size_t phnum, entsize;
	int cls;

	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return 0;
	cls = gelf_getclass(e);
	if (cls == ELFCLASS32)
		entsize = sizeof(Elf32_Phdr);
	else if (cls == ELFCLASS64)
		entsize = sizeof(Elf64_Phdr);
	else
		return 0;
	o->is_elf = true;
	o->e_type = eh.e_type;
	if (eh.e_phoff == 0 || elf_getphdrnum(e, &phnum) != 0 || phnum == 0)
		return 0;
	if (eh.e_phentsize != entsize || phnum > ELF_MAX_PHNUM ||
	    !range_fits(eh.e_phoff, (uint64_t)phnum * entsize, size))
		return 0;

	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		struct elf_segment *s, *prev;

		if (!gelf_getphdr(e, (int)i, &ph))
			break; /* short read: keep what was read */
		prev = o->nloads ? &o->loads[o->nloads - 1] : NULL;
		if (ph.p_type != PT_LOAD || !load_is_sane(&ph, size, prev))
			continue;
		if (!o->loads) {
			/* At most phnum entries, bounded by the file size. */
			o->loads = calloc(phnum, sizeof(*o->loads));
			if (!o->loads)
				return -ENOMEM;
		}
		s = &o->loads[o->nloads++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->flags = ph.p_flags & (PF_R | PF_W | PF_X);
	}
	return 0;
}

static struct elf_object *elf_object_new(const char *path)
{
	struct elf_object *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->path = strdup(path ? path : "");
	if (!o->path) {
		free(o);
		return NULL;
	}
	return o;
}

struct elf_object *elf_object_from_memory(const void *image, size_t size)
{
	struct elf_object *o;
	char *copy = NULL;
	Elf *e = NULL;
	int err = 0;

	o = elf_object_new("");
	if (!o)
		return NULL;
	if (!image || size == 0 || size > ELF_MAX_SIZE)
		return o;
	(void)elf_version(EV_CURRENT);
	/* libelf may convert the image in place; the caller's stays const. */
	copy = malloc(size);
	if (!copy) {
		err = ENOMEM;
		goto out;
	}
	memcpy(copy, image, size);
	e = elf_memory(copy, size);
	if (e && elf_object_parse(o, e, size) < 0)
		err = ENOMEM;
out:
	if (e)
		elf_end(e);
	free(copy);
	if (err) {
		elf_object_free(o);
		errno = err;
		return NULL;
	}
	return o;
}

/* Read the object open on FD (a regular file of SIZE bytes). */
static int elf_object_read_fd(struct elf_object *o, int fd, uint64_t size)
{
	Elf *e;
	int ret;

	if (size > ELF_MAX_SIZE)
		return 0;
	(void)elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return 0; /* not readable as ELF: a plain file */
	ret = elf_object_parse(o, e, size);
	elf_end(e);
	return ret;
}

/* The kernel prints a newline in a mapped file's name as "\012"
 * (fs/proc/task_mmu.c: seq_file_path(m, file, "\n")). */
static char *path_unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *d = out;

	if (!out)
		return NULL;
	while (*s) {
		if (strncmp(s, "\\012", 4) == 0) {
			*d++ = '\n';
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
	return out;
}

/* Open REL (relative to DIRFD, or absolute) as an O_PATH descriptor without
 * following symlinks: the kernel's name for a mapped file is a resolved path,
 * so a symlink on it means the tree changed under us. */
static int open_path_nofollow(int dirfd, const char *rel, bool in_root)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS |
			   (in_root ? RESOLVE_IN_ROOT : 0),
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS && !in_root)
		fd = openat(dirfd, rel, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : (int)fd;
}

/* Turn an O_PATH descriptor of the mapped file into a readable one, after
 * checking it is the regular file with M's identity: nothing but a regular
 * file is ever opened for reading (no FIFO, no device side effects). */
static int reopen_checked(int pathfd, const struct vm_mapping *m,
			  struct stat *st)
{
	char buf[64];
	int fd;

	if (fstat(pathfd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_dev != makedev(m->dev_major, m->dev_minor) ||
	    st->st_ino != m->inode)
		return -ESTALE;
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", pathfd);
	fd = open(buf, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	return fd;
}

/* Open the file M maps, as process PID sees it. 0 or -errno; on success
 * *FD is readable and *ST describes it. */
static int mapped_file_open(pid_t pid, const struct vm_mapping *m, int *fd,
			    struct stat *st)
{
	char buf[PATH_MAX];
	char *path = NULL;
	int pfd, rootfd = -1, ret;

	if (!m->path || m->path[0] == '\0' || m->path[0] == '[')
		return -EINVAL; /* not a file mapping */
	/* fs/proc/base.c: map_files/ names are "%lx-%lx"; following them
	 * needs CAP_SYS_ADMIN in the initial user namespace. They work for
	 * deleted and renamed files too. */
	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)pid, m->start, m->end);
	pfd = open(buf, O_PATH | O_CLOEXEC);
	if (pfd >= 0)
		goto check;
	ret = -errno;
	if (m->deleted || m->path[0] != '/')
		return ret;

	path = path_unescape(m->path);
	if (!path)
		return -ENOMEM;
	/* The maps path is d_path() relative to the READER's root (ours), so
	 * try it as is first; a target in another mount namespace may only
	 * be reachable through its root. The identity check decides. */
	pfd = open_path_nofollow(AT_FDCWD, path, false);
	if (pfd < 0) {
		snprintf(buf, sizeof(buf), "/proc/%d/root", (int)pid);
		rootfd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0) {
			ret = -errno;
			goto out;
		}
		pfd = open_path_nofollow(rootfd, path + 1, true);
		if (pfd < 0) {
			ret = pfd;
			goto out;
		}
	}
check:
	ret = reopen_checked(pfd, m, st);
	if (ret >= 0 || ret != -ESTALE || rootfd >= 0 || !path)
		goto done;
	/* Our view of the path is another file: try the target's root. */
	close(pfd);
	snprintf(buf, sizeof(buf), "/proc/%d/root", (int)pid);
	rootfd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		goto out;
	pfd = open_path_nofollow(rootfd, path + 1, true);
	if (pfd < 0)
		goto out;
	ret = reopen_checked(pfd, m, st);
done:
	close(pfd);
	if (ret >= 0) {
		*fd = ret;
		ret = 0;
	}
out:
	if (rootfd >= 0)
		close(rootfd);
	free(path);
	return ret;
}

static struct elf_object *elf_object_from_fd(int fd, const struct stat *st,
					     const char *path)
{
	struct elf_object *o = elf_object_new(path);

	if (!o)
		return NULL;
	o->dev = st->st_dev;
	o->inode = st->st_ino;
	o->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 +
		      st->st_mtim.tv_nsec;
	if (elf_object_read_fd(o, fd, (uint64_t)st->st_size) < 0) {
		elf_object_free(o);
		errno = ENOMEM;
		return NULL;
	}
	return o;
}

struct elf_object *elf_object_load(pid_t pid, const struct vm_mapping *m)
{
	struct elf_object *o;
	struct stat st;
	int fd, ret;

	ret = mapped_file_open(pid, m, &fd, &st);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	o = elf_object_from_fd(fd, &st, m->path);
	ret = errno;
	close(fd);
	errno = ret;
	return o;
}

/* ---- cache ---------------------------------------------------------- */

struct elf_cache_entry {
	struct elf_object *obj; /* owned */
	uint64_t last_use;
};

struct elf_cache {
	struct elf_cache_entry e[ELF_CACHE_MAX];
	size_t n;
	uint64_t clock;
};

struct elf_cache *elf_cache_new(void)
{
	return calloc(1, sizeof(struct elf_cache));
}

void elf_cache_free(struct elf_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		elf_object_free(c->e[i].obj);
	free(c);
}

/* The file is opened and fstat'ed on every call (cheap); its headers are
 * read only when (dev, inode, mtime) is new. Failures to open are not
 * cached: they are cheap to retry and may go away (a process that gains
 * permission, a file put back). Non-ELF files are cached as is_elf false. */
const struct elf_object *elf_cache_get(struct elf_cache *c, pid_t pid,
				       const struct vm_mapping *m)
{
	struct elf_cache_entry *slot = NULL;
	struct elf_object *o;
	struct stat st;
	int64_t mtime;
	int fd, ret;

	ret = mapped_file_open(pid, m, &fd, &st);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	c->clock++;
	for (size_t i = 0; i < c->n; i++) {
		o = c->e[i].obj;
		if (o->dev != st.st_dev || o->inode != st.st_ino)
			continue;
		if (o->mtime_ns == mtime) {
			close(fd);
			c->e[i].last_use = c->clock;
			return o;
		}
		slot = &c->e[i]; /* same file, rewritten: replace */
		break;
	}
	o = elf_object_from_fd(fd, &st, m->path);
	ret = errno;
	close(fd);
	if (!o) {
		errno = ret;
		return NULL;
	}
	if (!slot && c->n < ELF_CACHE_MAX)
		slot = &c->e[c->n++];
	if (!slot) {
		slot = &c->e[0];
		for (size_t i = 1; i < c->n; i++)
			if (c->e[i].last_use < slot->last_use)
				slot = &c->e[i];
	}
	elf_object_free(slot->obj);
	slot->obj = o;
	slot->last_use = c->clock;
	return o;
}
