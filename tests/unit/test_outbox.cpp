// The merchant's side of the store and service: cancellation, listing, order ids, the event log written with each
// change, and the webhook outbox (queued in the change's transaction, sent in order per endpoint, under a lease).
#include <doctest/doctest.h>

#include <set>

#include "service_fixture.hpp"

namespace jpp::testing {

namespace {

struct Shop : Fixture {
    std::int64_t shop = 0;
    std::int64_t other = 0;

    Shop() {
        shop = store->add_merchant("shop", clock.now())->id;
        other = store->add_merchant("other", clock.now())->id;
    }

    Invoice create_for(std::int64_t merchant_id, std::optional<std::string> order_id = std::nullopt,
                       std::int64_t amount = 10000) {
        CreateInvoiceRequest request;
        request.outputs.push_back(OutputRequest{amount, merchant, "", std::nullopt});
        request.merchant_id = merchant_id;
        request.metadata = R"({"customer":"c-9"})";
        request.order_id = std::move(order_id);
        auto made = service->create_idempotent(request, std::nullopt);
        REQUIRE_MESSAGE(made.ok(), made.error().message);
        return made->invoice;
    }

    WebhookEndpoint endpoint(std::string id, std::int64_t merchant_id, std::uint32_t types) {
        WebhookEndpoint e{std::move(id), merchant_id, "https://shop.example/hook", "whsec_test", types, clock.now()};
        REQUIRE(store->add_webhook(e).ok());
        return e;
    }

