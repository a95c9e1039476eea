/* The C ABI from C99: every function, its error paths and its ownership rules. Under AddressSanitizer (the
 * test script's second build) LeakSanitizer also proves that what the caller frees is all there is to free. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, close, unlink, nanosleep, clock_gettime */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jpp.h"

static int passed = 0, failed = 0;
static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER; /* CHECK may run on several threads */

#define CHECK(cond)                                                        \
    do {                                                                   \
        const int ok_ = (cond) ? 1 : 0;                                    \
        pthread_mutex_lock(&check_lock);                                   \
        if (ok_) {                                                         \
            ++passed;                                                      \
        } else {                                                           \
            ++failed;                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                  \
        pthread_mutex_unlock(&check_lock);                                 \
    } while (0)

/* The C++ host of test_c_abi_throwing.cpp: callbacks that throw. Returns how many of its checks failed. */
int throwing_host_failures(const char* db_path, const char* payment, const char* merchant_address);

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
    CHECK(jpp_service_close(NULL) == JPP_OK);
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
    /* Verifying the paying transaction again answers as paying it again does. */
    CHECK(jpp_service_verify(service, id, payment_hex, &json) == JPP_OK);
    CHECK(json && strstr(json, "\"valid\":true") != NULL);
    jpp_string_free(json);

    size_t expired = 99;
    CHECK(jpp_service_announce_expired(service, &expired) == JPP_OK && expired == 0);
    CHECK(jpp_service_unsubscribe(service, subscription) == JPP_OK);
    /* Unsubscribing is idempotent: again, or an id never issued, is JPP_OK and does nothing. */
    CHECK(jpp_service_unsubscribe(service, subscription) == JPP_OK);
    CHECK(jpp_service_unsubscribe(service, 987654321) == JPP_OK);
    CHECK(jpp_service_unsubscribe(NULL, subscription) == jpp_error_code("invalid_argument"));
    jpp_service* refused = service;
    CHECK(jpp_service_open(&refused, path, JPP_NETWORK_MAIN, NULL, &(jpp_chain_callbacks){99, NULL, NULL, NULL}) ==
          jpp_error_code("invalid_argument"));
    CHECK(refused == NULL); /* out pointers are cleared on failure */
    CHECK(jpp_service_close(service) == JPP_OK);

    char wal[64], shm[64];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path);
    unlink(wal);
    unlink(shm);
}

/* A fresh database path (the file does not exist yet), and its removal with SQLite's side files. */
static void fresh_path(char path[32]) {
    strcpy(path, "/tmp/jpp-c-abi-XXXXXX");
    const int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);
}

