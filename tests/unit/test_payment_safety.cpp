// What keeps money safe in InvoiceService::pay and verify: broadcast intents (no replay of a transaction someone
// else sent; retries and reconciliation after a lost answer or a failed record), cheap checks before questions to
// the chain, failing closed, no other invoice named, events published with no lock held, expiry exactly kept.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <thread>

#include "service_fixture.hpp"

using namespace jpp;
using namespace jpp::testing;
using namespace std::chrono;

namespace {

// Wraps the fixture's offline chain: counts questions, and runs a hook inside broadcast (the moment between the
// intent and the record).
struct ProbeChain final : ChainBackend {
    explicit ProbeChain(OfflineChain& offline) : inner(offline) {}
    Status broadcast(ByteView raw, const TxId& txid) override {
        ++broadcasts;
        if (during_broadcast) during_broadcast();
        if (throw_on_broadcast) throw std::runtime_error("host failure");
        return inner.broadcast(raw, txid);
    }
    Result<std::optional<std::vector<Output>>> spent_outputs(const Transaction& tx) override {
        ++lookups;
        if (lookup_error) return *lookup_error;
        if (throw_on_lookup) throw std::runtime_error("host failure");
        return inner.spent_outputs(tx);
    }
    Status ping() override { return {}; }

    OfflineChain& inner;
    std::atomic<int> broadcasts{0}, lookups{0};
    std::function<void()> during_broadcast;
    std::optional<Error> lookup_error;
    bool throw_on_broadcast = false, throw_on_lookup = false;
};

}  // namespace

TEST_SUITE("payment safety") {

TEST_CASE("replay: a transaction that reached the network another way settles no invoice") {
    Fixture f;
    const Invoice invoice = f.create();
    const std::string hex = f.paying(invoice);
    const Bytes raw = *from_hex(hex);
    REQUIRE(f.chain.broadcast(raw, transaction_id(raw)).ok());  // paid to the address directly, outside the server

    auto replay = f.service->pay(invoice.id, PayRequest{hex, "", {}});
    REQUIRE_FALSE(replay.ok());
    CHECK(replay.error().code == Errc::payment_tx_not_new);
    CHECK_FALSE(f.service->get(invoice.id)->payment.has_value());
    CHECK_FALSE(f.store->find_intent(invoice.id)->has_value());
    CHECK(f.events_seen().empty());
    // Asking again changes nothing: the intent written for the refused attempt was removed.
    CHECK(f.service->pay(invoice.id, PayRequest{hex, "", {}}).error().code == Errc::payment_tx_not_new);
}

TEST_CASE("a broadcast with an unknown outcome leaves an intent: the retry succeeds even after expiry") {
    Fixture f;
    const Invoice invoice = f.create();
    const std::string hex = f.paying(invoice);
    f.chain.fail_next_broadcasts(1, make_error(Errc::chain_unavailable, "no answer within 10000 ms"));
    CHECK(f.service->pay(invoice.id, PayRequest{hex, "memo", {}}).error().code == Errc::chain_unavailable);
    REQUIRE(f.store->find_intent(invoice.id)->has_value());

    f.clock.advance(hours(1));
    CHECK(*f.service->announce_expired() == 0);  // a payment may be under way: no expiry announced
    // Another transaction must wait for the first one's outcome.
    CHECK(f.service->pay(invoice.id, PayRequest{f.paying(invoice), "", {}}).error().code ==
          Errc::payment_in_progress);
    auto pending = f.service->verify(invoice.id, hex);
    REQUIRE_MESSAGE(pending.ok(), pending.error().message);

    auto retry = f.service->pay(invoice.id, PayRequest{hex, "ignored: the intent's memo is recorded", {}});
    REQUIRE_MESSAGE(retry.ok(), retry.error().message);
    CHECK(retry->payment->memo == "memo");
    CHECK_FALSE(f.store->find_intent(invoice.id)->has_value());
    const auto events = f.events_seen();
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == EventType::payment_received);
    CHECK(*f.service->announce_expired() == 0);
}

