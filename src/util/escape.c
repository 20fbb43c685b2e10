/* Escaping of untrusted names (paths, comm, cmdline, symbols) before they
 * reach a terminal or a text file: nothing the target controls is printed
 * raw. JSON output does not use this: jansson escapes and round-trips. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmatlas/util.h"

/* Length of a valid UTF-8 sequence at S (at most N bytes), 0 if invalid.
 * Overlong forms, surrogates and code points above U+10FFFF are invalid. */
static size_t utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], need, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		need = 1, min = 0x80, c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2, min = 0x800, c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return need + 1;
}

/* Code points that must not reach a terminal: C1 controls and the
 * bidirectional overrides/isolates (Trojan Source, CVE-2021-42574). */
static int cp_is_dangerous(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f ||
	       cp == 0x061c;
}

char *escape_untrusted_n(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	/* Worst case: every byte becomes \xNN (4), or a 3-byte sequence
	 * becomes \uNNNN (6 for 3 bytes); 4x plus one is enough. */
	char *out = malloc(len * 4 + 1), *o = out;
	size_t i = 0;

	if (!out)
		return NULL;
	while (i < len) {
		unsigned cp;
		size_t l = utf8_len(p + i, len - i, &cp);

		if (l == 0) {
			o += sprintf(o, "\\x%02x", p[i]);
			i++;
		} else if (l == 1 && (cp < 0x20 || cp == 0x7f)) {
			switch (cp) {
			case '\n': o += sprintf(o, "\\n"); break;
			case '\t': o += sprintf(o, "\\t"); break;
			case '\r': o += sprintf(o, "\\r"); break;
			default: o += sprintf(o, "\\x%02x", cp);
			}
			i++;
		} else if (l == 1 && cp == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			i++;
		} else if (cp_is_dangerous(cp)) {
			o += sprintf(o, "\\u%04x", cp);
			i += l;
		} else {
			memcpy(o, p + i, l);
			o += l;
			i += l;
		}
	}
	*o = '\0';
	return out;
}

char *escape_untrusted(const char *s)
{
	return escape_untrusted_n(s ? s : "", s ? strlen(s) : 0);
}

char *escape_mapping_path(const char *path, bool deleted)
{
	static const char suffix[] = " (deleted)";
	const size_t slen = sizeof(suffix) - 1;
	char *e = escape_untrusted(path), *out;
	size_t n;

	if (!e)
		return NULL;
	n = strlen(e);
	if (!deleted && (n < slen || strcmp(e + n - slen, suffix) != 0))
		return e;
	/* Room for " (deleted)" or for the space as \x20 (3 more bytes). */
	out = realloc(e, n + slen + 1);
	if (!out) {
		free(e);
		return NULL;
	}
	if (deleted) {
		memcpy(out + n, suffix, slen + 1);
	} else {
		/* The kernel's marker is a suffix: a live file named so would
		 * read as deleted (fs/d_path.c prepend " (deleted)"). */
		memmove(out + n - slen + 4, out + n - slen + 1, slen);
		memcpy(out + n - slen, "\\x20", 4);
	}
	return out;
}
