/* Differential check of iamport's answer readers: the cJSON tree path against the scanner. */
#ifndef BILLKEY_SCAN_DIFF_H
#define BILLKEY_SCAN_DIFF_H

#include <stdbool.h>
#include <stddef.h>

/* Reads body[len] (an answer with HTTP status http_status to a lookup, or to a money call when
 * `money`) as a Payment, or as a Customer when `customer`, twice: iamport_map_answer and the
 * cJSON reader, then iamport_map_answer_text and the text reader. Returns NULL when both give
 * the same status, error (http_status, code, message, detail), fields, cancel_history, raw JSON
 * (printed from the tree) and decline flag; else what differs first (caller frees). */
char *scan_diff_answer(long http_status, const char *body, size_t len, bool customer, bool money);

/* The same for a bare document (a stored copy): cJSON_ParseWithOpts on the text (repaired as an
 * answer is) and the cJSON readers, against iamport_scan_document and iamport_scan_payment /
 * iamport_scan_customer. NULL when they agree, else what differs (caller frees). */
char *scan_diff_document(const char *text, size_t len, bool customer);

#endif