// SQLite only: another writer holds SQLite's file lock; PostgreSQL locks rows, not the database.
TEST_CASE("broadcast, then the record fails on a locked database: the retry after expiry records it once" *
          JPP_SQLITE_ONLY) {
    Fixture f;
    f.service.reset();
    f.store.reset();
    SqliteOptions quick;
    quick.busy_timeout = milliseconds(50);
    auto reopened = SqliteStore::open(f.db.side_path(), quick);
    REQUIRE(reopened.ok());
    f.store = std::move(*reopened);
    ProbeChain probe(f.chain);
    f.use_chain(probe);
    const Invoice invoice = f.create();
    const std::string hex = f.paying(invoice);

    std::optional<SQLite::Database> holder;
    probe.during_broadcast = [&] {  // another writer takes the lock as the node takes the transaction
        holder.emplace(f.db.side_path(), SQLite::OPEN_READWRITE);
        holder->exec("BEGIN IMMEDIATE");
    };
    auto failed = f.service->pay(invoice.id, PayRequest{hex, "", {}});
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().code == Errc::store_failure);
    CHECK(f.chain.broadcasts().size() == 1);  // the money is on the network
    probe.during_broadcast = nullptr;
    holder->exec("ROLLBACK");
    holder.reset();

    f.clock.advance(hours(1));
    CHECK(*f.service->announce_expired() == 0);
    auto retry = f.service->pay(invoice.id, PayRequest{hex, "", {}});  // the node says "already known": ours
    REQUIRE_MESSAGE(retry.ok(), retry.error().message);
    CHECK(retry->payment->txid == transaction_id(*from_hex(hex)));
    CHECK(f.events_seen().size() == 1);
    CHECK(*f.service->announce_expired() == 0);
}

TEST_CASE("reconciliation records what the node took and forgets what it refused, with no wallet retry") {
    Fixture f;
    f.config.intent_grace = seconds(60);
    f.use_chain(f.chain);
    const Invoice taken = f.create(), refused = f.create(20000), lost = f.create(30000);
    const std::string taken_hex = f.paying(taken), refused_hex = f.paying(refused), lost_hex = f.paying(lost);

    // taken: the node got it but the record never happened (as after a crash): an intent written by hand.
    const Bytes taken_raw = *from_hex(taken_hex);
    REQUIRE(f.chain.broadcast(taken_raw, transaction_id(taken_raw)).ok());
    REQUIRE(*f.store->open_intent(BroadcastIntent{taken.id, transaction_id(taken_raw), taken_raw, "m", {},
                                                  f.clock.now()}) == IntentOutcome::opened);
    // refused: its coin is spent meanwhile by another transaction.
    f.chain.fail_next_broadcasts(1, make_error(Errc::chain_unavailable, "timeout"));
    REQUIRE(f.service->pay(refused.id, PayRequest{refused_hex, "", {}}).error().code == Errc::chain_unavailable);
    // lost: the node was unreachable, never got it.
    f.chain.fail_next_broadcasts(1, make_error(Errc::chain_unavailable, "timeout"));
    REQUIRE(f.service->pay(lost.id, PayRequest{lost_hex, "", {}}).error().code == Errc::chain_unavailable);

    CHECK(*f.service->reconcile_intents() == 0);  // all younger than the grace: payments may be under way
    f.clock.advance(seconds(61));
    f.chain.fail_next_broadcasts(2, make_error(Errc::chain_unavailable, "still down"));  // taken's and refused's
    CHECK(*f.service->reconcile_intents() == 1);  // only lost got through
    CHECK(f.service->get(lost.id)->payment.has_value());
    CHECK(f.store->find_intent(taken.id)->has_value());    // unknown outcome: still open
    CHECK(f.store->find_intent(refused.id)->has_value());

    // The refused one's coin goes to another transaction; then a full reconciliation, as at start.
    const Invoice other = f.create(40000);
    REQUIRE(f.service->pay(other.id, PayRequest{f.paying(other), "", {}}).ok());
    Transaction conflicting = *decode_transaction_hex(refused_hex);
    conflicting.outputs.pop_back();  // no change: a different transaction spending the same coin
    conflicting.outputs[0].value -= 1;
    const Bytes conflicting_raw = encode_transaction(conflicting);
    REQUIRE(f.chain.broadcast(conflicting_raw, transaction_id(conflicting_raw)).ok());

    CHECK(*f.service->reconcile_intents(true) == 1);  // taken recorded
    CHECK(f.service->get(taken.id)->payment.has_value());
    CHECK_FALSE(f.service->get(refused.id)->payment.has_value());
    CHECK_FALSE(f.store->find_intent(refused.id)->has_value());
    CHECK(f.store->open_intents(Timestamp::max(), 10)->empty());
    std::size_t received = 0;
    for (const Event& e : f.events_seen()) received += e.type == EventType::payment_received;
    CHECK(received == 3);  // lost, other, taken: each once
}

