/* libFuzzer harness: the scanner against the cJSON path on what a hostile iamport could answer
 * (tests/lib/scan_diff.c): any difference in status, error, fields or raw JSON aborts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/lib/scan_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long http_statuses[] = {200, 200, 200, 201, 404, 500, 400, 401};

static void check(char *difference, const char *what)
{
    if (!difference)
        return;
    fprintf(stderr, "fuzz_iamport_scan: %s differs: %s\n", what, difference);
    abort();
}

/* First byte: HTTP status (bits 0-2), Customer instead of Payment (bit 3), money call (bit 4);
 * the rest is the body iamport sent. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    bool customer = (data[0] & 0x08) != 0;
    check(scan_diff_answer(http_statuses[data[0] & 7], body, size - 1, customer,
                           (data[0] & 0x10) != 0),
          "the answer");
    /* the body as a bare object too, as stored raw copies are read back */
    check(scan_diff_document(body, size - 1, customer), "the document");
    return 0;
}
