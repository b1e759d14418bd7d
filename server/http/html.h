/* HTML text escaping for server-rendered pages: entities, invalid UTF-8 and control bytes made safe. */
#ifndef BILLKEY_HTML_H
#define BILLKEY_HTML_H

#include <stddef.h>

/* Returns a new string (caller frees) that is safe as HTML text and as a quoted attribute value:
 * & < > " ' become &amp; &lt; &gt; &quot; &#39;; every byte that is not part of a valid
 * UTF-8 sequence becomes U+FFFD; control characters (U+0000-U+001F, U+007F-U+009F) become a
 * space. At most max_bytes of the input are used (0 = no limit), cut at a character boundary
 * with "…" appended when something was left out. NULL gives "". */
char *html_escape(const char *s, size_t max_bytes);

#endif
