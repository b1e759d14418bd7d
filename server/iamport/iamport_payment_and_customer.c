/* iamport client: a payment and a billing key looked up at the same time (the verification's two
 * lookups, one wait). */
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_client.h"
#include "server/iamport/iamport_errors.h"
#include "server/iamport/iamport_readers.h"

enum iamport_status iamport_get_payment_and_customer(
    struct iamport_client *c, const char *imp_uid, struct iamport_payment *payment,
    struct iamport_error *payment_err, const char *customer_uid, struct iamport_customer *customer,
    enum iamport_status *customer_status, struct iamport_error *customer_err)
{
    struct iamport_error local_payment, local_customer;
    char *payment_path = NULL, *customer_path = NULL;
    struct iamport_call payment_call, customer_call;
    struct iamport_read_job jobs[2];
    size_t n = 0;

    payment_err = iamport_begin(payment_err, &local_payment, payment, sizeof *payment);
    customer_err = iamport_begin(customer_err, &local_customer, customer, sizeof *customer);
    /* the calls iamport_get_payment and iamport_get_customer make */
    enum iamport_status payment_status =
        iamport_payment_lookup(c, imp_uid, &payment_path, &payment_call, payment_err);
    *customer_status =
        iamport_customer_lookup(customer_uid, &customer_path, &customer_call, customer_err);
    if (payment_status == IAMPORT_OK)
        jobs[n++] = (struct iamport_read_job){.call = &payment_call,
                                              .read = iamport_read_payment_text,
                                              .out = payment,
                                              .err = payment_err};
    if (*customer_status == IAMPORT_OK)
        jobs[n++] = (struct iamport_read_job){.call = &customer_call,
                                              .read = iamport_read_customer_text,
                                              .out = customer,
                                              .err = customer_err};
    iamport_call_read_overlapped(c, jobs, n);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].out == payment)
            payment_status = jobs[i].status;
        else
            *customer_status = jobs[i].status;
    }
    free(payment_path);
    free(customer_path);
    return payment_status;
}
