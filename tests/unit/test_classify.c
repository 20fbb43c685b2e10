/* Typing of mappings and reading of ELF program headers: hand-written maps
 * text (with and without ELF headers), malformed ELF images, and a real
 * process (tests/targets/elfkinds) whose layout is known. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmatlas/classify.h"
#include "vmatlas/elfinfo.h"
#include "check.h"

static char tmpdir[] = "/tmp/test_classify.XXXXXX";
static pid_t target_pid = -1;

/* A small reader of /proc/PID/maps lines, enough for these tests. */
static void proc_from_text(struct vm_process *p, const char *text)
{
	const char *line = text;

	memset(p, 0, sizeof(*p));
	p->pid = getpid();
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[PATH_MAX + 128], *path;
		struct vm_mapping *m;
		int pos = 0;

		if (len >= sizeof(buf))
			abort();
		memcpy(buf, line, len);
		buf[len] = '\0';
		line += len + (nl ? 1 : 0);
		if (len == 0)
			continue;
		p->maps = realloc(p->maps, (p->nmaps + 1) * sizeof(*p->maps));
		if (!p->maps)
			abort();
		m = &p->maps[p->nmaps++];
		memset(m, 0, sizeof(*m));
		if (sscanf(buf, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 "%n",
			   &m->start, &m->end, m->perms, &m->offset,
			   &m->dev_major, &m->dev_minor, &m->inode, &pos) != 7)
			abort();
		path = buf + pos;
		path += strspn(path, " ");
		len = strlen(path);
		if (len > 10 && strcmp(path + len - 10, " (deleted)") == 0) {
			path[len - 10] = '\0';
			m->deleted = true;
		}
		m->path = strdup(path);
		m->kind = VK_OTHER;
	}
}

static enum vm_kind kind_at(const struct vm_process *p, uint64_t addr)
{
	ssize_t i = vm_process_find(p, addr);

	return i < 0 ? VK__COUNT : p->maps[i].kind;
}

#define CHECK_KIND(p, addr, k) CHECK_STR(vm_kind_name(kind_at(p, addr)), vm_kind_name(k))

static void test_by_name(void)
{
	static const struct {
		const char *line;
		enum vm_kind kind;
	} cases[] = {
		{ "1000-2000 rw-p 00000000 00:00 0 [heap]", VK_HEAP },
		{ "1000-2000 ---p 00000000 00:00 0 [heap]", VK_HEAP },
		{ "1000-2000 rw-p 00000000 00:00 0 [stack]", VK_STACK },
		{ "1000-2000 rw-p 00000000 00:00 0 [stack:1234]", VK_STACK },
		{ "1000-2000 r-xp 00000000 00:00 0 [vdso]", VK_VDSO },
		{ "1000-2000 r--p 00000000 00:00 0 [vvar]", VK_VVAR },
		{ "1000-2000 r--p 00000000 00:00 0 [vvar_vclock]", VK_VVAR },
		{ "1000-2000 --xp 00000000 00:00 0 [vsyscall]", VK_VSYSCALL },
		{ "1000-2000 r-xp 00000000 00:00 0 [uprobes]", VK_OTHER },
		{ "1000-2000 rw-p 00000000 00:00 0 [anon:glibc malloc]", VK_ANON },
		{ "1000-2000 ---p 00000000 00:00 0 [anon:guard]", VK_GUARD },
		{ "1000-2000 rw-s 00000000 00:01 7 [anon_shmem:ring]", VK_SHM },
		{ "1000-2000 rw-p 00000000 00:00 0 ", VK_ANON },
		{ "1000-2000 ---p 00000000 00:00 0 ", VK_GUARD },
		{ "1000-2000 ---p 00001000 fe:00 12 /usr/lib/libx.so", VK_GUARD },
		{ "1000-2000 ---s 00000000 00:01 9 /dev/shm/x", VK_GUARD },
		{ "1000-2000 rw-s 00000000 00:01 65538 /SYSV0000abcd (deleted)", VK_SHM },
		{ "1000-2000 rw-s 00000000 00:01 65538 /SYSV0000abc (deleted)", VK_OTHER },
		{ "1000-2000 rw-s 00000000 00:19 5 /dev/shm/pulse-shm-1", VK_SHM },
		{ "1000-2000 rw-s 00000000 00:01 6 /memfd:wayland (deleted)", VK_SHM },
		{ "1000-2000 r-xp 00000000 00:01 6 /memfd:jit (deleted)", VK_SHM },
		{ "1000-2000 rw-s 00000000 00:01 8 /dev/zero (deleted)", VK_SHM },
		{ "1000-2000 rw-s 00000000 00:0f 8 /anon_hugepage (deleted)", VK_SHM },
		{ "1000-2000 rw-p 00000000 00:0f 8 /anon_hugepage (deleted)", VK_ANON },
		{ "1000-2000 rw-s 00000000 00:06 5 /dev/zero", VK_OTHER },
		{ "1000-2000 r-xp 00000000 fe:00 12 /usr/lib/libx.so", VK_OTHER },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_process p;

		proc_from_text(&p, cases[i].line);
		if (strcmp(vm_kind_name(classify_by_name(&p.maps[0])),
			   vm_kind_name(cases[i].kind)) != 0) {
			fprintf(stderr, "case %zu: \"%s\" -> %s\n", i,
				cases[i].line,
				vm_kind_name(classify_by_name(&p.maps[0])));
			check_failures++;
		}
		vm_process_fini(&p);
	}
}

