/* Percent-decoding (%XX escapes, optionally '+' as space) for form bodies, URLs and paths. */
#include "server/core/percent.h"

#include <stdlib.h>

#include "server/core/xalloc.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int percent_decode_into(char *out, const char *s, size_t n, unsigned flags, size_t *out_len,
                        size_t *bad_at)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+' && (flags & PERCENT_PLUS_IS_SPACE)) {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = n - i > 2 ? hex_value(s[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
            if ((lo < 0 && !(flags & PERCENT_KEEP_MALFORMED)) || (hi == 0 && lo == 0)) {
                if (bad_at)
                    *bad_at = i;
                return -1;
            }
            if (lo < 0) {
                out[o++] = s[i];
                continue;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return 0;
}

char *percent_decode(const char *s, size_t n, unsigned flags, size_t *out_len, size_t *bad_at)
{
    char *buf = xmalloc(n + 1);
    if (percent_decode_into(buf, s, n, flags, out_len, bad_at) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
