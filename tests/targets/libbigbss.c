/* A library with a 1 MiB .bss (bssmerge.c merges anonymous memory after
 * it). */
char big_bss[1 << 20];
char *bss_touch(void);

char *bss_touch(void)
{
	big_bss[0] = 1;
	return big_bss;
}
