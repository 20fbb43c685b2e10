/* Sections and symbols from ELF images: this test program's own image
 * (known symbols), then thousands of corrupted and truncated copies of it,
 * which must give no or fewer symbols and never crash (run under ASan). */
#include "config.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/elfinfo.h"
#include "check.h"

int test_symbols_known(int x);
int test_symbols_known(int x)
{
	return x + 1;
}

static unsigned char *read_self(size_t *len)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap && !(buf = realloc(buf, cap = cap ? cap * 2 : 1 << 20)))
			abort();
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*len = n;
	return buf;
}

static const struct elf_symbol *find(const struct elf_object *o, const char *name)
{
	return elf_object_symbol_named(o, name);
}

static void test_self(const unsigned char *img, size_t len)
{
	struct elf_object *o = elf_object_from_memory(img, len);
	const struct elf_symbol *s, *at;
	const struct elf_section *sec;

	CHECK(o != NULL);
	if (!o)
		return;
	CHECK(o->is_elf);
	CHECK(o->nsections > 5);
	CHECK(o->build_id_len == 20);
	s = find(o, "test_symbols_known");
	CHECK(s != NULL);
	if (s) {
		CHECK(s->type == STT_FUNC);
		at = elf_object_symbol_at(o, s->addr + 1);
		CHECK(at == s);
		sec = elf_object_section_at(o, s->addr);
		CHECK(sec && strcmp(sec->name, ".text") == 0);
	}
	/* Sorted by address. */
	for (size_t i = 1; i < o->nsyms; i++)
		CHECK(o->syms[i - 1].addr <= o->syms[i].addr);
	elf_object_free(o);
}

/* Parse IMG and touch everything it gave. */
static void parse_all(const unsigned char *img, size_t len)
{
	struct elf_object *o = elf_object_from_memory(img, len);
	volatile size_t sum = 0;

	if (!o)
		return;
	for (size_t i = 0; i < o->nsections; i++)
		sum += strlen(o->sections[i].name);
	for (size_t i = 0; i < o->nsyms; i++) {
		sum += strlen(o->syms[i].name) + strlen(o->syms[i].raw);
		(void)elf_object_symbol_at(o, o->syms[i].addr);
	}
	(void)elf_object_symbol_named(o, "main");
	elf_object_free(o);
}

static void test_corrupt(const unsigned char *img, size_t len)
{
	unsigned char *c = malloc(len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	uint64_t seed = 12345;

	if (!c)
		abort();
	/* Truncated at 200 places. */
	for (size_t i = 1; i <= 200; i++)
		parse_all(img, len * i / 201);
	/* Random bytes in the section headers and in the first pages. */
	for (int round = 0; round < 3000; round++) {
		memcpy(c, img, len);
		for (int k = 0; k < 8; k++) {
			size_t off;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			if (round % 2 && eh->e_shoff < len)
				off = eh->e_shoff + (seed >> 33) % (len - eh->e_shoff);
			else
				off = (seed >> 33) % (len < 8192 ? len : 8192);
			c[off] = (unsigned char)(seed >> 20);
		}
		parse_all(c, len);
	}
	free(c);
}

int main(void)
{
	size_t len = 0;
	unsigned char *img = read_self(&len);

	if (!img || len < sizeof(Elf64_Ehdr)) {
		fprintf(stderr, "cannot read /proc/self/exe\n");
		return 99;
	}
	test_self(img, len);
	test_corrupt(img, len);
	free(img);
	return check_failures ? 1 : 0;
}
