// Target for backtraces of C++ built with -O2 -g: a thread parked in a
// class template's member called from a namespaced function, another in
// a function of an anonymous namespace reached through an inlined call.
// Usage: cxxstacks READYFILE. Writes "ready" when both wait, then waits.
#include <pthread.h>
#include <unistd.h>

#include <cstdio>

namespace app {
namespace detail {
template <typename T, int N> struct Ring {
	T v[N];
	__attribute__((noinline)) void park(T x)
	{
		v[0] = x;
		for (;;)
			pause();
	}
};

__attribute__((noinline)) void build_index(unsigned long n)
{
	static Ring<double, 16> r;
	r.park((double)n);
}
} // namespace detail
} // namespace app

namespace {
volatile int started;

__attribute__((noinline)) void wait_here(int n)
{
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		sleep((unsigned)n);
}

inline void relay(int n) { wait_here(n); }

void *start_a(void *)
{
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	app::detail::build_index(7);
	return nullptr;
}

void *start_b(void *)
{
	relay(1000);
	return nullptr;
}
} // namespace

int main(int argc, char **argv)
{
	pthread_t a, b;
	char tmp[4096];

	if (argc != 2)
		return 2;
	if (pthread_create(&a, nullptr, start_a, nullptr) != 0 ||
	    pthread_create(&b, nullptr, start_b, nullptr) != 0)
		return 1;
	while (started < 2)
		usleep(1000);
	usleep(100000); /* into pause and sleep */
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (!f || fputs("ready\n", f) < 0 || fclose(f) != 0 || rename(tmp, argv[1]) != 0)
		return 1;
	pthread_join(a, nullptr);
	return 0;
}
