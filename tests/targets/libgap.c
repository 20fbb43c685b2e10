/* A library whose segments are 2 MiB apart (linked with
 * -z max-page-size=0x200000): ld.so maps its whole span and makes the gaps
 * PROT_NONE (noaccess.c). */
int gap_func(void);

int gap_data = 1;

int gap_func(void)
{
	return gap_data;
}
