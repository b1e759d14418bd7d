/* libFuzzer harness: percent-decoding (%XX, '+' as space, malformed escapes kept or refused). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/percent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every flag combination: a decoded string never grows, never gets a NUL from an escape, and a
 * failure points at a '%' inside the input. Decoding in place gives the same bytes. (A raw NUL
 * is copied as it is: every caller refuses those before decoding.) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    for (unsigned flags = 0; flags < 4; flags++) {
        size_t out_len = 0, bad_at = 0;
        char *out = percent_decode(s, size, flags, &out_len, &bad_at);
        if (!out) {
            if (bad_at >= size || s[bad_at] != '%')
                abort();
            continue;
        }
        if (out_len > size || (!memchr(s, '\0', size) && strlen(out) != out_len))
            abort();
        char *copy = malloc(size + 1);
        memcpy(copy, s, size);
        size_t in_place_len = 0;
        if (percent_decode_into(copy, copy, size, flags, &in_place_len, NULL) != 0 ||
            in_place_len != out_len || memcmp(copy, out, out_len) != 0)
            abort();
        free(copy);
        free(out);
    }
    return 0;
}