TEST_CASE("errors never name another invoice, and verify refuses a used transaction as pay does") {
    Fixture f;
    const Invoice first = f.create(), second = f.create();  // same amount, same address
    const std::string hex = f.paying(first);
    REQUIRE(f.service->pay(first.id, PayRequest{hex, "", {}}).ok());
    auto verified = f.service->verify(second.id, hex);
    REQUIRE_FALSE(verified.ok());
    CHECK(verified.error().code == Errc::payment_tx_used);
    CHECK(verified.error().message.find(first.id.hex()) == std::string::npos);
    auto paid = f.service->pay(second.id, PayRequest{hex, "", {}});
    CHECK(paid.error().code == Errc::payment_tx_used);
    CHECK(paid.error().message.find(first.id.hex()) == std::string::npos);
}

TEST_CASE("cheap checks first: a transaction that pays nothing, or has too many inputs, asks the chain nothing") {
    Fixture f;
    ProbeChain probe(f.chain);
    f.config.max_input_lookups = 2;
    f.use_chain(probe);
    const Invoice invoice = f.create();
    const std::string nothing = f.pay_tx({Output{5000, invoice.outputs[0].locking_bytecode, std::nullopt}});
    CHECK(f.service->pay(invoice.id, PayRequest{nothing, "", {}}).error().code == Errc::payment_output_missing);
    CHECK(f.service->verify(invoice.id, nothing).error().code == Errc::payment_output_missing);

    Transaction wide = *decode_transaction_hex(f.paying(invoice));
    for (std::uint32_t i = 1; i <= 2; ++i) {
        Input extra = wide.inputs[0];
        extra.prevout.index = i;
        wide.inputs.push_back(extra);
    }
    auto refused = f.service->pay(invoice.id, PayRequest{to_hex(encode_transaction(wide)), "", {}});
    CHECK(refused.error().code == Errc::payment_too_many_inputs);
    CHECK(probe.lookups == 0);
    CHECK(probe.broadcasts == 0);
}

TEST_CASE("fail closed: a lookup error, a malformed answer or a throwing host fails the payment") {
    Fixture f;
    ProbeChain probe(f.chain);
    f.use_chain(probe);
    Invoice invoice = f.create();
    const std::string hex = f.paying(invoice);

    probe.lookup_error = make_error(Errc::chain_unavailable, "node down");
    CHECK(f.service->pay(invoice.id, PayRequest{hex, "", {}}).error().code == Errc::chain_unavailable);
    probe.lookup_error = make_error(Errc::json_invalid, "unreadable list");
    CHECK(f.service->pay(invoice.id, PayRequest{hex, "", {}}).error().code == Errc::chain_unavailable);
    CHECK(f.service->verify(invoice.id, hex).error().code == Errc::chain_unavailable);
    probe.lookup_error.reset();
    probe.throw_on_lookup = true;
    CHECK(f.service->pay(invoice.id, PayRequest{hex, "", {}}).error().code == Errc::chain_unavailable);
    probe.throw_on_lookup = false;
    probe.throw_on_broadcast = true;
    CHECK(f.service->pay(invoice.id, PayRequest{hex, "", {}}).error().code == Errc::chain_unavailable);
    CHECK(probe.broadcasts == 1);
    CHECK_FALSE(f.service->get(invoice.id)->payment.has_value());
    probe.throw_on_broadcast = false;
    CHECK(f.service->pay(invoice.id, PayRequest{hex, "", {}}).ok());  // the intent's retry
}

TEST_CASE("a subscriber may pay from its callback: events are published with no lock held") {
    Fixture f;
    // Two invoices whose payments share one of the service's in-process locks.
    Invoice first = f.create(), second = f.create(20000);
    while (second.id.bytes[0] % 64 != first.id.bytes[0] % 64) second = f.create(20000);
    const std::string second_hex = f.paying(second);
    std::atomic<bool> paid_inside{false};
    f.bus.subscribe(first.id, [&](const Event&) {
        paid_inside = f.service->pay(second.id, PayRequest{second_hex, "", {}}).ok() &&
                      f.service->pay(first.id, PayRequest{to_hex(f.service->get(first.id)->payment->raw_transaction),
                                                          "", {}}).ok();
    });
    REQUIRE(f.service->pay(first.id, PayRequest{f.paying(first), "", {}}).ok());
    CHECK(paid_inside);
    CHECK(f.service->get(second.id)->payment.has_value());
}

