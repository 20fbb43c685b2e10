// C++ target: a function in a namespace and a member function, whose
// demangled names vmatlas must show. Writes "func=HEX" (compute) and
// "ready" to the file argv[1], then waits for a signal.
#include <cstdio>
#include <unistd.h>

namespace vmatlas_test {
struct Counter {
	long n = 0;
	__attribute__((noinline)) long bump(int by);
};

long Counter::bump(int by)
{
	n += by;
	return n;
}

__attribute__((noinline)) int compute(int x, double y)
{
	return x + static_cast<int>(y);
}
} // namespace vmatlas_test

vmatlas_test::Counter global_counter;

int main(int argc, char **argv)
{
	char tmp[4096];
	std::FILE *f;

	if (argc != 2)
		return 2;
	global_counter.bump(vmatlas_test::compute(1, 2.0));
	std::snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = std::fopen(tmp, "w");
	if (!f)
		return 1;
	std::fprintf(f, "func=%lx\nready\n",
		     reinterpret_cast<unsigned long>(&vmatlas_test::compute));
	if (std::fclose(f) != 0 || std::rename(tmp, argv[1]) != 0)
		return 1;
	for (;;)
		pause();
}
