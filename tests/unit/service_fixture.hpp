// The service test fixture: a service over a fresh store (test_store.hpp: SQLite, or PostgreSQL in the PostgreSQL
// run), the offline chain, the in-process bus and a manual clock, with helpers that build paying transactions.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <mutex>

#include "jpp/service.hpp"
#include "jpp/signer.hpp"
#include "test_store.hpp"

namespace jpp::testing {

using namespace std::chrono;

inline const char* merchant = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a";

// A service over a fresh store, the offline chain, the in-process bus and a clock the test moves.
// use_chain() puts another chain backend (usually one wrapping `chain`) under a new service.
struct Fixture {
    TestDatabase db;
    std::unique_ptr<InvoiceStore> store = db.open();
    OfflineChain chain;
    InProcessEventBus bus;
    ManualClock clock{Timestamp(seconds(1'800'000'000))};
    ServiceConfig config;
    std::unique_ptr<InvoiceService> service;
    std::vector<Event> events;  // what the bus published, but invoice_created (the tests of it read created_events)
    std::vector<Event> created_events;
    std::mutex events_mutex;
    PrivateKey key = *PrivateKey::from_wif("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn");  // the secret 1
    std::uint8_t next_coin = 1;

    Fixture() {
        service = std::make_unique<InvoiceService>(*store, chain, bus, clock, config);
        bus.subscribe_all([this](const Event& e) {
            std::lock_guard lock(events_mutex);
            (e.type == EventType::invoice_created ? created_events : events).push_back(e);
        });
    }
    void use_chain(ChainBackend& backend) {
        service = std::make_unique<InvoiceService>(*store, backend, bus, clock, config);
    }
    std::vector<Event> events_seen() {
        std::lock_guard lock(events_mutex);
        return events;
    }
    ~Fixture() {
        service.reset();
        store.reset();  // before the database goes
    }

    Invoice create(std::int64_t amount = 10000, std::string memo = "Test invoice") {
        CreateInvoiceRequest request;
        request.outputs.push_back(OutputRequest{amount, merchant, "", std::nullopt});
        request.memo = std::move(memo);
        auto invoice = service->create(request);
        REQUIRE_MESSAGE(invoice.ok(), invoice.error().message);
        return *invoice;
    }

    // A signed transaction paying `outputs` from a fresh coin the chain knows, with a 1 sat/byte fee or more.
    std::string pay_tx(const std::vector<Output>& outputs, std::int64_t fee = 400) {
        Coin coin;
        coin.outpoint.txid.bytes.fill(next_coin++);
        std::int64_t total = fee;
        for (const Output& o : outputs) total += o.value;
        const Hash160 hash = key.public_key_hash();
        const Bytes pkh(hash.begin(), hash.end());
        coin.output = Output{total, locking_bytecode(Address{Network::main, AddressKind::p2pkh, pkh, false}), std::nullopt};
        chain.add_coin(coin.outpoint, coin.output);
        auto tx = build_p2pkh_transaction(key, {&coin, 1}, outputs);
        REQUIRE(tx.ok());
        return to_hex(encode_transaction(*tx));
    }

    std::string paying(const Invoice& invoice, std::int64_t fee = 400) {
        std::vector<Output> outputs;
        for (const InvoiceOutput& o : invoice.outputs) outputs.push_back(Output{o.amount, o.locking_bytecode, o.token});
        return pay_tx(outputs, fee);
    }
};

}  // namespace jpp::testing
