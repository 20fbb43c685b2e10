/* libbomb.so: a function whose symbol is a "demangler bomb", a 267-byte
 * C++ name of nested substitutions, each level twice the one before,
 * whose demangled form is about 200 MB:
 * f(a, b<a, a>, b<b<a, a>, b<a, a> >, ...), 23 levels deep. */
#include <unistd.h>

void bomb_wait(void) __asm__("_Z1f1a1bIS_S_ES0_IS1_S1_ES0_IS2_S2_ES0_IS3_S3_ES0_IS4_S4_ES0_IS5_S5_ES0_IS6_S6_ES0_IS7_S7_ES0_IS8_S8_ES0_IS9_S9_ES0_ISA_SA_ES0_ISB_SB_ES0_ISC_SC_ES0_ISD_SD_ES0_ISE_SE_ES0_ISF_SF_ES0_ISG_SG_ES0_ISH_SH_ES0_ISI_SI_ES0_ISJ_SJ_ES0_ISK_SK_ES0_ISL_SL_ES0_ISM_SM_ES0_ISN_SN_E");

void bomb_wait(void)
{
	for (;;)
		pause();
}
