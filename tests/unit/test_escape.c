/* Untrusted names reach a terminal only escaped; the command line's
 * numbers and addresses are read one way everywhere. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "vmatlas/util.h"

static void check_escape(const char *in, size_t len, const char *want)
{
	char *got = escape_untrusted_n(in, len);
	CHECK_STR(got, want);
	free(got);
}

/* addr_spec_parse: WANT_NAME NULL for an address. */
static void check_addr(const char *arg, int want_r, const char *want_name, uint64_t want_addr,
		       uint64_t want_off, bool want_hex_name)
{
	struct addr_spec s;
	int r = addr_spec_parse(arg, &s);

	CHECK_EQ_U64(r, want_r);
	if (r == 0) {
		CHECK(!s.name == !want_name);
		if (want_name)
			CHECK_STR(s.name, want_name);
		CHECK_EQ_U64(s.off, want_off);
		CHECK(s.hex_name == want_hex_name);
		if (!want_name || want_hex_name)
			CHECK_EQ_U64(s.addr, want_addr);
	}
	addr_spec_free(&s);
}

static void check_mapping_path(const char *path, bool deleted, const char *want)
{
	char *got = escape_mapping_path(path, deleted);
	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	pid_t pid;
	uint64_t v;

	check_escape("plain/path.so", 13, "plain/path.so");
	check_escape("with space", 10, "with space");
	check_escape("\033[31mred", 8, "\\x1b[31mred");
	check_escape("\033]0;title\007", 10, "\\x1b]0;title\\x07");
	check_escape("a\rb\bc\td\ne", 9, "a\\rb\\x08c\\td\\ne");
	check_escape("\xc2\x9b" "2J", 4, "\\u009b2J");      /* C1 CSI as UTF-8 */
	check_escape("\x9b" "2J", 3, "\\x9b2J");            /* raw C1 byte */
	check_escape("\xe2\x80\xae" "evil", 7, "\\u202eevil"); /* RLO */
	check_escape("caf\xc3\xa9", 5, "caf\xc3\xa9");       /* valid UTF-8 kept */
	check_escape("\xc0\xaf", 2, "\\xc0\\xaf");           /* overlong */
	check_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");  /* surrogate */
	check_escape("\xf0\x9f\x98", 3, "\\xf0\\x9f\\x98");  /* truncated */
	check_escape("back\\slash", 10, "back\\\\slash");
	check_escape("nul\0byte", 8, "nul\\x00byte");
	check_escape("\x7f", 1, "\\x7f");
	check_escape("", 0, "");

	/* A deleted file and a live file named "x (deleted)" read differently. */
	check_mapping_path("/tmp/x", true, "/tmp/x (deleted)");
	check_mapping_path("/tmp/x (deleted)", false, "/tmp/x\\x20(deleted)");
	check_mapping_path("/tmp/x (deleted)", true, "/tmp/x (deleted) (deleted)");
	check_mapping_path("/tmp/\033 (deleted)", false, "/tmp/\\x1b\\x20(deleted)");
	check_mapping_path(" (deleted)", false, "\\x20(deleted)");
	check_mapping_path("(deleted)", false, "(deleted)");
	check_mapping_path("/lib/libc.so.6", false, "/lib/libc.so.6");
	check_mapping_path("", false, "");

	CHECK(parse_pid("123", &pid) == 0 && pid == 123);
	CHECK(parse_pid("0", &pid) < 0);
	CHECK(parse_pid("-1", &pid) < 0);
	CHECK(parse_pid("0x10", &pid) < 0);
	CHECK(parse_pid("12a", &pid) < 0);
	CHECK(parse_pid("", &pid) < 0);
	CHECK(parse_pid("2147483648", &pid) < 0);
	CHECK(parse_u64("0x7fff0000", &v) == 0 && v == 0x7fff0000);
	CHECK(parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX);
	CHECK(parse_u64("18446744073709551616", &v) == -ERANGE);
	CHECK(parse_u64("0x", &v) < 0);
	CHECK(parse_u64(" 1", &v) < 0);

	/* One address language for 'vmatlas addr' and the screen's 'a'. */
	check_addr("0x7fff0000", 0, NULL, 0x7fff0000, 0, false);
	check_addr("7fff0000", 0, NULL, 0x7fff0000, 0, false);       /* as maps prints it */
	check_addr("4096", 0, NULL, 0x4096, 0, false);               /* hex, never decimal */
	check_addr("0XFFFFFFFFFFFFFFFF", 0, NULL, UINT64_MAX, 0, false);
	check_addr("00000000000000000001", 0, NULL, 1, 0, false);    /* leading zeros */
	check_addr("1ffffffffffffffff", -EINVAL, NULL, 0, 0, false); /* 65 bits */
	check_addr("0x", -EINVAL, NULL, 0, 0, false);
	check_addr("12abz", -EINVAL, NULL, 0, 0, false);
	check_addr("", -EINVAL, NULL, 0, 0, false);
	check_addr("main", 0, "main", 0, 0, false);
	check_addr("main+0x1c", 0, "main", 0, 0x1c, false);
	check_addr("main+28", 0, "main", 0, 28, false);              /* offsets as gdb's */
	check_addr("main+0xzz", -EINVAL, NULL, 0, 0, false);
	check_addr("main+12q", -EINVAL, NULL, 0, 0, false);
	check_addr("+4", -EINVAL, NULL, 0, 0, false);
	check_addr("main+", 0, "main+", 0, 0, false);
	check_addr("operator++(int)", 0, "operator++(int)", 0, 0, false);
	check_addr("Ring<double, 16>::push(double)+4", 0, "Ring<double, 16>::push(double)", 0, 4, false);
	check_addr("beef", 0, "beef", 0xbeef, 0, true);              /* a symbol, else 0xbeef */
	check_addr("ffffffffff600000", 0, "ffffffffff600000", 0xffffffffff600000, 0, true);
	check_addr("beef+4", 0, "beef", 0, 4, false);
	CHECK_DONE();
}
