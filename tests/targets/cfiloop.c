/* Target whose unwind tables are hostile: the main thread waits in
 * spin_cfa, whose CFA rule is the DWARF expression DW_OP_skip -3 (a jump
 * onto itself: .cfi_escape 0x0f,0x03,0x2f,0xfd,0xff), a second thread in
 * spin_reg, whose rule for rbp is the same loop, and a third in an
 * ordinary function. Usage: cfiloop READYFILE; writes "tid_reg=N",
 * "tid_plain=N" and "ready", then waits until killed. Writes
 * "unsupported" instead of "ready" on other architectures than x86-64. */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile pid_t tid_reg, tid_plain;

#if defined(__x86_64__)
void spin_cfa(void);
void spin_reg(void);
/* Both loop on pause(2) (syscall 34) for ever. */
__asm__(".text\n"
	".globl spin_cfa\n.type spin_cfa,@function\nspin_cfa:\n.cfi_startproc\n"
	"\tsub $8, %rsp\n"
	".cfi_escape 0x0f,0x03,0x2f,0xfd,0xff\n"
	"1:\tmov $34, %eax\n\tsyscall\n\tjmp 1b\n"
	".cfi_endproc\n.size spin_cfa,.-spin_cfa\n"
	".globl spin_reg\n.type spin_reg,@function\nspin_reg:\n.cfi_startproc\n"
	"\tpush %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_escape 0x10,0x06,0x03,0x2f,0xfd,0xff\n"
	"2:\tmov $34, %eax\n\tsyscall\n\tjmp 2b\n"
	".cfi_endproc\n.size spin_reg,.-spin_reg\n");
#endif

__attribute__((noinline)) static void plain_wait(void)
{
	for (;;)
		pause();
}

static void *thread_reg(void *arg)
{
	tid_reg = (pid_t)syscall(SYS_gettid);
#if defined(__x86_64__)
	spin_reg();
#endif
	return arg;
}

static void *thread_plain(void *arg)
{
	tid_plain = (pid_t)syscall(SYS_gettid);
	plain_wait();
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	char tmp[4096];
	FILE *f;

	if (argc != 2)
		return 2;
	if (pthread_create(&a, NULL, thread_reg, NULL) != 0 ||
	    pthread_create(&b, NULL, thread_plain, NULL) != 0)
		return 1;
	while (!tid_reg || !tid_plain)
		usleep(1000);
	usleep(50000); /* into their loops */
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 1;
#if defined(__x86_64__)
	fprintf(f, "tid_reg=%d\ntid_plain=%d\nready\n", (int)tid_reg, (int)tid_plain);
#else
	fprintf(f, "unsupported\nready\n");
#endif
	if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
		return 1;
#if defined(__x86_64__)
	spin_cfa();
#endif
	plain_wait();
	return 0;
}