/* A PIE and libc as this system's gcc/glibc/kernel map them. */
static const char real_maps[] =
	"55e8b7191000-55e8b7192000 r--p 00000000 fe:00 10952953 /tmp/elfkinds\n"
	"55e8b7192000-55e8b7193000 r-xp 00001000 fe:00 10952953 /tmp/elfkinds\n"
	"55e8b7193000-55e8b7194000 r--p 00002000 fe:00 10952953 /tmp/elfkinds\n"
	"55e8b7194000-55e8b7195000 r--p 00002000 fe:00 10952953 /tmp/elfkinds\n"
	"55e8b7195000-55e8b7196000 rw-p 00003000 fe:00 10952953 /tmp/elfkinds\n"
	"55e8b7196000-55e8b7296000 rw-p 00000000 00:00 0 \n"
	"55e8e400a000-55e8e402b000 rw-p 00000000 00:00 0 [heap]\n"
	"7f2c07800000-7f2c07900000 r--p 00000000 fe:00 4242 /usr/lib/locale/locale-archive\n"
	"7f2c07900000-7f2c07901000 rw-s 00000000 fe:00 4243 /tmp/shared.dat\n"
	"7f2c07901000-7f2c07902000 rw-p 00000000 00:00 0 \n"
	"7f2c0790f000-7f2c07912000 rw-p 00000000 00:00 0 \n"
	"7f2c07912000-7f2c07938000 r--p 00000000 fe:00 332835 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f2c07938000-7f2c07a8e000 r-xp 00026000 fe:00 332835 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f2c07a8e000-7f2c07ae1000 r--p 0017c000 fe:00 332835 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f2c07ae1000-7f2c07ae5000 r--p 001cf000 fe:00 332835 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f2c07ae5000-7f2c07ae7000 rw-p 001d3000 fe:00 332835 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f2c07ae7000-7f2c07af4000 rw-p 00000000 00:00 0 \n"
	"7f2c07af4000-7f2c07af5000 ---p 00000000 00:00 0 \n"
	"7f2c07aff000-7f2c07b01000 rw-p 00000000 00:00 0 \n"
	"7f2c07b01000-7f2c07b05000 r--p 00000000 00:00 0 [vvar]\n"
	"7f2c07b05000-7f2c07b07000 r--p 00000000 00:00 0 [vvar_vclock]\n"
	"7f2c07b07000-7f2c07b09000 r-xp 00000000 00:00 0 [vdso]\n"
	"7ffcc6f91000-7ffcc6fb2000 rw-p 00000000 00:00 0 [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n";

