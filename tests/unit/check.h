/* Minimal assertions for unit tests: each failure prints file:line and the
 * test exits 1 at the end (automake: 0 pass, 1 fail, 77 skip, 99 error). */
#ifndef VMATLAS_TEST_CHECK_H
#define VMATLAS_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,     \
				__LINE__, #cond);                                \
			check_failures++;                                        \
		}                                                                \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                       \
	do {                                                                     \
		unsigned long long a_ = (unsigned long long)(a);                 \
		unsigned long long b_ = (unsigned long long)(b);                 \
		if (a_ != b_) {                                                  \
			fprintf(stderr, "%s:%d: %s == %llu (0x%llx), expected %s == %llu (0x%llx)\n", \
				__FILE__, __LINE__, #a, a_, a_, #b, b_, b_);     \
			check_failures++;                                        \
		}                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                          \
	do {                                                                     \
		const char *a_ = (a), *b_ = (b);                                 \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                         \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n",  \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)",      \
				b_ ? b_ : "(null)");                             \
			check_failures++;                                        \
		}                                                                \
	} while (0)

#define CHECK_DONE()                                                             \
	do {                                                                     \
		if (check_failures)                                              \
			fprintf(stderr, "%d check(s) failed\n", check_failures); \
		return check_failures ? 1 : 0;                                   \
	} while (0)

#endif