TEST_CASE("no payment_received after invoice_expired: a slow broadcast across the expiry instant") {
    Fixture f;
    ProbeChain probe(f.chain);
    f.use_chain(probe);
    const Invoice invoice = f.create();
    std::size_t announced_meanwhile = 99;
    probe.during_broadcast = [&] {
        f.clock.advance(hours(1));
        announced_meanwhile = *f.service->announce_expired();
    };
    REQUIRE(f.service->pay(invoice.id, PayRequest{f.paying(invoice), "", {}}).ok());
    CHECK(announced_meanwhile == 0);
    const auto events = f.events_seen();
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == EventType::payment_received);
}

TEST_CASE("a clock that steps back does not reopen an invoice announced as expired") {
    Fixture f;
    const Invoice invoice = f.create();
    const std::string hex = f.paying(invoice);
    f.clock.advance(hours(1));
    REQUIRE(*f.service->announce_expired() == 1);
    f.clock.set(invoice.time);
    CHECK(f.service->pay(invoice.id, PayRequest{hex, "", {}}).error().code == Errc::invoice_expired);
    CHECK(f.chain.broadcasts().empty());
}

TEST_CASE("an invoice never expires before the lifetime asked for") {
    // The system clock rounds up, never down.
    for (int i = 0; i < 1000; ++i) {
        const auto before = system_clock::now();
        const Timestamp up = SystemClock().now_rounded_up();
        CHECK(up >= before);
        CHECK(up - before <= seconds(1));
    }
    struct FractionClock final : Clock {  // at 1,800,000,000.8 s
        Timestamp now() const override { return Timestamp(seconds(1'800'000'000)); }
        Timestamp now_rounded_up() const override { return Timestamp(seconds(1'800'000'001)); }
    } clock;
    Fixture f;
    InvoiceService service(*f.store, f.chain, f.bus, clock);
    CreateInvoiceRequest request;
    request.outputs.push_back(OutputRequest{10000, merchant, "", std::nullopt});
    request.lifetime = seconds(1);
    auto invoice = service.create(request);
    REQUIRE(invoice.ok());
    CHECK(invoice->time == Timestamp(seconds(1'800'000'001)));     // 10.8 s is dated 11 s,
    CHECK(invoice->expires == Timestamp(seconds(1'800'000'002)));  // and expires at 12 s, not at 11 s

    // A clock at the end of time: a clear error, no overflow.
    f.clock.set(Timestamp::max());
    auto far = f.service->create(request);
    REQUIRE_FALSE(far.ok());
    CHECK(far.error().code == Errc::invalid_argument);
}

TEST_CASE("refund_to is bounded in count and address length") {
    Fixture f;
    const Invoice invoice = f.create();
    std::vector<RefundOutput> many(f.config.max_refund_outputs + 1, RefundOutput{1, merchant});
    auto too_many = f.service->pay(invoice.id, PayRequest{f.paying(invoice), "", many});
    CHECK(too_many.error().code == Errc::invoice_invalid);
    CHECK(too_many.error().message.find("refund_to: 17 outputs exceed the limit of 16") == 0);
    auto long_address = f.service->pay(invoice.id, PayRequest{f.paying(invoice), "", {RefundOutput{1, std::string(200, 'q')}}});
    CHECK(long_address.error().message.find("refund_to[0].address: longer than 128 bytes") == 0);
}

}

TEST_SUITE("idempotent creation") {

TEST_CASE("one invoice per key and scope: a repeat gets it back, another body is a conflict, threads race safely") {
    Fixture f;
    CreateInvoiceRequest request;
    request.outputs.push_back(OutputRequest{10000, merchant, "", std::nullopt});
    IdempotencyKey key{7, "order-17", {}};
    key.request_hash.fill(0xaa);

    auto first = f.service->create_idempotent(request, key);
    REQUIRE(first.ok());
    CHECK_FALSE(first->existed);
    auto again = f.service->create_idempotent(request, key);
    REQUIRE(again.ok());
    CHECK(again->existed);
    CHECK(again->invoice == first->invoice);

    IdempotencyKey other_body = key;
    other_body.request_hash.fill(0xbb);
    CHECK(f.service->create_idempotent(request, other_body).error().code == Errc::idempotency_conflict);
    IdempotencyKey other_scope = key;
    other_scope.scope = 8;  // another merchant's key of the same name is another key
    auto theirs = f.service->create_idempotent(request, other_scope);
    REQUIRE(theirs.ok());
    CHECK_FALSE(theirs->existed);

    std::vector<std::thread> threads;
    std::atomic<int> made{0}, found{0};
    IdempotencyKey raced{7, "order-18", {}};
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            auto r = f.service->create_idempotent(request, raced);
            if (r.ok()) ++(r->existed ? found : made);
        });
    for (auto& t : threads) t.join();
    CHECK(made == 1);
    CHECK(found == 7);
}

}
