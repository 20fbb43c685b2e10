/* maps_parse on /proc/PID/maps text written inline, as the kernel prints it
 * (fs/proc/task_mmu.c show_map_vma: the path starts at column 74 on 64-bit,
 * or after a single extra space when the prefix is longer). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/procfs.h"
#include "check.h"

static void free_maps(struct vm_mapping *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		vm_mapping_fini(&m[i]);
	free(m);
}

/* Parse TEXT from an exact-size heap copy, so reading past LEN is caught
 * by the sanitizers and valgrind. */
static int parse(const char *text, size_t len, struct vm_mapping **m, size_t *n,
		 size_t *bad)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, text, len);
	ret = maps_parse(copy, len, m, n, bad);
	free(copy);
	return ret;
}

static void test_typical(void)
{
	static const char text[] =
		"55cb89aaf000-55cb89ab1000 r--p 00000000 fe:00 247498                     /usr/bin/head\n"
		"55cb89ab1000-55cb89ab7000 r-xp 00002000 fe:00 247498                     /usr/bin/head\n"
		"55cb8a81a000-55cb8a85c000 rw-p 00000000 00:00 0                          [heap]\n"
		"7ff5a2c66000-7ff5a2c69000 rw-p 00000000 00:00 0 \n"
		"7ff5a2c69000-7ff5a2c6a000 rw-s 00000000 00:01 1031                       /memfd:x (deleted)\n"
		"7ff5a2c6a000-7ff5a2c6b000 rw-s 00000000 00:01 32769                      /SYSV00000000 (deleted)\n"
		"7ff5a2c6b000-7ff5a2c6c000 rw-s 00000000 00:01 4                          /dev/zero (deleted)\n"
		"7ff5a2c6c000-7ff5a2c6d000 r--p 00000000 fe:00 1234                       /tmp/my lib.so\n"
		"7ff5a2c6d000-7ff5a2c6e000 r--p 00000000 fe:00 1235                       /tmp/x (deleted) (deleted)\n"
		"7ff5a2c6e000-7ff5a2c6f000 rw-p 00000000 00:00 0                          [anon:my name]\n"
		"7ff5a2c6f000-7ff5a2c70000 r--p 00000000 fe:00 1236                       /tmp/a\\012b\n"
		"7ff5a2ef2000-7ff5a2ef6000 r--p 00000000 00:00 0                          [vvar]\n"
		"7ff5a2ef6000-7ff5a2ef8000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
		"7ff5a2ef8000-7ff5a2efa000 r-xp 00000000 00:00 0                          [vdso]\n"
		"7ff5a2efa000-7ff5a2efb000 r--p 00000000 00:00 0                          [future]\n"
		"7ffda9da8000-7ffda9dc9000 rw-p 00000000 00:00 0                          [stack]\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";
	struct vm_mapping *m = NULL;
	size_t n = 0, bad = 0;

	CHECK_EQ_U64(parse(text, strlen(text), &m, &n, &bad), 0);
	CHECK_EQ_U64(n, 17);
	if (n != 17) {
		free_maps(m, n);
		return;
	}
	CHECK_EQ_U64(m[0].start, 0x55cb89aaf000);
	CHECK_EQ_U64(m[0].end, 0x55cb89ab1000);
	CHECK_STR(m[0].perms, "r--p");
	CHECK_EQ_U64(m[0].offset, 0);
	CHECK_EQ_U64(m[0].dev_major, 0xfe);
	CHECK_EQ_U64(m[0].dev_minor, 0);
	CHECK_EQ_U64(m[0].inode, 247498);
	CHECK_STR(m[0].path, "/usr/bin/head");
	CHECK(!m[0].deleted);
	CHECK_EQ_U64(m[0].kind, VK_OTHER);
	CHECK(m[0].runs == NULL && m[0].sections == NULL);
	CHECK_EQ_U64(m[0].pages.total, 0);

	CHECK_STR(m[1].perms, "r-xp");
	CHECK_EQ_U64(m[1].offset, 0x2000);
	CHECK_STR(m[2].path, "[heap]");

	/* Anonymous: an empty string, never NULL. */
	CHECK(m[3].path != NULL);
	CHECK_STR(m[3].path, "");
	CHECK(!m[3].deleted);
	CHECK_EQ_U64(m[3].inode, 0);

	CHECK_STR(m[4].path, "/memfd:x");
	CHECK(m[4].deleted);
	CHECK_STR(m[4].perms, "rw-s");
	CHECK_EQ_U64(m[4].dev_minor, 1);
	CHECK_STR(m[5].path, "/SYSV00000000");
	CHECK(m[5].deleted);
	CHECK_EQ_U64(m[5].inode, 32769);
	CHECK_STR(m[6].path, "/dev/zero");
	CHECK(m[6].deleted);

	CHECK_STR(m[7].path, "/tmp/my lib.so");
	CHECK(!m[7].deleted);
	/* Only the last suffix is the kernel's. */
	CHECK_STR(m[8].path, "/tmp/x (deleted)");
	CHECK(m[8].deleted);
	CHECK_STR(m[9].path, "[anon:my name]");
	/* Escapes stay as printed. */
	CHECK_STR(m[10].path, "/tmp/a\\012b");
	CHECK_EQ_U64(strlen(m[10].path), 11);
	CHECK_STR(m[11].path, "[vvar]");
	CHECK_STR(m[12].path, "[vvar_vclock]");
	CHECK_STR(m[13].path, "[vdso]");
	CHECK_STR(m[14].path, "[future]");
	CHECK_EQ_U64(m[14].kind, VK_OTHER);
	CHECK_STR(m[15].path, "[stack]");
	/* Last line without '\n'. */
	CHECK_EQ_U64(m[16].start, 0xffffffffff600000ull);
	CHECK_EQ_U64(m[16].end, 0xffffffffff601000ull);
	CHECK_STR(m[16].perms, "--xp");
	CHECK_STR(m[16].path, "[vsyscall]");
	free_maps(m, n);
}

