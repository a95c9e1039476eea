#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "jpp/events.hpp"

using namespace jpp;

namespace {

Event payment_for(const InvoiceId& id) {
    Event e;
    e.type = EventType::payment_received;
    e.invoice.id = id;
    return e;
}

}  // namespace

TEST_SUITE("events") {

TEST_CASE("per-invoice and all-invoice subscribers; unsubscribe") {
    InProcessEventBus bus;
    const InvoiceId a = InvoiceId::generate(), b = InvoiceId::generate();
    int for_a = 0, for_all = 0;
    const SubscriptionId sa = bus.subscribe(a, [&](const Event& e) { CHECK(e.invoice.id == a); ++for_a; });
    bus.subscribe_all([&](const Event&) { ++for_all; });
    bus.publish(payment_for(a));
    bus.publish(payment_for(b));
    CHECK(for_a == 1);
    CHECK(for_all == 2);
    bus.unsubscribe(sa);
    bus.unsubscribe(sa);  // twice is harmless
    bus.publish(payment_for(a));
    CHECK(for_a == 1);
    CHECK(for_all == 3);
    CHECK(event_type_name(EventType::invoice_expired) == "invoice_expired");
}

TEST_CASE("a throwing subscriber is counted and the others still hear the event") {
    InProcessEventBus bus;
    const InvoiceId id = InvoiceId::generate();
    int heard = 0;
    bus.subscribe(id, [](const Event&) { throw std::runtime_error("broken"); });
    bus.subscribe(id, [&](const Event&) { ++heard; });
    bus.subscribe_all([](const Event&) { throw 42; });
    bus.subscribe_all([&](const Event&) { ++heard; });
    bus.publish(payment_for(id));
    CHECK(heard == 2);
    CHECK(bus.handler_failures() == 2);
}

TEST_CASE("handlers may subscribe, unsubscribe and publish from inside a handler") {
    InProcessEventBus bus;
    const InvoiceId id = InvoiceId::generate(), other = InvoiceId::generate();
    int nested = 0;
    SubscriptionId self = 0;
    self = bus.subscribe(id, [&](const Event&) {
        bus.unsubscribe(self);
        bus.subscribe(other, [&](const Event&) { ++nested; });
        bus.publish(payment_for(other));
    });
    bus.publish(payment_for(id));
    bus.publish(payment_for(id));  // the first handler is gone
    CHECK(nested == 1);
}

TEST_CASE("many threads publishing and subscribing") {
    InProcessEventBus bus;
    const InvoiceId id = InvoiceId::generate();
    std::atomic<int> delivered{0};
    bus.subscribe(id, [&](const Event&) { ++delivered; });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                const SubscriptionId s = bus.subscribe_all([](const Event&) {});
                bus.publish(payment_for(id));
                bus.unsubscribe(s);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(delivered == 2000);
}

}
