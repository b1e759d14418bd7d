/* UTF-8 helpers for text limits: counting characters and cutting at character boundaries. */
#include "server/core/utf8.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "server/core/xalloc.h"

static int is_continuation(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

size_t utf8_decode(const unsigned char *s, size_t avail, unsigned *cp)
{
    size_t n;
    unsigned min;
    if (avail == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        min = 0x80;
        *cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        min = 0x800;
        *cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        min = 0x10000;
        *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (!is_continuation(s[i]))
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return n;
}

int utf8_valid(const char *s)
{
    size_t len = s ? strlen(s) : 0, i = 0;
    unsigned cp;
    while (i < len) {
        /* ASCII, eight bytes at a time, then one byte at a time */
        uint64_t word;
        while (i + 8 <= len && (memcpy(&word, s + i, 8), (word & 0x8080808080808080ULL) == 0))
            i += 8;
        while (i < len && (unsigned char)s[i] < 0x80)
            i++;
        if (i == len)
            break;
        size_t n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

size_t utf8_char_count(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        if (!is_continuation((unsigned char)*s))
            n++;
    return n;
}

int utf8_prefix_len(const char *s, size_t max_bytes)
{
    if (!s)
        return 0;
    size_t len = strnlen(s, max_bytes);
    if (len > (size_t)INT_MAX)
        len = (size_t)INT_MAX;
    if (len < max_bytes || s[len] == '\0' || !is_continuation((unsigned char)s[len]))
        return (int)len;
    while (len > 0 && is_continuation((unsigned char)s[len]))
        len--; /* s[len] is now the lead byte of the character that did not fit */
    return (int)len;
}

void utf8_trim_partial(char *s)
{
    size_t len = strlen(s), i = len, cont = 0;
    while (i > 0 && is_continuation((unsigned char)s[i - 1]) && cont < 3) {
        i--;
        cont++;
    }
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
    if (lead >= 0x80 && cont < need)
        s[i - 1] = '\0';
}

char *utf8_repair(const char *s, size_t len)
{
    char *out = xmalloc(len * 3 + 1); /* each bad byte may become 3 bytes */
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return out;
}