/* Parse a text of one line; NULL (and a failed check) otherwise. */
static struct vm_mapping *parse_one(const char *text)
{
	struct vm_mapping *m = NULL;
	size_t n = 0, bad = 0;

	CHECK_EQ_U64(parse(text, strlen(text), &m, &n, &bad), 0);
	CHECK_EQ_U64(n, 1);
	if (n != 1) {
		free_maps(m, n);
		return NULL;
	}
	return m;
}

/* A file really named "x (deleted)" prints exactly like a deleted "x": the
 * parser reads the suffix as the kernel's (procfs_collect resolves it). */
static void test_deleted_ambiguity(void)
{
	struct vm_mapping *m = parse_one(
		"1000-2000 r--p 00000000 fe:00 77                         /tmp/x (deleted)\n");

	if (m) {
		CHECK_STR(m[0].path, "/tmp/x");
		CHECK(m[0].deleted);
	}
	free_maps(m, 1);
}

static void test_empty(void)
{
	struct vm_mapping *m = (struct vm_mapping *)&m;
	size_t n = 99, bad = 0;

	CHECK_EQ_U64(maps_parse("", 0, &m, &n, &bad), 0);
	CHECK_EQ_U64(n, 0);
	CHECK(m == NULL);
	CHECK_EQ_U64(bad, 0);
}

/* The padding is only a minimum: a long prefix gets one extra space. */
static void test_long_prefix(void)
{
	struct vm_mapping *m = parse_one(
		"ffffffff00000000-ffffffff00001000 rw-s 123456789abcdef0 fff:fffff 18446744073709551615  /p\n");

	if (m) {
		CHECK_EQ_U64(m[0].offset, 0x123456789abcdef0ull);
		CHECK_EQ_U64(m[0].dev_major, 0xfff);
		CHECK_EQ_U64(m[0].dev_minor, 0xfffff);
		CHECK_EQ_U64(m[0].inode, 18446744073709551615ull);
		CHECK_STR(m[0].path, "/p");
	}
	free_maps(m, 1);
}