static void test_without_cache(void)
{
	struct vm_process p;

	proc_from_text(&p, real_maps);
	p.mm.valid = true;
	p.mm.start_brk = 0x55e8e400a000;
	classify_process(&p, NULL);
	CHECK_KIND(&p, 0x55e8b7191000, VK_RODATA);
	CHECK_KIND(&p, 0x55e8b7192000, VK_TEXT);
	CHECK_KIND(&p, 0x55e8b7193000, VK_RODATA);
	CHECK_KIND(&p, 0x55e8b7194000, VK_RODATA); /* RELRO: no headers */
	CHECK_KIND(&p, 0x55e8b7195000, VK_DATA);
	CHECK_KIND(&p, 0x55e8b7196000, VK_BSS);
	CHECK_KIND(&p, 0x55e8e400a000, VK_HEAP);
	CHECK_KIND(&p, 0x7f2c07800000, VK_FILE);  /* no code in it */
	CHECK_KIND(&p, 0x7f2c07900000, VK_FILE);  /* shared: not an object */
	CHECK_KIND(&p, 0x7f2c07901000, VK_ANON);  /* after a non-object */
	CHECK_KIND(&p, 0x7f2c0790f000, VK_ANON);
	CHECK_KIND(&p, 0x7f2c07912000, VK_RODATA);
	CHECK_KIND(&p, 0x7f2c07938000, VK_TEXT);
	CHECK_KIND(&p, 0x7f2c07ae1000, VK_RODATA);
	CHECK_KIND(&p, 0x7f2c07ae5000, VK_DATA);
	CHECK_KIND(&p, 0x7f2c07ae7000, VK_BSS);
	CHECK_KIND(&p, 0x7f2c07af4000, VK_GUARD);
	CHECK_KIND(&p, 0x7f2c07aff000, VK_ANON);
	CHECK_KIND(&p, 0x7f2c07b01000, VK_VVAR);
	CHECK_KIND(&p, 0x7f2c07b05000, VK_VVAR);
	CHECK_KIND(&p, 0x7f2c07b07000, VK_VDSO);
	CHECK_KIND(&p, 0x7ffcc6f91000, VK_STACK);
	CHECK_KIND(&p, 0xffffffffff600000, VK_VSYSCALL);
	CHECK_EQ_U64(p.mm.brk, 0x55e8e402b000);
	vm_process_fini(&p);

	/* No [heap]: the heap is empty, brk == start_brk. A brk already
	 * known is kept. */
	proc_from_text(&p, "1000-2000 rw-p 00000000 00:00 0 \n");
	p.mm.valid = true;
	p.mm.start_brk = 0x5000;
	classify_process(&p, NULL);
	CHECK_EQ_U64(p.mm.brk, 0x5000);
	vm_process_fini(&p);
	proc_from_text(&p, "1000-2000 rw-p 00000000 00:00 0 [heap]\n");
	p.mm.valid = true;
	p.mm.brk = 0x1800;
	classify_process(&p, NULL);
	CHECK_EQ_U64(p.mm.brk, 0x1800);
	vm_process_fini(&p);
}

/* ---- synthetic ELF images ------------------------------------------ */

struct load {
	uint64_t offset, vaddr, filesz, memsz;
	unsigned flags;
};

/* Write an ELF64 header and program headers for LOADS into BUF (zeroed,
 * SIZE bytes). */
static void elf64_build(unsigned char *buf, size_t size, const struct load *loads,
			size_t n)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	memset(buf, 0, size);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)n;
	for (size_t i = 0; i < n; i++) {
		Elf64_Phdr ph = {
			.p_type = PT_LOAD, .p_flags = loads[i].flags,
			.p_offset = loads[i].offset, .p_vaddr = loads[i].vaddr,
			.p_paddr = loads[i].vaddr, .p_filesz = loads[i].filesz,
			.p_memsz = loads[i].memsz, .p_align = 0x1000,
		};
		memcpy(buf + sizeof(*eh) + i * sizeof(ph), &ph, sizeof(ph));
	}
}

/* The layout of tests/targets/elfkinds as gcc 12 links it. */
static const struct load pie_loads[] = {
	{ 0x0000, 0x0000, 0x818, 0x818, PF_R },
	{ 0x1000, 0x1000, 0x35d, 0x35d, PF_R | PF_X },
	{ 0x2000, 0x2000, 0x13c, 0x13c, PF_R },
	{ 0x2dd0, 0x3dd0, 0x28c, 0x1002b0, PF_R | PF_W },
};
#define PIE_SIZE 0x3060

/* Everything in one file page: text and data share offset 0. */
static const struct load tiny_loads[] = {
	{ 0x000, 0x0000, 0x800, 0x800, PF_R | PF_X },
	{ 0xe10, 0x1e10, 0x100, 0x3000, PF_R | PF_W },
};
#define TINY_SIZE 0xf10

