/* Cancelling a paid Payment, fully or partly: for the REST API and the console cancel. */
#ifndef BILLKEY_SB_CANCEL_H
#define BILLKEY_SB_CANCEL_H

#include <stdint.h>

#include "sandbox/sb_state.h"

#define SB_CANCELLATION_ID_LEN 24

/* Cancels `amount` won of p (0 = everything still cancellable). checksum, when has_checksum, must
 * equal the cancellable balance. reason may be NULL. On success returns 0 and writes the new
 * cancellation id to cancellation_id (SB_CANCELLATION_ID_LEN + 1 bytes); otherwise returns -1
 * with the iamport message in msg (SB_MSG_LEN bytes) and changes nothing. Lock held. */
int sb_cancel_apply(struct sb_state *st, struct sb_payment *p, int64_t amount, int has_checksum,
                    int64_t checksum, const char *reason, char *cancellation_id, char *msg);

#endif