static void test_long_path(void)
{
	const char *prefix = "400000-401000 r-xp 00000000 08:01 12                           /";
	size_t plen = strlen(prefix), namelen = 5000;
	char *text = malloc(plen + namelen + 2);
	struct vm_mapping *m = NULL;
	size_t n = 0, bad = 0;

	memcpy(text, prefix, plen);
	for (size_t i = 0; i < namelen; i++)
		text[plen + i] = i % 100 == 99 ? '/' : 'a' + (char)(i % 26);
	text[plen + namelen] = '\n';
	CHECK_EQ_U64(parse(text, plen + namelen + 1, &m, &n, &bad), 0);
	CHECK_EQ_U64(n, 1);
	if (n == 1) {
		CHECK_EQ_U64(strlen(m[0].path), namelen + 1);
		CHECK(memcmp(m[0].path, text + plen - 1, namelen + 1) == 0);
	}
	free_maps(m, n);
	free(text);
}

static void test_many(void)
{
	const size_t count = 100000;
	size_t cap = count * 100, len = 0, n = 0, bad = 0;
	char *text = malloc(cap);
	struct vm_mapping *m = NULL;

	for (size_t i = 0; i < count; i++) {
		uint64_t start = 0x10000000ull + i * 0x2000;
		len += (size_t)snprintf(text + len, cap - len,
			"%08llx-%08llx rw-p %08zx 00:00 %zu                          /f%zu\n",
			(unsigned long long)start, (unsigned long long)(start + 0x1000),
			i, i, i);
	}
	CHECK_EQ_U64(parse(text, len, &m, &n, &bad), 0);
	CHECK_EQ_U64(n, count);
	if (n == count) {
		CHECK_EQ_U64(m[0].start, 0x10000000);
		CHECK_STR(m[0].path, "/f0");
		CHECK_EQ_U64(m[count - 1].start, 0x10000000ull + (count - 1) * 0x2000);
		CHECK_EQ_U64(m[count - 1].end, 0x10000000ull + (count - 1) * 0x2000 + 0x1000);
		CHECK_EQ_U64(m[count - 1].offset, count - 1);
		CHECK_EQ_U64(m[count - 1].inode, count - 1);
		CHECK_STR(m[count - 1].path, "/f99999");
	}
	free_maps(m, n);
	free(text);
}

#define GOOD "1000-2000 r-xp 00000000 08:01 12                         /bin/x\n"

