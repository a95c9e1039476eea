// A host written in C++ whose callbacks throw: nothing it throws may come out of a libjpp_c call (jpp.h's promise).
// A throwing chain callback fails the call with chain_unavailable; a throwing event callback costs that event only.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "jpp.h"

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (ok) return;
    ++failures;
    std::fprintf(stderr, "test_c_abi_throwing.cpp: %s\n", what);
}

struct Host {
    int throw_from_broadcast = 0;  // 1: a std::exception, 2: something else entirely
    bool throw_from_spent_outputs = false;
    int broadcasts = 0;
    int events = 0;
};

int broadcast(void* user, const char*, const char*, char** out_message) {
    auto* host = static_cast<Host*>(user);
    if (host->throw_from_broadcast == 1) {
        *out_message = static_cast<char*>(std::malloc(8));  // set before throwing: the library frees it
        std::strcpy(*out_message, "leaked?");
        throw std::runtime_error("the host's node client blew up");
    }
    if (host->throw_from_broadcast == 2) throw 42;
    ++host->broadcasts;
    return JPP_OK;
}

int spent_outputs(void* user, const char*, char**, char**) {
    if (static_cast<Host*>(user)->throw_from_spent_outputs) throw std::logic_error("no index");
    return JPP_OK;  // unknown: inputs not checked
}

void on_event(void* user, const char*, const char*) {
    ++static_cast<Host*>(user)->events;
    throw std::runtime_error("the host's event handler failed");
}

std::string invoice_id(const char* json) {
    const char* at = json ? std::strstr(json, "\"payment_id\":\"") : nullptr;
    return at ? std::string(at + 14, 32) : std::string();
}

}  // namespace

extern "C" int throwing_host_failures(const char* db_path, const char* payment, const char* merchant_address) {
    Host host;
    jpp_chain_callbacks chain{JPP_CHAIN_CALLBACKS_VERSION, &host, broadcast, spent_outputs};
    jpp_service* service = nullptr;
    check(jpp_service_open(&service, db_path, JPP_NETWORK_MAIN, "https://pay.example.com", &chain) == JPP_OK, "open");
    std::uint64_t subscription = 0;
    check(jpp_service_subscribe(service, on_event, &host, &subscription) == JPP_OK, "subscribe");

    const std::string request = std::string("{\"outputs\":[{\"amount\":12345,\"address\":\"") + merchant_address + "\"}]}";
    char* json = nullptr;
    check(jpp_service_create_invoice(service, request.c_str(), &json) == JPP_OK, "create");
    const std::string id = invoice_id(json);
    jpp_string_free(json);
    const std::string body = std::string("{\"raw_tx_hex\":\"") + payment + "\"}";

    try {
        // The adapter turns the exception into chain_unavailable, and a failed lookup fails the payment.
        host.throw_from_spent_outputs = true;
        json = nullptr;
        const int verified = jpp_service_verify(service, id.c_str(), payment, &json);
        check(verified == jpp_error_code("chain_unavailable"), "verify: a throwing spent_outputs is chain_unavailable");
        check(std::strstr(jpp_last_error(), "spent_outputs callback threw") != nullptr, "verify: the message says so");
        jpp_string_free(json);
        json = nullptr;
        host.throw_from_spent_outputs = false;

        for (const int kind : {1, 2}) {
            host.throw_from_broadcast = kind;
            check(jpp_service_pay(service, id.c_str(), body.c_str(), &json) == jpp_error_code("chain_unavailable"),
                  "pay: a throwing broadcast is chain_unavailable");
            check(json == nullptr, "pay: no output on failure");
            check(std::strstr(jpp_last_error(), "broadcast callback threw") != nullptr, "pay: the message says so");
        }
        check(host.events == 0, "no event for a payment that failed");

        host.throw_from_broadcast = 0;
        check(jpp_service_pay(service, id.c_str(), body.c_str(), &json) == JPP_OK,
              "pay: a throwing event callback does not fail the payment");
        check(json && std::strstr(json, "\"status\":\"paid\"") != nullptr, "pay: paid");
        jpp_string_free(json);
        check(host.broadcasts == 1 && host.events == 1, "one broadcast, one event");
    } catch (...) {
        check(false, "an exception came out of libjpp_c");
    }
    check(jpp_service_unsubscribe(service, subscription) == JPP_OK, "unsubscribe");
    check(jpp_service_close(service) == JPP_OK, "close");
    return failures;
}
