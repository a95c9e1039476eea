/* Unit-testing payment logic offline from C: an invoice, a payment signed by the offline signer, verify, pay,
 * and the payment_received event, all through libjpp_c. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jpp.h"

static int events = 0;

static void on_event(void* user, const char* type, const char* json) {
    (void)user;
    ++events;
    printf("event %s: %.120s...\n", type, json);
}

static int failed(const char* step, int status) {
    fprintf(stderr, "%s: %s (%s)\n", step, jpp_error_name(status), jpp_last_error());
    return 1;
}

int main(void) {
    char path[] = "/tmp/offline-payment-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 1;
    close(fd);
    unlink(path);

    jpp_service* shop = NULL;
    int status = jpp_service_open(&shop, path, JPP_NETWORK_MAIN, "http://127.0.0.1:8000", NULL);
    if (status != JPP_OK) return failed("open", status);
    uint64_t subscription = 0;
    jpp_service_subscribe(shop, on_event, NULL, &subscription);

    char* invoice = NULL;
    status = jpp_service_create_invoice(
        shop, "{\"outputs\":[{\"amount\":12345,\"address\":\"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a\"}]}",
        &invoice);
    if (status != JPP_OK) return failed("create", status);
    char id[33] = {0};
    memcpy(id, strstr(invoice, "\"payment_id\":\"") + 14, 32);
    printf("invoice %s\n", id);
    jpp_string_free(invoice);

    char* raw = NULL;
    status = jpp_sign_p2pkh("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn",
                            "[{\"txid\":\"1111111111111111111111111111111111111111111111111111111111111111\",\"vout\":0,"
                            "\"value\":100000}]",
                            "[{\"address\":\"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a\",\"amount\":12345}]",
                            JPP_NETWORK_MAIN, &raw);
    if (status != JPP_OK) return failed("sign", status);

    char* verdict = NULL;
    status = jpp_service_verify(shop, id, raw, &verdict);
    if (status != JPP_OK) return failed("verify", status);
    printf("verdict %s\n", verdict);
    jpp_string_free(verdict);

    char body[1024];
    snprintf(body, sizeof body, "{\"raw_tx_hex\":\"%s\"}", raw);
    jpp_string_free(raw);
    char* paid = NULL;
    status = jpp_service_pay(shop, id, body, &paid);
    if (status != JPP_OK) return failed("pay", status);
    printf("paid: %s\n", strstr(paid, "\"status\":\"paid\"") ? "yes" : "no");
    jpp_string_free(paid);

    jpp_service_close(shop);
    char wal[64], shm[64];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path);
    unlink(wal);
    unlink(shm);
    return events == 1 ? 0 : 1;
}