static const struct {
	const char *text;
	size_t line;
} bad_cases[] = {
	{ "zz00-2000 r-xp 00000000 08:01 12 /a\n", 1 },
	{ GOOD "3000-2g00 r-xp 00000000 08:01 12 /a\n", 2 },
	{ GOOD "0x3000-4000 r-xp 00000000 08:01 12 /a\n", 2 },
	{ GOOD "3000-3000 r-xp 00000000 08:01 12 /a\n", 2 },       /* start == end */
	{ GOOD "4000-3000 r-xp 00000000 08:01 12 /a\n", 2 },       /* start > end */
	{ GOOD "3000-4000 rwzp 00000000 08:01 12 /a\n", 2 },       /* perms */
	{ GOOD "3000-4000 r-xq 00000000 08:01 12 /a\n", 2 },
	{ GOOD "3000-4000 xr-p 00000000 08:01 12 /a\n", 2 },
	{ GOOD "3000-4000 r-x 00000000 08:01 12 /a\n", 2 },
	{ GOOD "3000-4000 r-xpp 00000000 08:01 12 /a\n", 2 },
	{ GOOD "3000-4000 r-xp 00000000 08:01\n", 2 },             /* no inode */
	{ GOOD "3000-4000 r-xp 00000000 08:01 \n", 2 },
	{ GOOD "3000-4000 r-xp 00000000 0801 12 /a\n", 2 },
	{ GOOD "3000-4000 r-xp\n", 2 },
	{ GOOD "3000-4000\n", 2 },
	{ GOOD "\n" GOOD, 2 },                                     /* empty line */
	{ GOOD "3000-4000  r-xp 00000000 08:01 12 /a\n", 2 },      /* two spaces */
	{ GOOD "3000-4000 r-xp 00000000 08:01 12x /a\n", 2 },
	{ GOOD "3000-4000 r-xp 00000000 08:01 -12 /a\n", 2 },
	{ GOOD "3000-4000 r-xp 0000000g 08:01 12 /a\n", 2 },
	{ GOOD "3000-4000 r-xp 00000000 08:0g 12 /a\n", 2 },
	{ "10000000000000000-10000000000000001 r-xp 00000000 08:01 12 /a\n", 1 },
	{ GOOD "3000-10000000000000000 r-xp 00000000 08:01 12 /a\n", 2 },
	{ GOOD "3000-4000 r-xp 10000000000000000 08:01 12 /a\n", 2 },
	{ GOOD "3000-4000 r-xp 00000000 100000000:01 12 /a\n", 2 }, /* > 32 bits */
	{ GOOD "3000-4000 r-xp 00000000 08:100000000 12 /a\n", 2 },
	{ GOOD "3000-4000 r-xp 00000000 08:01 18446744073709551616 /a\n", 2 },
	{ GOOD "0800-0900 r-xp 00000000 08:01 12 /a\n", 2 },       /* unsorted */
	{ GOOD "1800-2800 r-xp 00000000 08:01 12 /a\n", 2 },       /* overlap */
	{ GOOD GOOD, 2 },                                          /* duplicate */
	{ GOOD "2000-3000 r-xp 00000000 08:01 12 /a\n"
	  "2800-4000 r-xp 00000000 08:01 12 /a", 3 },
};

static void test_malformed(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct vm_mapping *sentinel = (struct vm_mapping *)&bad_cases;
		struct vm_mapping *m = sentinel;
		size_t n = 12345, bad = 0;
		int ret = parse(bad_cases[i].text, strlen(bad_cases[i].text), &m, &n, &bad);

		if (ret != -EINVAL || bad != bad_cases[i].line)
			fprintf(stderr, "case %zu: %s\n", i, bad_cases[i].text);
		CHECK_EQ_U64(ret, -EINVAL);
		CHECK_EQ_U64(bad, bad_cases[i].line);
		CHECK(m == sentinel);
		CHECK_EQ_U64(n, 12345);
	}
}

/* A NUL inside a path would silently cut it short. */
static void test_nul_in_path(void)
{
	static const char text[] = GOOD "3000-4000 r-xp 00000000 08:01 12 /a\0b\n";
	struct vm_mapping *m = NULL;
	size_t n = 0, bad = 0;

	CHECK_EQ_U64(parse(text, sizeof(text) - 1, &m, &n, &bad), -EINVAL);
	CHECK_EQ_U64(bad, 2);
	CHECK(m == NULL);
}

/* LEN bounds the parse even when more text follows in memory. */
static void test_len_bound(void)
{
	static const char text[] = GOOD "garbage";
	struct vm_mapping *m = NULL;
	size_t n = 0, bad = 0;

	CHECK_EQ_U64(maps_parse(text, strlen(GOOD), &m, &n, &bad), 0);
	CHECK_EQ_U64(n, 1);
	if (n == 1)
		CHECK_STR(m[0].path, "/bin/x");
	free_maps(m, n);
	/* Cut in the middle of the path: the path ends there. */
	CHECK_EQ_U64(maps_parse(text, strlen(GOOD) - 3, &m, &n, &bad), 0);
	CHECK_EQ_U64(n, 1);
	if (n == 1)
		CHECK_STR(m[0].path, "/bin");
	free_maps(m, n);
}

int main(void)
{
	test_typical();
	test_deleted_ambiguity();
	test_empty();
	test_long_prefix();
	test_long_path();
	test_many();
	test_malformed();
	test_nul_in_path();
	test_len_bound();
	CHECK_DONE();
}
