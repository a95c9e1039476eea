#include <doctest/doctest.h>

#include <jpp/sqlite_store.hpp>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <vector>

#include "event_log/follower.hpp"
#include "unit/test_store.hpp"

namespace {

using namespace std::chrono;

// Two stores on one file stand for two processes sharing a database: the second one's changes ring no bell here.
struct Shared {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("jppd-log-" + jpp::InvoiceId::generate().hex() + ".sqlite3");
    std::unique_ptr<jpp::SqliteStore> mine, other;

    Shared() {
        jpp::SqliteOptions shared;
        shared.exclusive = false;
        auto first = jpp::SqliteStore::open(path.string(), shared);
        auto second = jpp::SqliteStore::open(path.string(), shared);
        REQUIRE(first.ok());
        REQUIRE(second.ok());
        mine = std::move(*first);
        other = std::move(*second);
    }
    ~Shared() {
        mine.reset();
        other.reset();
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    }
};

jpp::Invoice invoice_at(jpp::Timestamp now) {
    jpp::Invoice invoice;
    invoice.id = jpp::InvoiceId::generate();
    invoice.time = now;
    invoice.expires = now + hours(1);
    jpp::InvoiceOutput out;
    out.amount = 10000;
    out.address = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a";
    out.locking_bytecode = jpp::Bytes(25, 0x76);
    invoice.outputs.push_back(out);
    return invoice;
}

struct Heard {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<jpp::EventType, jpp::InvoiceId>> events;

    bool wait_for(std::size_t n, milliseconds timeout) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [&] { return events.size() >= n; });
    }
};

}  // namespace

TEST_SUITE("event log") {

TEST_CASE("the follower publishes the log's events in order, once, from this process and from others") {
    Shared db;
    const jpp::Timestamp now = jpp::SystemClock().now();
    REQUIRE(db.mine->insert(invoice_at(now)).ok());  // before the follower: history, not news

    jpp::InProcessEventBus rings;
    jppd::event_log::FollowerOptions options;
    options.poll_interval = milliseconds(200);
    options.batch = 2;  // several reads per ring
    jppd::event_log::Follower follower(*db.mine, rings, options);
    Heard heard;
    const auto id = follower.events().subscribe_all([&](const jpp::Event& e) {
        std::lock_guard lock(heard.mutex);
        heard.events.emplace_back(e.type, e.invoice.id);
        heard.changed.notify_all();
    });

    // This process: the service's bus rings.
    std::vector<jpp::InvoiceId> made;
    for (int i = 0; i < 5; ++i) {
        const jpp::Invoice invoice = invoice_at(now);
        REQUIRE(db.mine->insert(invoice).ok());
        made.push_back(invoice.id);
        rings.publish(jpp::Event{jpp::EventType::invoice_created, invoice});
    }
    REQUIRE(heard.wait_for(5, seconds(5)));
    // Another process: nothing rings; the poll finds it.
    const jpp::Invoice theirs = invoice_at(now);
    REQUIRE(db.other->insert(theirs).ok());
    REQUIRE(db.other->cancel_invoice(theirs.id, 0, now).ok());  // no merchant: not found, no event
    jpp::Payment payment;
    payment.txid.bytes.fill(7);
    payment.paid_at = now;
    REQUIRE(*db.other->record_payment(theirs.id, payment) == jpp::RecordOutcome::recorded);
    REQUIRE(heard.wait_for(7, seconds(5)));
    follower.events().unsubscribe(id);

    std::lock_guard lock(heard.mutex);
    REQUIRE(heard.events.size() == 7);
    for (std::size_t i = 0; i < 5; ++i)
        CHECK(heard.events[i] == std::make_pair(jpp::EventType::invoice_created, made[i]));
    CHECK(heard.events[5] == std::make_pair(jpp::EventType::invoice_created, theirs.id));
    CHECK(heard.events[6] == std::make_pair(jpp::EventType::payment_received, theirs.id));
    CHECK(follower.last_seq() == *db.mine->last_event_seq());
}

TEST_CASE("on PostgreSQL, another instance's change arrives by notification, long before the poll" *
          JPP_POSTGRES_ONLY) {
    jpp::testing::TestDatabase db;
    auto mine = db.open(true);
    auto other = db.open(true);
    jpp::InProcessEventBus rings;  // nothing rings it: only the database's notification can
    jppd::event_log::FollowerOptions options;
    options.poll_interval = std::chrono::hours(1);
    jppd::event_log::Follower follower(*mine, rings, options);
    Heard heard;
    const auto id = follower.events().subscribe_all([&](const jpp::Event& e) {
        std::lock_guard lock(heard.mutex);
        heard.events.emplace_back(e.type, e.invoice.id);
        heard.changed.notify_all();
    });
    const jpp::Invoice theirs = invoice_at(jpp::SystemClock().now());
    REQUIRE(other->insert(theirs).ok());
    CHECK(heard.wait_for(1, seconds(30)));
    follower.events().unsubscribe(id);
    std::lock_guard lock(heard.mutex);
    REQUIRE(heard.events.size() == 1);
    CHECK(heard.events[0] == std::make_pair(jpp::EventType::invoice_created, theirs.id));
}

}  // TEST_SUITE
