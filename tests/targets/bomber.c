/* A program whose main thread waits inside libbomb.so's function with the
 * demangler-bomb name. Writes "bomb=HEX" (its address) and "ready" to the
 * file argv[1], then waits for a signal there. */
#include <stdio.h>
#include <unistd.h>

void bomb_wait(void) __asm__("_Z1f1a1bIS_S_ES0_IS1_S1_ES0_IS2_S2_ES0_IS3_S3_ES0_IS4_S4_ES0_IS5_S5_ES0_IS6_S6_ES0_IS7_S7_ES0_IS8_S8_ES0_IS9_S9_ES0_ISA_SA_ES0_ISB_SB_ES0_ISC_SC_ES0_ISD_SD_ES0_ISE_SE_ES0_ISF_SF_ES0_ISG_SG_ES0_ISH_SH_ES0_ISI_SI_ES0_ISJ_SJ_ES0_ISK_SK_ES0_ISL_SL_ES0_ISM_SM_ES0_ISN_SN_E");

int main(int argc, char **argv)
{
	char tmp[4096];
	FILE *f;

	if (argc != 2)
		return 2;
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "bomb=%lx\nready\n", (unsigned long)(void *)bomb_wait);
	if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
		return 1;
	bomb_wait();
	return 0;
}
