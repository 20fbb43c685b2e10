/* Sections and symbols from ELF images: this test program's own image
 * (known symbols), then thousands of corrupted and truncated copies of it,
 * which must give no or fewer symbols and never crash (run under ASan). */
#include "config.h"

#include <elf.h>
#include <errno.h>
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
	return elf_object_symbol_named(o, name, false, 0);
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
		bool nearest;

		at = elf_object_symbol_at(o, s->addr + 1, &nearest);
		CHECK(at == s && !nearest);
		CHECK(elf_object_symbol_named(o, "test_symbols_known", true, 0) == s);
		/* A deadline already past ends the walk. */
		errno = 0;
		CHECK(elf_object_symbol_named(o, "test_symbols_known", true, 1) == NULL &&
		      errno == ETIMEDOUT);
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
		bool nearest;

		sum += strlen(o->syms[i].raw);
		(void)elf_object_symbol_at(o, o->syms[i].addr, &nearest);
	}
	(void)elf_object_symbol_named(o, "main", false, 0);
	(void)elf_object_symbol_named(o, "ns::f(int)", true, 0);
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

/* Demangling: names as c++filt gives them, and a bomb (23 levels of
 * nested substitutions, about 200 MB demangled) refused at once. */
static void test_demangle(void)
{
	static const char bomb[] =
		"_Z1f1a1bIS_S_ES0_IS1_S1_ES0_IS2_S2_ES0_IS3_S3_ES0_IS4_S4_ES0_IS5"
		"_S5_ES0_IS6_S6_ES0_IS7_S7_ES0_IS8_S8_ES0_IS9_S9_ES0_ISA_SA_ES0_I"
		"SB_SB_ES0_ISC_SC_ES0_ISD_SD_ES0_ISE_SE_ES0_ISF_SF_ES0_ISG_SG_ES0"
		"_ISH_SH_ES0_ISI_SI_ES0_ISJ_SJ_ES0_ISK_SK_ES0_ISL_SL_ES0_ISM_SM_ES0_ISN_SN_E";
	char *d = elf_demangle("_ZN12vmatlas_test7Counter4bumpEi");

	CHECK(d && strcmp(d, "vmatlas_test::Counter::bump(int)") == 0);
	free(d);
	d = elf_demangle("_ZN4RingIdLi16EE4pushEd");
	CHECK(d && strcmp(d, "Ring<double, 16>::push(double)") == 0);
	free(d);
	errno = 0;
	CHECK(elf_demangle("main") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(elf_demangle("_Zfoo") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(elf_demangle(bomb) == NULL && errno == EINVAL);
	CHECK(elf_demangled_is("_ZN4RingIdLi16EE4pushEd", "Ring<double, 16>::push(double)"));
	CHECK(elf_demangled_is("_ZN4RingIdLi16EE4pushEd", "Ring<double, 16>::push"));
	CHECK(!elf_demangled_is("_ZN4RingIdLi16EE4pushEd", "Ring<double, 16>::pus"));
	CHECK(!elf_demangled_is("_ZN4RingIdLi16EE4pushEd", "Ring<double, 16>::push(double) const"));
	CHECK(elf_demangled_is("_ZN12_GLOBAL__N_11fEv", "(anonymous namespace)::f()"));
	CHECK(!elf_demangled_is(bomb, "f(a, b<a, a>)"));
	/* Its name before the parameter list: found without printing those. */
	CHECK(elf_demangled_is(bomb, "f"));
}

int main(void)
{
	size_t len = 0;
	unsigned char *img = read_self(&len);

	if (!img || len < sizeof(Elf64_Ehdr)) {
		fprintf(stderr, "cannot read /proc/self/exe\n");
		return 99;
	}
	test_demangle();
	test_self(img, len);
	test_corrupt(img, len);
	free(img);
	return check_failures ? 1 : 0;
}