static void file_write(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
}

static struct stat file_make(const char *name, const struct load *loads,
			     size_t n, size_t size, char *path)
{
	unsigned char *buf = malloc(size);
	struct stat st;

	if (!buf)
		exit(99);
	snprintf(path, PATH_MAX, "%s/%s", tmpdir, name);
	if (loads)
		elf64_build(buf, size, loads, n);
	else
		memset(buf, 'x', size);
	file_write(path, buf, size);
	free(buf);
	if (stat(path, &st) != 0)
		exit(99);
	return st;
}

/* Maps text for a file: LINES has "%s" for "MAJ:MIN INODE PATH". */
static char *maps_for(const char *lines, const struct stat *st, const char *path)
{
	char id[PATH_MAX + 64], *out;
	size_t cap = strlen(lines) * 2 + 16 * (strlen(path) + 64);
	const char *s = lines;
	char *d;

	snprintf(id, sizeof(id), "%02x:%02x %ju %s", major(st->st_dev),
		 minor(st->st_dev), (uintmax_t)st->st_ino, path);
	out = d = malloc(cap);
	if (!out)
		exit(99);
	while (*s) {
		if (s[0] == '%' && s[1] == 's') {
			d += sprintf(d, "%s", id);
			s += 2;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
	return out;
}

/* Fill P from LINES for the file at PATH and classify it through C. */
static void classify_text(struct vm_process *p, const char *lines,
			  const struct stat *st, const char *path,
			  struct elf_cache *c)
{
	char *text = maps_for(lines, st, path);

	proc_from_text(p, text);
	free(text);
	classify_process(p, c);
}

static void test_with_cache(void)
{
	char pie[PATH_MAX], tiny[PATH_MAX], plain[PATH_MAX];
	struct stat pst, tst, fst;
	struct elf_cache *c = elf_cache_new();
	struct vm_process p;

	CHECK(c != NULL);
	pst = file_make("pie", pie_loads, 4, PIE_SIZE, pie);
	tst = file_make("tiny", tiny_loads, 2, TINY_SIZE, tiny);
	fst = file_make("plain", NULL, 0, 0x2000, plain);

	classify_text(&p,
		"10000-11000 r--p 00000000 %s\n"
		"11000-12000 r-xp 00001000 %s\n"
		"12000-13000 r--p 00002000 %s\n"
		"13000-14000 r--p 00002000 %s\n"
		"14000-15000 rw-p 00003000 %s\n"
		"15000-115000 rw-p 00000000 00:00 0 \n"
		"200000-201000 r--p 00000000 %s\n"
		"201000-202000 r-xp 00001000 %s\n"
		"202000-203000 r--p 00002000 %s\n"
		"203000-204000 r--p 00002000 %s\n"
		"204000-205000 rw-p 00003000 %s\n"
		"205000-306000 rw-p 00000000 00:00 0 \n"
		"400000-401000 rw-p 00005000 %s\n"
		"401000-402000 rw-p 00000000 00:00 0 \n",
		&pst, pie, c);
	CHECK_KIND(&p, 0x10000, VK_RODATA);
	CHECK_KIND(&p, 0x11000, VK_TEXT);
	CHECK_KIND(&p, 0x12000, VK_RODATA);
	CHECK_KIND(&p, 0x13000, VK_DATA); /* RELRO part of the RW segment */
	CHECK_KIND(&p, 0x14000, VK_DATA);
	CHECK_KIND(&p, 0x15000, VK_BSS);  /* ends at bias + 0x105000 */
	/* A second copy whose anonymous tail goes past memsz: not bss. */
	CHECK_KIND(&p, 0x203000, VK_DATA);
	CHECK_KIND(&p, 0x205000, VK_ANON);
	/* A data page whose address fits no segment: a plain file mapping,
	 * and what follows is not bss. */
	CHECK_KIND(&p, 0x400000, VK_FILE);
	CHECK_KIND(&p, 0x401000, VK_ANON);
	vm_process_fini(&p);

	/* Without headers the RELRO page is rodata, the rest agrees. */
	classify_text(&p,
		"10000-11000 r--p 00000000 %s\n"
		"11000-12000 r-xp 00001000 %s\n"
		"13000-14000 r--p 00002000 %s\n"
		"14000-15000 rw-p 00003000 %s\n"
		"15000-115000 rw-p 00000000 00:00 0 \n",
		&pst, pie, NULL);
	CHECK_KIND(&p, 0x13000, VK_RODATA);
	CHECK_KIND(&p, 0x15000, VK_BSS);
	vm_process_fini(&p);

	/* Text and data from the same file page (offset 0 twice). */
	classify_text(&p,
		"7000000-7001000 r-xp 00000000 %s\n"
		"7001000-7002000 rw-p 00000000 %s\n"
		"7002000-7005000 rw-p 00000000 00:00 0 \n"
		"7005000-7006000 rw-p 00000000 00:00 0 \n",
		&tst, tiny, c);
	CHECK_KIND(&p, 0x7000000, VK_TEXT);
	CHECK_KIND(&p, 0x7001000, VK_DATA);
	CHECK_KIND(&p, 0x7002000, VK_BSS);
	CHECK_KIND(&p, 0x7005000, VK_ANON);
	vm_process_fini(&p);

	/* A non-ELF file with code permissions is a plain file when its
	 * headers can be read; a mapping whose inode does not match what is
	 * at its path (replaced file) falls back to permissions. */
	classify_text(&p, "9000-a000 r-xp 00000000 %s\n", &fst, plain, c);
	CHECK_KIND(&p, 0x9000, VK_FILE);
	p.maps[0].inode++;
	errno = 0;
	CHECK(elf_cache_get(c, p.pid, &p.maps[0]) == NULL && errno == ESTALE);
	classify_process(&p, c);
	CHECK_KIND(&p, 0x9000, VK_TEXT);
	vm_process_fini(&p);

	/* The cache reads a file once per (dev, inode, mtime). */
	{
		struct vm_mapping m = {
			.start = 0x10000, .end = 0x11000,
			.dev_major = major(tst.st_dev),
			.dev_minor = minor(tst.st_dev), .inode = tst.st_ino,
			.path = tiny, .perms = "r-xp",
		};
		const struct elf_object *o1 = elf_cache_get(c, getpid(), &m);
		const struct elf_object *o2 = elf_cache_get(c, getpid(), &m);
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { 12345, 0 } };
		unsigned char buf[TINY_SIZE];
		int fd;

		CHECK(o1 != NULL && o1 == o2);
		CHECK(o1 && o1->is_elf && o1->nloads == 2);
		/* Rewrite in place with one segment and another mtime. */
		elf64_build(buf, sizeof(buf), tiny_loads, 1);
		fd = open(tiny, O_WRONLY);
		CHECK(fd >= 0 && pwrite(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
		CHECK(fd >= 0 && futimens(fd, ts) == 0);
		if (fd >= 0)
			close(fd);
		/* Within a pass the file is not opened again; the next pass
		 * (the next refresh) sees the change. */
		CHECK(elf_cache_get(c, getpid(), &m) == o1);
		elf_cache_pass(c);
		o2 = elf_cache_get(c, getpid(), &m);
		CHECK(o2 && o2->is_elf && o2->nloads == 1);
		CHECK(o2 && o2->mtime_ns == 12345000000000LL);
		/* Not a regular file: refused before it is opened. */
		m.path = (char *)"/dev/null";
		CHECK(elf_cache_get(c, getpid(), &m) == NULL);
	}

	/* More distinct files than the cache holds: bounded, still right. */
	for (int i = 0; i < 300; i++) {
		char name[32], path[PATH_MAX];
		struct stat st;
		struct vm_mapping m = { .start = 0x1000, .end = 0x2000 };
		const struct elf_object *o;

		snprintf(name, sizeof(name), "obj%d", i);
		st = file_make(name, tiny_loads, 1 + i % 2, TINY_SIZE, path);
		m.dev_major = major(st.st_dev);
		m.dev_minor = minor(st.st_dev);
		m.inode = st.st_ino;
		m.path = path;
		o = elf_cache_get(c, getpid(), &m);
		CHECK(o && o->nloads == (size_t)(1 + i % 2) && o->inode == st.st_ino);
		unlink(path);
	}
	elf_cache_free(c);
}

/* ---- malformed ELF images ------------------------------------------ */

static void test_malformed(void)
{
	unsigned char img[PIE_SIZE], bad[PIE_SIZE];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)bad;
	Elf64_Phdr *ph = (Elf64_Phdr *)(bad + sizeof(Elf64_Ehdr));
	struct elf_object *o;
	unsigned seed = 1;

	elf64_build(img, sizeof(img), pie_loads, 4);
	o = elf_object_from_memory(img, sizeof(img));
	CHECK(o && o->is_elf && o->e_type == ET_DYN && o->nloads == 4);
	if (o && o->nloads == 4) {
		CHECK_EQ_U64(o->loads[3].vaddr, 0x3dd0);
		CHECK_EQ_U64(o->loads[3].memsz, 0x1002b0);
		CHECK_EQ_U64(o->loads[3].offset, 0x2dd0);
		CHECK_EQ_U64(o->loads[3].filesz, 0x28c);
		CHECK_EQ_U64(o->loads[3].flags, PF_R | PF_W);
		CHECK_EQ_U64(o->loads[1].flags, PF_R | PF_X);
	}
	elf_object_free(o);

	/* Not ELF, empty, truncated header. */
	o = elf_object_from_memory("hello", 5);
	CHECK(o && !o->is_elf && o->nloads == 0);
	elf_object_free(o);
	o = elf_object_from_memory(img, 0);
	CHECK(o && !o->is_elf);
	elf_object_free(o);
	o = elf_object_from_memory(img, 40);
	CHECK(o && !o->is_elf && o->nloads == 0);
	elf_object_free(o);
	/* Header whole, program headers cut: none read. */
	o = elf_object_from_memory(img, sizeof(Elf64_Ehdr) + 100);
	CHECK(o && o->nloads == 0);
	elf_object_free(o);

#define MUTATE(stmt, expect)                                               \
	do {                                                               \
		memcpy(bad, img, sizeof(bad));                             \
		stmt;                                                      \
		o = elf_object_from_memory(bad, sizeof(bad));              \
		CHECK(o != NULL);                                          \
		if (o && o->nloads != (expect)) {                          \
			fprintf(stderr, "%s: %zu loads\n", #stmt, o->nloads); \
			check_failures++;                                  \
		}                                                          \
		elf_object_free(o);                                        \
	} while (0)

	MUTATE(eh->e_phnum = 0xffff, 0);
	MUTATE(eh->e_phnum = PN_XNUM, 0); /* no section 0 to say more */
	MUTATE(eh->e_phoff = PIE_SIZE + 8, 0);
	MUTATE(eh->e_phoff = UINT64_MAX - 8, 0);
	MUTATE(eh->e_phoff = PIE_SIZE - 100, 0);
	MUTATE(eh->e_phentsize = 32, 0);
	MUTATE(eh->e_phentsize = 0, 0);
	MUTATE(ph[3].p_filesz = PIE_SIZE, 3);
	MUTATE(ph[3].p_offset = UINT64_MAX - 4, 3);
	MUTATE(ph[3].p_memsz = 0x10, 3);          /* memsz < filesz */
	MUTATE(ph[3].p_vaddr = UINT64_MAX - 0x100, 3);
	MUTATE(ph[2].p_vaddr = 0x1100, 3);        /* overlaps text */
	MUTATE(ph[0].p_type = PT_NOTE, 3);
	MUTATE(eh->e_ident[EI_CLASS] = 7, 0);

	/* Random corruption of the headers: never a crash or a hang. */
	for (int i = 0; i < 20000; i++) {
		size_t len = sizeof(bad);

		memcpy(bad, img, sizeof(bad));
		for (int j = 0; j < 1 + i % 8; j++) {
			size_t at = (size_t)rand_r(&seed) % (sizeof(Elf64_Ehdr) +
							     4 * sizeof(Elf64_Phdr));
			bad[at] = (unsigned char)rand_r(&seed);
		}
		if (i % 5 == 0)
			len = (size_t)rand_r(&seed) % sizeof(bad);
		o = elf_object_from_memory(bad, len);
		CHECK(o != NULL);
		for (size_t k = 0; o && k < o->nloads; k++)
			CHECK(o->loads[k].offset + o->loads[k].filesz <= len &&
			      o->loads[k].filesz <= o->loads[k].memsz);
		elf_object_free(o);
	}
}

/* ---- a real process -------------------------------------------------- */

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			if (!buf)
				exit(99);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static ssize_t find_lib_text(const struct vm_process *p, const char *lib)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (strstr(p->maps[i].path, lib) && strcmp(p->maps[i].perms, "r-xp") == 0)
			return (ssize_t)i;
	return -1;
}

static ssize_t find_name(const struct vm_process *p, const char *name)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (strcmp(p->maps[i].path, name) == 0)
			return (ssize_t)i;
	return -1;
}

static void check_real(struct vm_process *p, struct elf_cache *c,
		       const uint64_t a[5])
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t bss = a[2], bss_end = a[2] + a[4];
	uint64_t first_full = (bss + pg - 1) & ~(pg - 1);
	ssize_t i;

	classify_process(p, c);
	CHECK_KIND(p, a[0], VK_TEXT);
	CHECK_KIND(p, a[1], VK_DATA);
	CHECK_KIND(p, a[3], VK_RODATA);
	/* bss_buf starts mid-page after .data: that page is the file-backed
	 * rw-p mapping (data); every later page is the anonymous bss. */
	CHECK(bss != first_full);
	CHECK_KIND(p, bss, VK_DATA);
	CHECK_KIND(p, first_full - 1, VK_DATA);
	CHECK_KIND(p, first_full, VK_BSS);
	CHECK_KIND(p, bss_end - 1, VK_BSS);
	i = vm_process_find(p, first_full);
	CHECK(i >= 0 && p->maps[i].start == first_full &&
	      p->maps[i].end == ((bss_end + pg - 1) & ~(pg - 1)));
	i = find_lib_text(p, "/libc.so");
	CHECK(i >= 0 && p->maps[i].kind == VK_TEXT);
	i = find_name(p, "[heap]");
	CHECK(i >= 0 && p->maps[i].kind == VK_HEAP);
	i = find_name(p, "[stack]");
	CHECK(i >= 0 && p->maps[i].kind == VK_STACK);
}