    std::vector<StoredEvent> log() { return *store->events_after(0, 1000); }
};

constexpr std::uint32_t bit(EventType t) { return 1u << static_cast<unsigned>(t); }

}  // namespace

TEST_SUITE("outbox") {

TEST_CASE("each change appends its event in the same transaction: created, paid, expired, cancelled") {
    Shop f;
    const Invoice paid = f.create_for(f.shop);
    REQUIRE(f.service->pay(paid.id, PayRequest{f.paying(paid), "", {}}).ok());
    const Invoice expiring = f.create_for(f.shop);
    const Invoice cancelled = f.create_for(f.shop);
    REQUIRE(f.service->cancel(cancelled.id, f.shop).ok());
    f.clock.advance(hours(1));
    REQUIRE(*f.service->announce_expired() == 1);  // the cancelled one is not announced as expired too

    const auto events = f.log();
    std::vector<std::pair<EventType, InvoiceId>> seen;
    std::set<std::string> ids;
    std::int64_t last = 0;
    for (const StoredEvent& e : events) {
        seen.emplace_back(e.type, e.invoice_id);
        CHECK(e.seq > last);
        last = e.seq;
        CHECK(e.merchant_id == f.shop);
        CHECK(e.id.size() == 4 + 32);
        CHECK(ids.insert(e.id).second);
        CHECK(*f.store->find_event(e.id) == std::optional<StoredEvent>(e));
    }
    CHECK(seen == std::vector<std::pair<EventType, InvoiceId>>{{EventType::invoice_created, paid.id},
                                                              {EventType::payment_received, paid.id},
                                                              {EventType::invoice_created, expiring.id},
                                                              {EventType::invoice_created, cancelled.id},
                                                              {EventType::invoice_cancelled, cancelled.id},
                                                              {EventType::invoice_expired, expiring.id}});
    CHECK(f.store->events_after(events[3].seq, 10)->size() == 2);
    CHECK(*f.store->last_event_seq() == events.back().seq);
    // The bus rang for each after its commit.
    CHECK(f.created_events.size() == 3);
    CHECK(f.events_seen().size() == 3);
}

TEST_CASE("cancel: only the owner's open invoice; a cancelled invoice takes no payment") {
    Shop f;
    const Invoice open = f.create_for(f.shop);
    const std::string raw = f.paying(open);
    CHECK(f.service->cancel(open.id, f.other).error().code == Errc::invoice_not_found);  // not 403: no leak
    CHECK(f.service->cancel(InvoiceId::generate(), f.shop).error().code == Errc::invoice_not_found);
    auto cancelled = f.service->cancel(open.id, f.shop);
    REQUIRE(cancelled.ok());
    CHECK(cancelled->status_at(f.clock.now()) == InvoiceStatus::cancelled);
    CHECK(cancelled->cancelled == f.clock.now());
    CHECK(f.service->cancel(open.id, f.shop).ok());  // again: the same answer, no second event
    CHECK(f.log().size() == 2);
    CHECK(f.service->pay(open.id, PayRequest{raw, "", {}}).error().code == Errc::invoice_cancelled);
    CHECK(f.service->verify(open.id, raw).error().code == Errc::invoice_cancelled);
    CHECK(f.chain.broadcasts().empty());

    const Invoice paid = f.create_for(f.shop);
    REQUIRE(f.service->pay(paid.id, PayRequest{f.paying(paid), "", {}}).ok());
    CHECK(f.service->cancel(paid.id, f.shop).error().code == Errc::invoice_not_cancellable);
    const Invoice late = f.create_for(f.shop);
    f.clock.advance(hours(1));
    CHECK(f.service->cancel(late.id, f.shop).error().code == Errc::invoice_not_cancellable);
}

TEST_CASE("cancel refuses an invoice whose payment is being broadcast") {
    Shop f;
    const Invoice invoice = f.create_for(f.shop);
    Bytes raw = *from_hex(f.paying(invoice));
    BroadcastIntent intent{invoice.id, transaction_id(raw), raw, "", {}, f.clock.now()};
    REQUIRE(*f.store->open_intent(intent) == IntentOutcome::opened);
    CHECK(*f.store->cancel_invoice(invoice.id, f.shop, f.clock.now()) == CancelOutcome::payment_in_progress);
    REQUIRE(f.store->close_intent(invoice.id, intent.txid).ok());
    CHECK(*f.store->cancel_invoice(invoice.id, f.shop, f.clock.now()) == CancelOutcome::cancelled);
    CHECK(*f.store->open_intent(intent) == IntentOutcome::expiry_announced);  // closed to payments for good
}

TEST_CASE("order ids: a repeat gets the first invoice, another request with the id is a conflict") {
    Shop f;
    const Invoice first = f.create_for(f.shop, "17");
    CreateInvoiceRequest again;
    again.outputs.push_back(OutputRequest{10000, merchant, "", std::nullopt});
    again.merchant_id = f.shop;
    again.metadata = R"({"customer":"c-9"})";
    again.order_id = "17";
    auto repeat = f.service->create_idempotent(again, std::nullopt);
    REQUIRE(repeat.ok());
    CHECK(repeat->existed);
    CHECK(repeat->invoice.id == first.id);
    again.outputs[0].amount = 20000;
    CHECK(f.service->create_idempotent(again, std::nullopt).error().code == Errc::order_id_conflict);
    // With an idempotency key of its own, the order id still decides.
    auto keyed = f.service->create_idempotent(again, IdempotencyKey{f.shop, "k-1", {}});
    CHECK(keyed.error().code == Errc::order_id_conflict);
    CHECK(f.service->create(again).error().code == Errc::order_id_conflict);
    // Per merchant: another merchant may use "17".
    CHECK(f.create_for(f.other, "17").id != first.id);
    again.order_id = std::string(129, 'x');
    CHECK(f.service->create(again).error().code == Errc::invoice_invalid);
    again.order_id = "a\nb";
    CHECK(f.service->create(again).error().code == Errc::invoice_invalid);
    CHECK(f.created_events.size() == 2);
}

TEST_CASE("listing: the merchant's own, newest first, filtered, in keyset pages") {
    Shop f;
    std::vector<InvoiceId> made;  // oldest first
    for (int i = 0; i < 7; ++i) {
        made.push_back(f.create_for(f.shop, "order-" + std::to_string(i)).id);
        if (i % 2 == 0) f.clock.advance(seconds(10));  // some share a second: the id breaks the tie
    }
    f.create_for(f.other);
    REQUIRE(f.service->cancel(made[1], f.shop).ok());
    const Invoice to_pay = *f.service->get(made[2]);
    REQUIRE(f.service->pay(made[2], PayRequest{f.paying(to_pay), "", {}}).ok());

    std::vector<InvoiceId> paged;
    InvoiceQuery query;
    query.merchant_id = f.shop;
    query.limit = 3;
    for (;;) {
        auto page = f.service->list(query);
        REQUIRE(page.ok());
        for (const Invoice& i : *page) paged.push_back(i.id);
        if (page->size() < query.limit) break;
        query.after = std::make_pair(page->back().time, page->back().id);
    }
    REQUIRE(paged.size() == 7);
    for (std::size_t i = 1; i < paged.size(); ++i) {
        const Invoice a = *f.service->get(paged[i - 1]), b = *f.service->get(paged[i]);
        CHECK((a.time > b.time || (a.time == b.time && b.id < a.id)));
    }
    CHECK(std::set<InvoiceId>(paged.begin(), paged.end()) == std::set<InvoiceId>(made.begin(), made.end()));

    const auto ids_of = [&](InvoiceQuery q) {
        q.merchant_id = f.shop;
        std::set<InvoiceId> out;
        auto page = f.service->list(q);
        REQUIRE(page.ok());
        for (const Invoice& i : *page) out.insert(i.id);
        return out;
    };
    InvoiceQuery q;
    q.status = InvoiceStatus::cancelled;
    CHECK(ids_of(q) == std::set<InvoiceId>{made[1]});
    q.status = InvoiceStatus::paid;
    CHECK(ids_of(q) == std::set<InvoiceId>{made[2]});
    q.status = InvoiceStatus::open;
    CHECK(ids_of(q).size() == 5);
    q = {};
    q.order_id = "order-4";
    CHECK(ids_of(q) == std::set<InvoiceId>{made[4]});
    q = {};
    q.created_after = f.service->get(made[6])->time;
    CHECK(ids_of(q).count(made[6]) == 1);
    CHECK(ids_of(q).count(made[0]) == 0);
    q = {};
    q.created_before = f.service->get(made[2])->time;
    CHECK(ids_of(q) == std::set<InvoiceId>{made[0]});  // made[1] shares made[2]'s second
    f.clock.advance(hours(1));
    q = {};
    q.status = InvoiceStatus::expired;
    CHECK(ids_of(q).size() == 5);  // all but the cancelled and the paid one
}

TEST_CASE("webhook outbox: queued with the change for the endpoints that want it, sent in order under a lease") {
    Shop f;
    f.endpoint("we_all", f.shop, 0xf);
    f.endpoint("we_paid", f.shop, bit(EventType::payment_received));
    f.endpoint("we_other", f.other, 0xf);
    const Invoice a = f.create_for(f.shop);
    const Invoice b = f.create_for(f.shop);
    REQUIRE(f.service->pay(a.id, PayRequest{f.paying(a), "", {}}).ok());

    CHECK(f.store->deliveries("we_all", 10)->size() == 3);
    CHECK(f.store->deliveries("we_paid", 10)->size() == 1);
    CHECK(f.store->deliveries("we_other", 10)->empty());  // never another merchant's events


    const Timestamp now = f.clock.now();
    auto due = f.store->take_due_deliveries(now, now + seconds(30), 10);
    REQUIRE(due.ok());
    REQUIRE(due->size() == 2);  // one per endpoint: the head of each queue
    const auto head_of = [&](const std::string& endpoint) -> const DueDelivery& {
        for (const DueDelivery& d : *due)
            if (d.delivery.endpoint_id == endpoint) return d;
        FAIL("no delivery for " << endpoint);
        throw std::logic_error("unreachable");
    };
    const DueDelivery& first = head_of("we_all");
    CHECK(first.delivery.event.type == EventType::invoice_created);
    CHECK(first.delivery.event.invoice_id == a.id);
    CHECK(first.url == "https://shop.example/hook");
    CHECK(first.secret == "whsec_test");
    CHECK(head_of("we_paid").delivery.event.type == EventType::payment_received);
    REQUIRE(f.store->record_attempt(head_of("we_paid").delivery.id, {now, 204, "", milliseconds(5)},
                                    DeliveryState::delivered, now).ok());
    // Leased: nobody takes them again before the lease ends, and the queues behind them wait.
    CHECK(f.store->take_due_deliveries(now, now + seconds(30), 10)->empty());
    CHECK(f.store->take_due_deliveries(now + seconds(31), now + seconds(60), 10)->size() == 1);

    // A retryable failure keeps the head; success moves the queue on.
    REQUIRE(f.store->record_attempt(first.delivery.id, {now, 500, "HTTP 500", milliseconds(12)},
                                    DeliveryState::pending, now + seconds(100)).ok());
    CHECK(f.store->take_due_deliveries(now + seconds(99), now + seconds(120), 10)->empty());
    auto retried = f.store->take_due_deliveries(now + seconds(100), now + seconds(130), 10);
    REQUIRE(retried.ok());
    REQUIRE(retried->size() == 1);
    CHECK(retried->front().delivery.id == first.delivery.id);
    REQUIRE(retried->front().delivery.attempts.size() == 1);
    CHECK(retried->front().delivery.attempts[0].status_code == 500);
    CHECK(retried->front().delivery.attempts[0].duration == milliseconds(12));
    REQUIRE(f.store->record_attempt(first.delivery.id, {now, 200, "", milliseconds(3)}, DeliveryState::delivered,
                                    now).ok());
    auto next = f.store->take_due_deliveries(now + seconds(131), now + seconds(160), 10);
    REQUIRE(next.ok());
    REQUIRE(next->size() == 1);
    CHECK(next->front().delivery.event.invoice_id == b.id);

    // The log, newest first, with attempts.
    auto log = f.store->deliveries("we_all", 10);
    REQUIRE(log->size() == 3);
    CHECK(log->back().state == DeliveryState::delivered);
    CHECK(log->back().attempts.size() == 2);

    // Redelivery: a new delivery naming the original; only within one merchant.
    auto again = f.store->redeliver(first.delivery.event.id, "we_all", now);
    REQUIRE(again.ok());
    REQUIRE(again->has_value());
    CHECK((*again)->redelivery_of == first.delivery.id);
    CHECK((*again)->id != first.delivery.id);
    CHECK((*again)->event.id == first.delivery.event.id);
    CHECK_FALSE(f.store->redeliver(first.delivery.event.id, "we_other", now)->has_value());
    CHECK_FALSE(f.store->redeliver("evt_nothing", "we_all", now)->has_value());

    // Removing an endpoint drops its queue.
    CHECK(*f.store->remove_webhook("we_all"));
    CHECK(f.store->deliveries("we_all", 10)->empty());
    CHECK_FALSE(*f.store->remove_webhook("we_all"));
    CHECK(f.store->webhooks(f.shop)->size() == 1);
    CHECK(f.store->webhooks(std::nullopt)->size() == 2);
}

TEST_CASE("a delivery is due at once, though its invoice is dated with the second rounded up") {
    Shop f;
    f.endpoint("we_all", f.shop, 0xf);
    Invoice ahead = f.create_for(f.shop);
    ahead.id = InvoiceId::generate();
    ahead.time = f.clock.now() + seconds(1);
    ahead.order_id.reset();
    REQUIRE(f.store->insert(ahead).ok());
    auto due = f.store->take_due_deliveries(f.clock.now(), f.clock.now() + seconds(30), 10);
    REQUIRE(due.ok());
    REQUIRE(due->size() == 1);  // the queue's head: the first invoice's; the one dated ahead is behind it
    REQUIRE(f.store->record_attempt(due->front().delivery.id, {f.clock.now(), 200, "", milliseconds(1)},
                                    DeliveryState::delivered, f.clock.now()).ok());
    auto next = f.store->take_due_deliveries(f.clock.now(), f.clock.now() + seconds(30), 10);
    REQUIRE(next.ok());
    REQUIRE(next->size() == 1);
    CHECK(next->front().delivery.event.invoice_id == ahead.id);
}

}  // TEST_SUITE

}  // namespace jpp::testing
