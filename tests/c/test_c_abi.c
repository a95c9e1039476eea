/* The C ABI from C99: every function, its error paths and its ownership rules. Under AddressSanitizer (the
 * test script's second build) LeakSanitizer also proves that what the caller frees is all there is to free. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, close, unlink */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jpp.h"

static int passed = 0, failed = 0;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond) {                                                        \
            ++passed;                                                      \
        } else {                                                           \
            ++failed;                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                  \
    } while (0)

/* A signed transaction paying 12,345 sat to the merchant below, with change: built by libjpp's signer. */
static const char* payment_hex =
    "02000000011111111111111111111111111111111111111111111111111111111111111111000000006a4730440220475b32ef8f3bc553"
    "b4c13761afbc82296a2b5fb63ec5956a8e4f3d166e40bbe802201c20f07772a3c41968db1a6321a4975bdad97dc933ad556b5864b61f5c"
    "cbb75741210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ffffffff0239300000000000001976a914"
    "76a04053bda0a88bda5177b86a15c3b29f55987388ac85550100000000001976a914751e76e8199196d454941c45d1b3a323f1433bd688"
    "ac00000000";
static const char* payment_txid = "0fe8150d56b2822da81747ea819ab7bf4e9bbe64dea19862b01b417e8977f992";
static const char* merchant = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a";

struct host {
    int broadcasts;
    int fail_broadcast;
    int events;
    char last_type[32];
};

static int host_broadcast(void* user, const char* raw_hex, const char* txid, char** out_message) {
    struct host* h = user;
    (void)raw_hex;
    if (h->fail_broadcast) {
        *out_message = malloc(32);
        strcpy(*out_message, "node says no");
        return jpp_error_code("broadcast_rejected");
    }
    if (strcmp(txid, payment_txid) == 0) ++h->broadcasts;
    return JPP_OK;
}

static void on_event(void* user, const char* type, const char* json) {
    struct host* h = user;
    ++h->events;
    snprintf(h->last_type, sizeof h->last_type, "%s", type);
    CHECK(strstr(json, "\"type\":\"payment_received\"") != NULL);
    CHECK(strstr(json, payment_txid) != NULL);
}

/* Extracts "payment_id":"<32 hex>" from an invoice's JSON. */
static void payment_id(const char* json, char out[33]) {
    const char* at = strstr(json, "\"payment_id\":\"");
    out[0] = '\0';
    if (at) {
        memcpy(out, at + 14, 32);
        out[32] = '\0';
    }
}

static void test_versions_and_errors(void) {
    CHECK(jpp_version_number() == JPP_VERSION_NUMBER);
    CHECK(strcmp(jpp_version(), "0.1.0") == 0);
    CHECK(strcmp(jpp_error_name(JPP_OK), "ok") == 0);
    CHECK(strcmp(jpp_error_name(-5), "unknown") == 0);
    CHECK(strcmp(jpp_error_name(jpp_error_code("invoice_not_found")), "invoice_not_found") == 0);
    CHECK(jpp_error_code("no such thing") == -1);
    CHECK(jpp_error_code(NULL) == -1);
    jpp_string_free(NULL);
    jpp_bytes_free(NULL);
    jpp_service_close(NULL);
}

static void test_transactions_and_addresses(void) {
    char* json = NULL;
    CHECK(jpp_transaction_decode(payment_hex, JPP_NETWORK_MAIN, &json) == JPP_OK);
    CHECK(json && strstr(json, payment_txid) != NULL);
    CHECK(json && strstr(json, merchant) != NULL);
    jpp_string_free(json);

    json = (char*)1;
    CHECK(jpp_transaction_decode("0100zz", JPP_NETWORK_MAIN, &json) == jpp_error_code("invalid_hex"));
    CHECK(json == NULL);
    CHECK(strstr(jpp_last_error(), "invalid hex character") != NULL);
    CHECK(jpp_transaction_decode("01000000", JPP_NETWORK_MAIN, &json) == jpp_error_code("truncated"));
    CHECK(jpp_transaction_decode(NULL, JPP_NETWORK_MAIN, &json) == jpp_error_code("invalid_argument"));
    CHECK(jpp_transaction_decode(payment_hex, 7, &json) == jpp_error_code("invalid_argument"));

    uint8_t* script = NULL;
    size_t length = 0;
    CHECK(jpp_address_to_locking_bytecode(merchant, JPP_NETWORK_MAIN, &script, &length) == JPP_OK);
    CHECK(length == 25 && script[0] == 0x76 && script[24] == 0xac);
    char* address = NULL;
    CHECK(jpp_locking_bytecode_to_address(script, length, JPP_NETWORK_MAIN, 1, &address) == JPP_OK);
    CHECK(address && strcmp(address, "bitcoincash:zpm2qsznhks23z7629mms6s4cwef74vcwvrqekrq9w") == 0);
    jpp_string_free(address);
    CHECK(jpp_locking_bytecode_to_address(script, 3, JPP_NETWORK_MAIN, 0, &address) ==
          jpp_error_code("not_a_standard_destination"));
    CHECK(address == NULL);
    jpp_bytes_free(script);
    CHECK(jpp_address_to_locking_bytecode(merchant, JPP_NETWORK_TEST, &script, &length) ==
          jpp_error_code("address_wrong_network"));
    CHECK(script == NULL && length == 0);
}