static void remove_database(const char* path) {
    char side[64];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static double seconds_since(const struct timespec* start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Creates an invoice for 12,345 sat to the merchant and writes its id. */
static int create_invoice(jpp_service* service, char id[33]) {
    char request[256];
    char* json = NULL;
    snprintf(request, sizeof request, "{\"outputs\":[{\"amount\":12345,\"address\":\"%s\"}]}", merchant);
    const int status = jpp_service_create_invoice(service, request, &json);
    payment_id(json ? json : "", id);
    jpp_string_free(json);
    return status;
}

/* Signs a payment of 12,345 sat to the merchant from a made-up coin of key 1 whose txid starts with `tag`. */
static char* sign_payment(unsigned tag) {
    char coins[160];
    char* raw = NULL;
    snprintf(coins, sizeof coins, "[{\"txid\":\"%08x11111111111111111111111111111111111111111111111111111111\",\"vout\":0,"
                                  "\"value\":100000}]", tag);
    char outputs[160];
    snprintf(outputs, sizeof outputs, "[{\"address\":\"%s\",\"amount\":12345}]", merchant);
    CHECK(jpp_sign_p2pkh("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn", coins, outputs, JPP_NETWORK_MAIN,
                         &raw) == JPP_OK);
    return raw;
}

static int pay_invoice(jpp_service* service, const char* id, const char* raw) {
    char* body = malloc(strlen(raw) + 32);
    char* json = NULL;
    sprintf(body, "{\"raw_tx_hex\":\"%s\"}", raw);
    const int status = jpp_service_pay(service, id, body, &json);
    jpp_string_free(json);
    free(body);
    return status;
}

/* Item: after jpp_service_unsubscribe() returns, the callback is not running and is not called again, so the host
 * may free its user_data at once. 8 threads subscribe, pay and unsubscribe, then free what their callback reads:
 * every payment reaches the callbacks of all threads, and a call still running after unsubscribe is a use after
 * free that AddressSanitizer reports. */
#define WATCHER_MAGIC 0x5eed1e55u
struct watcher {
    unsigned magic;
    int calls;
};
static pthread_mutex_t watcher_lock = PTHREAD_MUTEX_INITIALIZER;
static int corrupted_watchers = 0;

static void on_event_slowly(void* user, const char* type, const char* json) {
    struct watcher* w = user;
    struct timespec pause = {0, 200 * 1000}; /* 0.2 ms: a window for the owner to unsubscribe and free */
    (void)type;
    (void)json;
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&watcher_lock);
    if (w->magic != WATCHER_MAGIC) ++corrupted_watchers;
    ++w->calls;
    pthread_mutex_unlock(&watcher_lock);
}

struct churn {
    jpp_service* service;
    unsigned thread;
};

static void* churn_thread(void* arg) {
    const struct churn* c = arg;
    for (unsigned i = 0; i < 12; ++i) {
        struct watcher* w = malloc(sizeof *w);
        w->magic = WATCHER_MAGIC;
        w->calls = 0;
        uint64_t id = 0;
        CHECK(jpp_service_subscribe(c->service, on_event_slowly, w, &id) == JPP_OK);
        char invoice[33];
        CHECK(create_invoice(c->service, invoice) == JPP_OK);
        char* raw = sign_payment(c->thread << 16 | i);
        CHECK(raw && pay_invoice(c->service, invoice, raw) == JPP_OK);
        jpp_string_free(raw);
        CHECK(jpp_service_unsubscribe(c->service, id) == JPP_OK);
        pthread_mutex_lock(&watcher_lock);
        CHECK(w->calls >= 1); /* at least its own thread's payment */
        w->magic = 0;
        pthread_mutex_unlock(&watcher_lock);
        free(w);
    }
    return NULL;
}

static void test_unsubscribe_then_free_under_threads(void) {
    char path[32];
    fresh_path(path);
    jpp_service* service = NULL;
    CHECK(jpp_service_open(&service, path, JPP_NETWORK_MAIN, "https://pay.example.com", NULL) == JPP_OK);
    pthread_t threads[8];
    struct churn work[8];
    for (unsigned t = 0; t < 8; ++t) {
        work[t].service = service;
        work[t].thread = t + 1;
        CHECK(pthread_create(&threads[t], NULL, churn_thread, &work[t]) == 0);
    }
    for (unsigned t = 0; t < 8; ++t) pthread_join(threads[t], NULL);
    CHECK(corrupted_watchers == 0);
    CHECK(jpp_service_close(service) == JPP_OK);
    remove_database(path);
}

/* Callbacks that call the service back: nested calls work, a callback may unsubscribe itself, and closing the
 * service from inside its own callback is refused (it stays open). */
struct reentrant {
    jpp_service* service;
    uint64_t id;
    int calls;
    int close_status;
    char close_message[256];
    int unsubscribe_status;
    int nested_get_status;
    char invoice[33];
};

static void on_event_reentrant(void* user, const char* type, const char* json) {
    struct reentrant* r = user;
    char* invoice = NULL;
    (void)type;
    (void)json;
    ++r->calls;
    r->nested_get_status = jpp_service_get_invoice(r->service, r->invoice, &invoice);
    jpp_string_free(invoice);
    r->close_status = jpp_service_close(r->service);
    snprintf(r->close_message, sizeof r->close_message, "%s", jpp_last_error());
    r->unsubscribe_status = jpp_service_unsubscribe(r->service, r->id);
}

static void test_callbacks_calling_the_service(void) {
    char path[32];
    fresh_path(path);
    struct reentrant r;
    memset(&r, 0, sizeof r);
    CHECK(jpp_service_open(&r.service, path, JPP_NETWORK_MAIN, "https://pay.example.com", NULL) == JPP_OK);
    CHECK(jpp_service_subscribe(r.service, on_event_reentrant, &r, &r.id) == JPP_OK);
    CHECK(create_invoice(r.service, r.invoice) == JPP_OK);
    char* raw = sign_payment(0xc0);
    CHECK(pay_invoice(r.service, r.invoice, raw) == JPP_OK);
    CHECK(r.calls == 1);
    CHECK(r.nested_get_status == JPP_OK);
    CHECK(r.close_status == jpp_error_code("invalid_argument"));
    CHECK(strstr(r.close_message, "from inside a callback of the same service is refused") != NULL);
    CHECK(r.unsubscribe_status == JPP_OK); /* itself, from inside: no wait for itself, no deadlock */

    /* Still open, and the callback is gone. */
    char second[33];
    CHECK(create_invoice(r.service, second) == JPP_OK);
    jpp_string_free(raw);
    raw = sign_payment(0xc1);
    CHECK(pay_invoice(r.service, second, raw) == JPP_OK);
    CHECK(r.calls == 1);
    jpp_string_free(raw);
    CHECK(jpp_service_close(r.service) == JPP_OK);
    remove_database(path);
}

/* A transaction of about 90 kB (a standard one may have 100,000 bytes): its pay body is some 180 kB of JSON,
 * which the C ABI reads with jppd's limits, not a 64 KiB default. */
static void test_large_payment(void) {
    const char* change = "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH";
    const int count = 2620;
    char* outputs = malloc((size_t)count * 80 + 128);
    char* at = outputs;
    at += sprintf(at, "[{\"address\":\"%s\",\"amount\":12345}", merchant);
    for (int i = 0; i < count; ++i) at += sprintf(at, ",{\"address\":\"%s\",\"amount\":1000}", change);
    strcpy(at, "]");
    const char* coins = "[{\"txid\":\"2222222222222222222222222222222222222222222222222222222222222222\",\"vout\":1,"
                        "\"value\":100000000}]";
    char* raw = NULL;
    CHECK(jpp_sign_p2pkh("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn", coins, outputs, JPP_NETWORK_MAIN,
                         &raw) == JPP_OK);
    free(outputs);
    CHECK(raw && strlen(raw) / 2 > 88000 && strlen(raw) / 2 < 100000);

    char path[32];
    fresh_path(path);
    jpp_service* service = NULL;
    CHECK(jpp_service_open(&service, path, JPP_NETWORK_MAIN, "https://pay.example.com", NULL) == JPP_OK);
    char id[33];
    CHECK(create_invoice(service, id) == JPP_OK);
    char* json = NULL;
    CHECK(jpp_service_verify(service, id, raw, &json) == JPP_OK);
    jpp_string_free(json);
    const int status = pay_invoice(service, id, raw ? raw : "");
    CHECK(status == JPP_OK);
    if (status != JPP_OK) fprintf(stderr, "large payment: %s: %s\n", jpp_error_name(status), jpp_last_error());
    CHECK(jpp_service_get_invoice(service, id, &json) == JPP_OK);
    CHECK(json && strstr(json, "\"status\":\"paid\"") != NULL);
    jpp_string_free(json);
    jpp_string_free(raw);
    CHECK(jpp_service_close(service) == JPP_OK);
    remove_database(path);
}

/* The offline signer with hostile or huge inputs: deep nesting is refused without recursion, coins beyond the
 * money supply are refused without overflow, and 8,000 coins sign in linear time. */
static void test_signer_limits(void) {
    const char* wif = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn";
    char outputs[160];
    snprintf(outputs, sizeof outputs, "[{\"address\":\"%s\",\"amount\":12345}]", merchant);
    char* raw = NULL;

    const size_t depth = 300000;
    char* deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    CHECK(jpp_sign_p2pkh(wif, deep, outputs, JPP_NETWORK_MAIN, &raw) == jpp_error_code("json_too_deep"));
    CHECK(strstr(jpp_last_error(), "coins_json") != NULL);
    CHECK(jpp_sign_p2pkh(wif, "[]", deep, JPP_NETWORK_MAIN, &raw) == jpp_error_code("json_too_deep"));
    CHECK(strstr(jpp_last_error(), "outputs_json") != NULL);
    CHECK(raw == NULL);
    free(deep);

    /* 4,400 coins of 21,000,000 BCH each: more than the money supply, and more than INT64_MAX satoshis. */
    const int many = 4400;
    char* coins = malloc((size_t)many * 128 + 8);
    char* at = coins;
    *at++ = '[';
    for (int i = 0; i < many; ++i)
        at += sprintf(at, "%s{\"txid\":\"%064x\",\"vout\":0,\"value\":2100000000000000}", i ? "," : "", (unsigned)i + 1);
    strcpy(at, "]");
    CHECK(jpp_sign_p2pkh(wif, coins, outputs, JPP_NETWORK_MAIN, &raw) == jpp_error_code("invalid_argument"));
    CHECK(strstr(jpp_last_error(), "more than 21,000,000 BCH") != NULL);
    free(coins);

    /* 8,000 coins: signing is linear in the inputs (it was quadratic). The time is printed, not asserted. */
    const int inputs = 8000;
    coins = malloc((size_t)inputs * 128 + 8);
    at = coins;
    *at++ = '[';
    for (int i = 0; i < inputs; ++i)
        at += sprintf(at, "%s{\"txid\":\"%064x\",\"vout\":%d,\"value\":10000}", i ? "," : "", (unsigned)i + 1, i % 3);
    strcpy(at, "]");
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK(jpp_sign_p2pkh(wif, coins, outputs, JPP_NETWORK_MAIN, &raw) == JPP_OK);
    printf("jpp_sign_p2pkh: 8,000 coins signed in %.3f s\n", seconds_since(&start));
    /* Version 2, then 8,000 inputs (CompactSize fd 401f); about 1.2 MB, too large to decode as one transaction. */
    CHECK(raw && strncmp(raw, "02000000fd401f", 14) == 0);
    CHECK(raw && strlen(raw) / 2 > 8000 * 146);
    jpp_string_free(raw);
    free(coins);
}

static void test_throwing_host(void) {
    char path[32];
    fresh_path(path);
    CHECK(throwing_host_failures(path, payment_hex, merchant) == 0);
    remove_database(path);
}

/* Known answer from Python's hmac: hmac.new(secret, b"1761222896." + body, hashlib.sha256). */
static void test_webhook_signatures(void) {
    const char* secret = "whsec_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const char* body = "{\"type\":\"payment_received\",\"invoice_id\":\"4f1c\"}";
    const size_t length = strlen(body);
    const char* expected = "t=1761222896,v1=2bf74fba07aef2721750026c56b732d11434cd2eed4e300f4f522550f9a1e525";
    char* header = NULL;
    CHECK(jpp_webhook_sign(secret, (const uint8_t*)body, length, 1761222896, &header) == JPP_OK);
    CHECK(header && strcmp(header, expected) == 0);
    jpp_string_free(header);

    CHECK(jpp_webhook_verify(secret, expected, (const uint8_t*)body, length, 1761222896 + 300, 300) == JPP_OK);
    CHECK(jpp_webhook_verify(secret, expected, (const uint8_t*)body, length, 1761222896 + 301, 300) ==
          jpp_error_code("signature_expired"));
    CHECK(strstr(jpp_last_error(), "beyond the tolerance") != NULL);
    CHECK(jpp_webhook_verify(secret, expected, (const uint8_t*)body, length - 1, 1761222896, 300) ==
          jpp_error_code("signature_invalid"));
    CHECK(jpp_webhook_verify(secret, "t=1761222896", (const uint8_t*)body, length, 1761222896, 300) ==
          jpp_error_code("signature_invalid"));
    CHECK(strcmp(jpp_last_error(), "the signature header has no v1=") == 0);

    /* now_unix 0 and at_unix 0: the current time; an empty body may be NULL. */
    CHECK(jpp_webhook_sign(secret, NULL, 0, 0, &header) == JPP_OK);
    CHECK(header != NULL && jpp_webhook_verify(secret, header, NULL, 0, 0, 5) == JPP_OK);
    CHECK(strcmp(jpp_last_error(), "") == 0);
    jpp_string_free(header);

    header = (char*)1;
    CHECK(jpp_webhook_sign(NULL, NULL, 0, 1, &header) == jpp_error_code("invalid_argument"));
    CHECK(header == NULL);
    CHECK(jpp_webhook_sign("", NULL, 0, 1, &header) == jpp_error_code("invalid_argument"));
    CHECK(jpp_webhook_sign(secret, NULL, 1, 1, &header) == jpp_error_code("invalid_argument"));
    CHECK(jpp_webhook_sign(secret, NULL, 0, -1, &header) == jpp_error_code("invalid_argument"));
    CHECK(jpp_webhook_sign(secret, NULL, 0, 1, NULL) == jpp_error_code("invalid_argument"));
    CHECK(jpp_webhook_verify(NULL, expected, NULL, 0, 0, 300) == jpp_error_code("invalid_argument"));
    CHECK(jpp_webhook_verify(secret, NULL, NULL, 0, 0, 300) == jpp_error_code("invalid_argument"));
    CHECK(jpp_webhook_verify(secret, expected, NULL, 3, 0, 300) == jpp_error_code("invalid_argument"));
    CHECK(jpp_webhook_verify(secret, expected, (const uint8_t*)body, length, 0, -1) ==
          jpp_error_code("invalid_argument"));
    CHECK(jpp_webhook_verify("", expected, (const uint8_t*)body, length, 1761222896, 300) ==
          jpp_error_code("signature_invalid"));
}

int main(void) {
    test_versions_and_errors();
    test_transactions_and_addresses();
    test_signer();
    test_offline_invoice();
    test_service();
    test_unsubscribe_then_free_under_threads();
    test_callbacks_calling_the_service();
    test_large_payment();
    test_signer_limits();
    test_webhook_signatures();
    test_throwing_host();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
