// Any body a wallet could POST, in each wallet protocol's media type (BitPay v2 and v1, BIP70), against a real
// service (a SQLite store, payments recorded against an offline chain): no crash, and every answer has a status
// the protocols use and a body in the type it declares.
#include <jpp/chain.hpp>
#include <jpp/events.hpp>
#include <jpp/service.hpp>
#include <jpp/sqlite_store.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

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
    }

    jpp::InvoiceId new_invoice() {
        jpp::CreateInvoiceRequest request;
        request.outputs.push_back({10000, "bitcoincash:qrs437c4ezyqxl7ugraezva5c8pudzrsvsj8cmfkh5", "", std::nullopt});
        auto invoice = service->create(request);
        if (!invoice) std::abort();
        return invoice->id;
    }
};

constexpr const char* types[] = {"application/payment-request", "application/payment-verification",
                                 "application/verify-payment", "application/payment",
                                 "application/bitcoincash-payment", "application/json"};

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
    request.headers.emplace_back("content-type", types[data[0] % std::size(types)]);
    if (data[0] & 0x80) request.headers.emplace_back("x-paypro-version", "2");
    request.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

    const jppd::http::Response r = jppd::api::post_to_invoice(*world.api, invoice, request);
    if (r.status != 200 && r.status != 400 && r.status != 404 && r.status != 406 && r.status != 500 && r.status != 503)
        std::abort();
    if (r.content_type.empty() || r.body.empty()) std::abort();
    return 0;
}