static void test_signer(void) {
    /* The same payment as payment_hex, rebuilt from its parts: deterministic signatures give the same bytes. */
    const char* wif = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn";
    const char* coins = "[{\"txid\":\"1111111111111111111111111111111111111111111111111111111111111111\",\"vout\":0,"
                        "\"value\":100000}]";
    const char* outputs = "[{\"address\":\"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a\",\"amount\":12345},"
                          "{\"address\":\"1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH\",\"amount\":87429}]";
    char* raw = NULL;
    CHECK(jpp_sign_p2pkh(wif, coins, outputs, JPP_NETWORK_MAIN, &raw) == JPP_OK);
    CHECK(raw && strcmp(raw, payment_hex) == 0);
    jpp_string_free(raw);
    CHECK(jpp_sign_p2pkh("not a key", coins, outputs, JPP_NETWORK_MAIN, &raw) == jpp_error_code("invalid_private_key"));
    CHECK(raw == NULL);
    CHECK(jpp_sign_p2pkh(wif, "{}", outputs, JPP_NETWORK_MAIN, &raw) == jpp_error_code("json_invalid"));
    /* JSON arguments go through the library's one reader: bounded depth, no key twice, UTF-8, no recursion. */
    {
        enum { levels = 30000 }; /* 60 KB: within the size limits */
        char* deep = malloc(2 * levels + 1);
        CHECK(deep != NULL);
        if (deep) {
            memset(deep, '[', levels);
            memset(deep + levels, ']', levels);
            deep[2 * levels] = 0;
            CHECK(jpp_sign_p2pkh(wif, deep, outputs, JPP_NETWORK_MAIN, &raw) == jpp_error_code("json_too_deep"));
            CHECK(strstr(jpp_last_error(), "coins_json: JSON nested deeper than") != NULL);
            CHECK(jpp_invoice_build(deep, JPP_NETWORK_MAIN, &raw) == jpp_error_code("json_too_deep"));
            free(deep);
        }
    }
    CHECK(jpp_sign_p2pkh(wif, "[{\"txid\":\"11\",\"txid\":\"22\",\"vout\":0,\"value\":1}]", outputs, JPP_NETWORK_MAIN,
                         &raw) == jpp_error_code("json_duplicate_key"));
    CHECK(jpp_sign_p2pkh(wif, coins, "[{\"address\":\"\xff\",\"amount\":1}]", JPP_NETWORK_MAIN, &raw) ==
          jpp_error_code("json_invalid"));
    CHECK(strcmp(jpp_error_name(jpp_error_code("json_duplicate_key")), "json_duplicate_key") == 0);
    CHECK(jpp_error_code("json_too_large") > jpp_error_code("json_invalid"));
    CHECK(jpp_sign_p2pkh(wif, coins, "[{\"address\":\"x\",\"amount\":1}]", JPP_NETWORK_MAIN, &raw) ==
          jpp_error_code("invalid_address"));
    CHECK(strstr(jpp_last_error(), "outputs[0].address") != NULL);
    CHECK(jpp_sign_p2pkh(wif, coins, "[{\"address\":\"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a\","
                                     "\"amount\":200000}]", JPP_NETWORK_MAIN, &raw) == jpp_error_code("invalid_argument"));
}

static void test_offline_invoice(void) {
    char request[256];
    snprintf(request, sizeof request, "{\"outputs\":[{\"amount\":12345,\"address\":\"%s\"}]}", merchant);
    char* json = NULL;
    CHECK(jpp_invoice_build(request, JPP_NETWORK_MAIN, &json) == JPP_OK);
    CHECK(json && strstr(json, "\"status\":\"open\"") != NULL);
    jpp_string_free(json);
    CHECK(jpp_invoice_build("{\"outputs\":[{\"amount\":100,\"address\":\"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a\"}]}",
                            JPP_NETWORK_MAIN, &json) == jpp_error_code("invoice_invalid"));
    CHECK(strstr(jpp_last_error(), "below the dust threshold of 546 sat") != NULL);

    CHECK(jpp_verify_offline(request, JPP_NETWORK_MAIN, payment_hex, NULL, &json) == JPP_OK);
    CHECK(json && strstr(json, "\"inputs_checked\":false") != NULL);
    jpp_string_free(json);
    /* With the spent coin (100,000 sat to key 1's P2PKH) the fee is checked too. */
    const char* coin = "a086010000000000" "19" "76a914751e76e8199196d454941c45d1b3a323f1433bd688ac";
    CHECK(jpp_verify_offline(request, JPP_NETWORK_MAIN, payment_hex, coin, &json) == JPP_OK);
    CHECK(json && strstr(json, "\"fee\":226") != NULL);
    jpp_string_free(json);
    CHECK(jpp_verify_offline(request, JPP_NETWORK_MAIN, payment_hex, "a0860100", &json) == jpp_error_code("invalid_argument"));
    snprintf(request, sizeof request, "{\"outputs\":[{\"amount\":12346,\"address\":\"%s\"}]}", merchant);
    CHECK(jpp_verify_offline(request, JPP_NETWORK_MAIN, payment_hex, NULL, &json) == jpp_error_code("payment_output_missing"));
    CHECK(json == NULL);
    CHECK(strstr(jpp_last_error(), "output 0 pays 12345 sat to that address") != NULL);
}