static void test_real_process(const char *argv0)
{
	char exe[PATH_MAX], ready[PATH_MAX], path[64], *text = NULL;
	const char *targets = getenv("TARGETS");
	uint64_t a[5];
	struct vm_process p;
	struct elf_cache *c;
	FILE *f = NULL;
	int tries;

	if (targets)
		snprintf(exe, sizeof(exe), "%s/elfkinds", targets);
	else
		snprintf(exe, sizeof(exe), "%.*s/../targets/elfkinds",
			 (int)(strrchr(argv0, '/') ? strrchr(argv0, '/') - argv0 : 1),
			 strrchr(argv0, '/') ? argv0 : ".");
	snprintf(ready, sizeof(ready), "%s/ready", tmpdir);
	target_pid = fork();
	if (target_pid < 0)
		exit(99);
	if (target_pid == 0) {
		execl(exe, exe, ready, (char *)NULL);
		_exit(127);
	}
	for (tries = 0; tries < 1000 && !(f = fopen(ready, "r")); tries++) {
		if (waitpid(target_pid, NULL, WNOHANG) != 0) {
			target_pid = -1; /* exited (exec failed?) */
			break;
		}
		usleep(10000);
	}
	if (!f || fscanf(f, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64,
			 &a[0], &a[1], &a[2], &a[3], &a[4]) != 5) {
		fprintf(stderr, "%s did not get ready\n", exe);
		exit(99);
	}
	fclose(f);
	CHECK_EQ_U64(a[4], 1u << 20);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)target_pid);
	text = read_all(path);
	if (!text)
		exit(99);
	proc_from_text(&p, text);
	p.pid = target_pid;
	c = elf_cache_new();
	check_real(&p, c, a);
	check_real(&p, c, a); /* again, from the cache */
	elf_cache_free(c);
	check_real(&p, NULL, a); /* by permissions alone */
	vm_process_fini(&p);
	free(text);
}

static void cleanup(void)
{
	char cmd[PATH_MAX];

	if (target_pid > 0) {
		kill(target_pid, SIGKILL);
		waitpid(target_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "%s/ready", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/pie", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/tiny", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/plain", tmpdir);
	unlink(cmd);
	rmdir(tmpdir);
}

int main(int argc, char **argv)
{
	if (!mkdtemp(tmpdir))
		return 99;
	atexit(cleanup);
	test_by_name();
	test_without_cache();
	test_with_cache();
	test_malformed();
	test_real_process(argv[0]);
	CHECK_DONE();
}
