/* libmymalloc.so: an allocator that interposes malloc, as jemalloc or
 * tcmalloc do, for the interpose target. It hands the work to glibc's own
 * allocator, so that glibc's free stays right, and counts the calls. */
#include <stddef.h>

extern void *__libc_malloc(size_t n);
void *malloc(size_t n);
unsigned long mymalloc_calls;

void *malloc(size_t n)
{
	mymalloc_calls++;
	return __libc_malloc(n);
}
