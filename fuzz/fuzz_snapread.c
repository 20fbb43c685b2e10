/* libFuzzer target: the snapshot-file reader (JSON, JSON Lines, gzip) on
 * arbitrary bytes; whatever it accepts is written back out as JSON, so the
 * writer is fuzzed on every model the reader can produce. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "vmatlas/json.h"
#include "vmatlas/snapread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapread_error err;
	struct vm_timeline *t = snapshot_read_buffer(data, size, "fuzz", &err);

	if (!t)
		return 0;
	for (size_t i = 0; i < t->nsnaps; i++) {
		json_t *doc = snapshot_to_json(t->snaps[i], OUT_PAGES);
		char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

		free(text);
		json_decref(doc);
	}
	vm_timeline_free(t);
	return 0;
}