static void test_service(void) {
    char path[] = "/tmp/jpp-c-abi-XXXXXX";
    const int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);

    struct host host = {0, 0, 0, ""};
    jpp_chain_callbacks chain = {JPP_CHAIN_CALLBACKS_VERSION, &host, host_broadcast, NULL};
    jpp_service* service = NULL;
    CHECK(jpp_service_open(&service, path, JPP_NETWORK_MAIN, "https://pay.example.com", &chain) == JPP_OK);
    uint64_t subscription = 0;
    CHECK(jpp_service_subscribe(service, on_event, &host, &subscription) == JPP_OK && subscription > 0);

    char* json = NULL;
    char request[256];
    snprintf(request, sizeof request, "{\"outputs\":[{\"amount\":12345,\"address\":\"%s\"}],\"memo\":\"coffee\"}", merchant);
    CHECK(jpp_service_create_invoice(service, request, &json) == JPP_OK);
    char id[33];
    payment_id(json ? json : "", id);
    CHECK(strlen(id) == 32);
    CHECK(json && strstr(json, "https://pay.example.com/jpp/invoices/") != NULL);
    jpp_string_free(json);

    CHECK(jpp_service_create_invoice(service, "{\"outputs\":[]}", &json) == jpp_error_code("invoice_invalid"));
    CHECK(strcmp(jpp_last_error(), "outputs: at least one output is required") == 0);
    CHECK(jpp_service_create_invoice(service, "{", &json) == jpp_error_code("json_invalid"));
    CHECK(json == NULL);

    CHECK(jpp_service_verify(service, id, payment_hex, &json) == JPP_OK);
    CHECK(json && strstr(json, "\"valid\":true") != NULL && strstr(json, "\"inputs_checked\":false") != NULL);
    jpp_string_free(json);

    char pay[1024];
    snprintf(pay, sizeof pay, "{\"raw_tx_hex\":\"%s\",\"memo\":\"thanks\"}", payment_hex);
    host.fail_broadcast = 1;
    CHECK(jpp_service_pay(service, id, pay, &json) == jpp_error_code("broadcast_rejected"));
    CHECK(strcmp(jpp_last_error(), "node says no") == 0);
    CHECK(host.events == 0);
    host.fail_broadcast = 0;
    CHECK(jpp_service_pay(service, id, pay, &json) == JPP_OK);
    CHECK(json && strstr(json, "\"status\":\"paid\"") != NULL);
    jpp_string_free(json);
    CHECK(jpp_service_pay(service, id, pay, &json) == JPP_OK); /* a retry: same answer, no second event */
    jpp_string_free(json);
    CHECK(host.broadcasts == 1);
    CHECK(host.events == 1);
    CHECK(strcmp(host.last_type, "payment_received") == 0);

    CHECK(jpp_service_get_invoice(service, id, &json) == JPP_OK);
    CHECK(json && strstr(json, payment_txid) != NULL);
    jpp_string_free(json);
    CHECK(jpp_service_get_invoice(service, "00000000000000000000000000000000", &json) ==
          jpp_error_code("invoice_not_found"));
    CHECK(jpp_service_get_invoice(service, "not-an-id", &json) == jpp_error_code("invalid_argument"));
    CHECK(jpp_service_verify(service, id, payment_hex, &json) == jpp_error_code("invoice_already_paid"));

    size_t expired = 99;
    CHECK(jpp_service_announce_expired(service, &expired) == JPP_OK && expired == 0);
    CHECK(jpp_service_unsubscribe(service, subscription) == JPP_OK);
    jpp_service* refused = service;
    CHECK(jpp_service_open(&refused, path, JPP_NETWORK_MAIN, NULL, &(jpp_chain_callbacks){99, NULL, NULL, NULL}) ==
          jpp_error_code("invalid_argument"));
    CHECK(refused == NULL); /* out pointers are cleared on failure */
    jpp_service_close(service);

    char wal[64], shm[64];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path);
    unlink(wal);
    unlink(shm);
}

int main(void) {
    test_versions_and_errors();
    test_transactions_and_addresses();
    test_signer();
    test_offline_invoice();
    test_service();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
