/* HTML text escaping for server-rendered pages: entities, invalid UTF-8 and control bytes made safe. */
#include "server/http/html.h"

#include <string.h>

#include "server/core/utf8.h"
#include "server/core/xalloc.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */
#define ELLIPSIS "\xe2\x80\xa6"    /* U+2026 */

static void append(char **out, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap *= 2;
        *out = xrealloc(*out, *cap);
    }
    memcpy(*out + *len, data, n);
    *len += n;
    (*out)[*len] = '\0';
}

char *html_escape(const char *s, size_t max_bytes)
{
    size_t cap = 64, len = 0;
    char *out = xmalloc(cap);
    out[0] = '\0';
    if (!s)
        return out;

    const unsigned char *p = (const unsigned char *)s;
    size_t total = strlen(s), used = 0;
    while (used < total) {
        unsigned cp = 0;
        size_t n = utf8_decode(p + used, total - used, &cp);
        size_t step = n ? n : 1;
        if (max_bytes && used + step > max_bytes) {
            append(&out, &len, &cap, ELLIPSIS, strlen(ELLIPSIS));
            break;
        }
        if (n == 0)
            append(&out, &len, &cap, REPLACEMENT, strlen(REPLACEMENT));
        else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            append(&out, &len, &cap, " ", 1);
        else if (cp == '&')
            append(&out, &len, &cap, "&amp;", 5);
        else if (cp == '<')
            append(&out, &len, &cap, "&lt;", 4);
        else if (cp == '>')
            append(&out, &len, &cap, "&gt;", 4);
        else if (cp == '"')
            append(&out, &len, &cap, "&quot;", 6);
        else if (cp == '\'')
            append(&out, &len, &cap, "&#39;", 5);
        else
            append(&out, &len, &cap, (const char *)p + used, n);
        used += step;
    }
    return out;
}
