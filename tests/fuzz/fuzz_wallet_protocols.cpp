// Any body a client could POST to an invoice, on every body route and media type (the native API's create, verify
// and pay; BitPay v2 and v1; BIP70), against a real service (a SQLite store, payments recorded against an offline
// chain): no crash, every answer has a status the protocols use and a body in the type it declares, every JSON
// answer is whole, valid UTF-8 JSON (what the library's reader accepts), and BitPay's are ASCII.
#include <jpp/chain.hpp>
#include <jpp/events.hpp>
#include <jpp/json.hpp>
#include <jpp/service.hpp>
#include <jpp/sqlite_store.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "api/invoice_api.hpp"

namespace {

struct World {
    std::unique_ptr<jpp::SqliteStore> store;
    jpp::OfflineChain chain;
    jpp::InProcessEventBus events;
    jpp::ManualClock clock{jpp::Timestamp(std::chrono::seconds(1700000000))};
    std::unique_ptr<jpp::InvoiceService> service;
    std::unique_ptr<jppd::api::ApiContext> api;

    static std::string path() {
        return "/tmp/jpp-fuzz-wallet-protocols-" + std::to_string(getpid()) + ".sqlite3";
    }

    World() {
        std::remove(path().c_str());
        // libFuzzer leaves through exit(): the database goes with the process.
        std::atexit([] {
            for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path() + suffix).c_str());
        });
        auto opened = jpp::SqliteStore::open(path(), {std::chrono::milliseconds(5000), false});
        if (!opened) std::abort();
        store = std::move(*opened);
        service = std::make_unique<jpp::InvoiceService>(*store, chain, events, clock);
        api.reset(new jppd::api::ApiContext{*service, *store, chain, clock, "https://pay.example.com", true, {}});
        api->open_invoice_creation = true;  // as in dev mode: creation without a key
    }

    jpp::InvoiceId new_invoice() {
        jpp::CreateInvoiceRequest request;
        request.outputs.push_back({10000, "bitcoincash:qrs437c4ezyqxl7ugraezva5c8pudzrsvsj8cmfkh5", "", std::nullopt});
        auto invoice = service->create(request);
        if (!invoice) std::abort();
        return invoice->id;
    }
};

// The first byte picks the route (its low 7 bits, modulo the count) and, with its top bit, x-paypro-version: 2.
constexpr const char* types[] = {"application/payment-request", "application/payment-verification",
                                 "application/verify-payment", "application/payment",
                                 "application/bitcoincash-payment", "application/json",
                                 // The native API's routes, with their own media type:
                                 "native create", "native verify", "native pay"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static World world;
    if (size < 1) return 0;
    // A fresh open invoice each time: an input that pays one must not change what the next input meets.
    const jpp::InvoiceId invoice = world.new_invoice();
    jppd::http::Request request;
    request.method = "POST";
    request.path = "/jpp/i/" + invoice.hex() + "/";
    request.target = request.path;
    const std::string_view type = types[(data[0] & 0x7f) % std::size(types)];
    const bool native = type.substr(0, 7) == "native ";
    request.headers.emplace_back("content-type", native ? "application/json" : std::string(type));
    if (data[0] & 0x80) request.headers.emplace_back("x-paypro-version", "2");
    request.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

    jppd::http::Response r;
    if (type == "native create") r = jppd::api::create_invoice(*world.api, request);
    else if (type == "native verify") r = jppd::api::verify_payment(*world.api, invoice, request);
    else if (type == "native pay") r = jppd::api::pay_invoice(*world.api, invoice, request);
    else r = jppd::api::post_to_invoice(*world.api, invoice, request);
    if (r.status != 200 && r.status != 201 && r.status != 400 && r.status != 404 && r.status != 406 &&
        r.status != 409 && r.status != 500 && r.status != 503)
        std::abort();
    if (r.content_type.empty() || r.body.empty()) std::abort();
    if (r.content_type.rfind("application/json", 0) == 0) {
        // Whole and valid: never an echo cut short by a byte that is not UTF-8.
        if (!jpp::parse_json(r.body, {1 << 24, 64})) std::abort();
        if (!native)
            for (const char c : r.body)
                if (static_cast<unsigned char>(c) >= 0x80) std::abort();
    }
    return 0;
}
