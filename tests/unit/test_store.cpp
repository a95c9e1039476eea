// The store's behaviour, on whichever store test_store.hpp gives: SQLite, or PostgreSQL in the PostgreSQL run
// (ctest -R unit_postgres). Exactly-once payments under threads and processes racing, expiry claims, reopening,
// and no acknowledged payment lost to a killed process.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <iostream>
#include <latch>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "jpp/hash.hpp"
#include "test_store.hpp"

using namespace jpp;
using namespace jpp::testing;
using namespace std::chrono;

namespace {

Invoice plain_invoice(std::int64_t expires_at = 2000) {
    Invoice invoice;
    invoice.id = InvoiceId::generate();
    invoice.network = Network::test;
    invoice.required_fee_per_byte = 1.1;  // not a binary fraction: REAL must keep every bit
    invoice.memo = "memo ✓";
    invoice.time = Timestamp(seconds(1000));
    invoice.expires = Timestamp(seconds(expires_at));
    invoice.merchant_data = R"({"order":1})";
    invoice.outputs.push_back(InvoiceOutput{1000, "bchtest:qq", Bytes{0x76, 0xa9}, "first", std::nullopt});
    return invoice;
}

Invoice token_invoice(std::int64_t expires_at = 2000) {
    Invoice invoice = plain_invoice(expires_at);
    TokenData both;
    for (std::size_t i = 0; i < both.category.size(); ++i) both.category[i] = static_cast<std::uint8_t>(i);
    both.amount = max_token_amount;
    both.nft = Nft{NftCapability::mutable_, Bytes(128, 0xc0)};
    invoice.outputs.push_back(InvoiceOutput{2000, "bchtest:zz", Bytes{0xa9, 0x14}, "", both});
    TokenData nft_empty_commitment;
    nft_empty_commitment.category.fill(0x5a);
    nft_empty_commitment.nft = Nft{NftCapability::none, {}};
    invoice.outputs.push_back(InvoiceOutput{3000, "bchtest:zr", Bytes{0xaa}, "", nft_empty_commitment});
    TokenData minting;
    minting.category.fill(0x01);
    minting.nft = Nft{NftCapability::minting, {0x00}};
    invoice.outputs.push_back(InvoiceOutput{4000, "bchtest:zm", Bytes{0xab}, "minting", minting});
    TokenData fungible_only;
    fungible_only.category.fill(0x02);
    fungible_only.amount = 1;
    invoice.outputs.push_back(InvoiceOutput{5000, "bchtest:zf", Bytes{}, "empty bytecode", fungible_only});
    return invoice;
}

std::int64_t payment_rows(const TestDatabase& db, const InvoiceId* id = nullptr) {
    if (!id) return db.count("SELECT count(*) FROM payments");
    return db.count("SELECT count(*) FROM payments WHERE invoice_id = " + db.blob(id->bytes));
}

// SQLite checks its file; PostgreSQL's own consistency is not this test's to check.
bool integrity_ok(const TestDatabase& db) {
    return db.postgres() || db.count("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'") == 0;
}

// invoices.paid is kept by triggers for the expiry index; it must always agree with the payments table.
std::int64_t paid_flags_wrong(const TestDatabase& db) {
    return db.count("SELECT count(*) FROM invoices WHERE paid != CASE WHEN EXISTS (SELECT 1 FROM payments WHERE "
                    "payments.invoice_id = invoices.id) THEN 1 ELSE 0 END");
}

bool mentions(const Error& error, std::string_view text) { return error.message.find(text) != std::string::npos; }

// fork() copies unflushed output buffers into the child, where they could be written twice.
pid_t fork_flushed() {
    std::cout.flush();
    std::fflush(nullptr);
    return fork();
}

}  // namespace

TEST_SUITE("store") {

TEST_CASE("invoices round-trip exactly, with and without tokens, payments and refunds") {
    TestDatabase tmp;
    auto store = tmp.open();

    const Invoice plain = plain_invoice();
    const Invoice tokens = token_invoice();
    Invoice bare = plain_invoice();  // empty strings and no outputs at all
    bare.memo.clear();
    bare.currency.clear();
    bare.merchant_data = "null";
    bare.outputs.clear();
    bare.time = Timestamp(seconds(-5));  // before 1970 stays before 1970
    bare.required_fee_per_byte = 0.0;
    Invoice imported = token_invoice();  // inserted already paid, as an import would
    imported.payment = make_payment(7);
    Invoice imported_plain = plain_invoice();
    imported_plain.payment = Payment{txid_of(8), "", Timestamp(seconds(0)), {}, {}, {}};  // no refunds, no raw bytes

    for (const Invoice* i : std::initializer_list<const Invoice*>{&plain, &tokens, &bare, &imported, &imported_plain}) {
        REQUIRE(store->insert(*i).ok());
        auto found = store->find(i->id);
        REQUIRE(found.ok());
        REQUIRE(found->has_value());
        CHECK(**found == *i);
    }

    // A payment recorded later reads back with the invoice, by id and by txid.
    REQUIRE(*store->record_payment(tokens.id, make_payment(1)) == RecordOutcome::recorded);
    Invoice paid = tokens;
    paid.payment = make_payment(1);
    CHECK(**store->find(tokens.id) == paid);
    CHECK(**store->find_by_txid(txid_of(1)) == paid);
    CHECK(**store->find_by_txid(txid_of(7)) == imported);
    CHECK(**store->find_by_txid(txid_of(8)) == imported_plain);
}

TEST_CASE("find of an unknown id or an unused txid is nullopt, not an error") {
    TestDatabase tmp;
    auto store = tmp.open();
    const Invoice present = plain_invoice();
    REQUIRE(store->insert(present).ok());
    for (int round = 0; round < 3; ++round) {  // repeated: the connection's cached statements are reused
        auto missing = store->find(InvoiceId::generate());
        REQUIRE(missing.ok());
        CHECK_FALSE(missing->has_value());
        auto unused = store->find_by_txid(txid_of(42));
        REQUIRE(unused.ok());
        CHECK_FALSE(unused->has_value());
        auto found = store->find(present.id);
        REQUIRE(found.ok());
        CHECK(*found == present);
    }
}

TEST_CASE("inserting an id twice fails and keeps the first invoice") {
    TestDatabase tmp;
    auto store = tmp.open();
    const Invoice first = plain_invoice();
    REQUIRE(store->insert(first).ok());
    Invoice second = token_invoice();
    second.id = first.id;
    const Status again = store->insert(second);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == Errc::store_failure);
    CHECK(mentions(again.error(), "insert invoice"));
    CHECK(**store->find(first.id) == first);  // the failed insert left none of its rows behind
    CHECK(tmp.count("SELECT count(*) FROM invoice_outputs") == 1);
}

TEST_CASE("record_payment: every outcome") {
    TestDatabase tmp;
    auto store = tmp.open();
    const Invoice a = plain_invoice(), b = plain_invoice();
    REQUIRE(store->insert(a).ok());
    REQUIRE(store->insert(b).ok());

    CHECK(*store->record_payment(InvoiceId::generate(), make_payment(9)) == RecordOutcome::not_found);
    CHECK(*store->record_payment(a.id, make_payment(1)) == RecordOutcome::recorded);
    CHECK(*store->record_payment(a.id, make_payment(1)) == RecordOutcome::already_paid_same_tx);
    Payment retry = make_payment(1);  // a retry with another memo does not overwrite the first
    retry.memo = "second try";
    CHECK(*store->record_payment(a.id, retry) == RecordOutcome::already_paid_same_tx);
    CHECK(*store->record_payment(a.id, make_payment(2)) == RecordOutcome::already_paid_other_tx);
    CHECK(*store->record_payment(b.id, make_payment(1)) == RecordOutcome::tx_used_elsewhere);
    CHECK(*store->record_payment(b.id, make_payment(3)) == RecordOutcome::recorded);

    CHECK((*store->find(a.id))->payment == make_payment(1));
    CHECK((*store->find(b.id))->payment == make_payment(3));
    CHECK(payment_rows(tmp) == 2);
    CHECK(tmp.count("SELECT count(*) FROM refund_outputs") == 4);
    CHECK(paid_flags_wrong(tmp) == 0);
}

TEST_CASE("claim_expired returns each expired unpaid invoice once, never a paid one") {
    TestDatabase tmp;
    auto store = tmp.open();
    std::vector<Invoice> early;
    for (int i = 0; i < 5; ++i) early.push_back(token_invoice(1100 + i));
    const Invoice at_deadline = plain_invoice(2000), late = plain_invoice(5000);
    const Invoice paid = plain_invoice(1100), paid_late = plain_invoice(3000);
    Invoice imported_paid = plain_invoice(1000);  // inserted with its payment
    imported_paid.payment = make_payment(9);
    for (const Invoice& i : early) REQUIRE(store->insert(i).ok());
    for (const Invoice* i :
         std::initializer_list<const Invoice*>{&at_deadline, &late, &paid, &paid_late, &imported_paid})
        REQUIRE(store->insert(*i).ok());
    REQUIRE(*store->record_payment(paid.id, make_payment(3)) == RecordOutcome::recorded);

    const Timestamp now(seconds(2000));
    std::vector<Invoice> claimed;
    for (;;) {  // in batches of two, as a sweeper with a small limit would
        auto batch = store->claim_expired(now, 2);
        REQUIRE(batch.ok());
        CHECK(batch->size() <= 2);
        if (batch->empty()) break;
        claimed.insert(claimed.end(), batch->begin(), batch->end());
    }
    REQUIRE(claimed.size() == 6);  // the five early ones and the one expiring exactly now
    std::set<InvoiceId> ids;
    for (const Invoice& i : claimed) ids.insert(i.id);
    CHECK(ids.size() == 6);
    CHECK(claimed.front() == early.front());  // oldest first, fully loaded with its outputs
    CHECK(ids.count(at_deadline.id) == 1);
    CHECK(ids.count(paid.id) == 0);
    CHECK(ids.count(imported_paid.id) == 0);

    CHECK(store->claim_expired(now, 100)->empty());
    CHECK(store->claim_expired(now, 0)->empty());
    REQUIRE(*store->record_payment(paid_late.id, make_payment(4)) == RecordOutcome::recorded);
    auto later = store->claim_expired(Timestamp(seconds(6000)), 100);
    REQUIRE(later.ok());
    REQUIRE(later->size() == 1);
    CHECK((*later)[0] == late);
    CHECK(store->claim_expired(Timestamp(seconds(1'000'000)), SIZE_MAX)->empty());
    CHECK(paid_flags_wrong(tmp) == 0);
    CHECK(tmp.count("SELECT count(*) FROM invoices WHERE expiry_announced = 1") == 7);
}

TEST_CASE("reopening keeps invoices, payments and expiry claims") {
    TestDatabase tmp;
    const Invoice paid = token_invoice(), expired = plain_invoice(1500);
    {
        auto store = tmp.open();
        REQUIRE(store->insert(paid).ok());
        REQUIRE(store->insert(expired).ok());
        REQUIRE(*store->record_payment(paid.id, make_payment(1)) == RecordOutcome::recorded);
        REQUIRE(store->claim_expired(Timestamp(seconds(2000)), 10)->size() == 1);
    }
    auto store = tmp.open();
    Invoice expected = paid;
    expected.payment = make_payment(1);
    CHECK(**store->find(paid.id) == expected);
    CHECK(**store->find(expired.id) == expired);
    CHECK(store->claim_expired(Timestamp(seconds(2000)), 10)->empty());
    CHECK(*store->record_payment(paid.id, make_payment(1)) == RecordOutcome::already_paid_same_tx);
    CHECK(store->ping().ok());
}

TEST_CASE("threads racing to pay one invoice with different transactions: exactly one payment") {
    TestDatabase tmp;
    auto store = tmp.open();
    const Invoice invoice = plain_invoice();
    REQUIRE(store->insert(invoice).ok());
    constexpr int threads_count = 8;
    std::latch start(threads_count);
    std::vector<Result<RecordOutcome>> outcomes(threads_count, make_error(Errc::store_failure, "not run"));
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_count; ++t)
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            outcomes[static_cast<std::size_t>(t)] =
                store->record_payment(invoice.id, make_payment(static_cast<std::uint8_t>(t + 1)));
        });
    for (auto& t : threads) t.join();
    int recorded = 0, other = 0;
    std::optional<TxId> winner;
    for (std::size_t t = 0; t < outcomes.size(); ++t) {
        REQUIRE_MESSAGE(outcomes[t].ok(), outcomes[t].error().message);
        if (*outcomes[t] == RecordOutcome::recorded) {
            ++recorded;
            winner = txid_of(static_cast<std::uint8_t>(t + 1));
        }
        other += *outcomes[t] == RecordOutcome::already_paid_other_tx;
    }
    CHECK(recorded == 1);
    CHECK(other == threads_count - 1);
    CHECK(payment_rows(tmp) == 1);
    CHECK((*store->find(invoice.id))->payment->txid == winner);
}

TEST_CASE("threads retrying one transaction: one records it, the rest see their own payment") {
    TestDatabase tmp;
    auto store = tmp.open();
    const Invoice invoice = plain_invoice();
    REQUIRE(store->insert(invoice).ok());
    constexpr int threads_count = 8;
    std::latch start(threads_count);
    std::atomic<int> recorded{0}, same{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_count; ++t)
        threads.emplace_back([&] {
            start.arrive_and_wait();
            auto r = store->record_payment(invoice.id, make_payment(100));
            if (!r) ++failed;
            else if (*r == RecordOutcome::recorded) ++recorded;
            else if (*r == RecordOutcome::already_paid_same_tx) ++same;
        });
    for (auto& t : threads) t.join();
    CHECK(failed == 0);
    CHECK(recorded == 1);
    CHECK(same == threads_count - 1);
    CHECK(payment_rows(tmp) == 1);
}

TEST_CASE("threads paying several invoices with one transaction: it settles exactly one") {
    TestDatabase tmp;
    auto store = tmp.open();
    constexpr int threads_count = 8;
    std::vector<Invoice> invoices;
    for (int t = 0; t < threads_count; ++t) {
        invoices.push_back(plain_invoice());
        REQUIRE(store->insert(invoices.back()).ok());
    }
    std::latch start(threads_count);
    std::atomic<int> recorded{0}, elsewhere{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_count; ++t)
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            auto r = store->record_payment(invoices[static_cast<std::size_t>(t)].id, make_payment(55));
            if (!r) ++failed;
            else if (*r == RecordOutcome::recorded) ++recorded;
            else if (*r == RecordOutcome::tx_used_elsewhere) ++elsewhere;
        });
    for (auto& t : threads) t.join();
    CHECK(failed == 0);
    CHECK(recorded == 1);
    CHECK(elsewhere == threads_count - 1);
    CHECK(payment_rows(tmp) == 1);
}

TEST_CASE("processes racing on one file: exactly one payment, intact database") {
    TestDatabase tmp;
    const Invoice invoice = plain_invoice();
    REQUIRE(tmp.open()->insert(invoice).ok());
    constexpr int processes = 6;
    int go[2];
    REQUIRE(pipe(go) == 0);
    std::vector<pid_t> children;
    for (int p = 0; p < processes; ++p) {
        const pid_t pid = fork_flushed();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(go[1]);
            // SQLite: a file shared by several stores; the constraints alone decide, as they must whatever the
            // callers do. PostgreSQL: several instances on one database, as in production.
            std::string error;
            auto store = tmp.try_open(true, error);
            if (!store) _exit(3);
            char byte;
            (void)!read(go[0], &byte, 1);  // returns at EOF, when the parent closes its end: all start together
            auto r = store->record_payment(invoice.id, make_payment(static_cast<std::uint8_t>(10 + p)));
            _exit(!r ? 3 : *r == RecordOutcome::recorded ? 0 : *r == RecordOutcome::already_paid_other_tx ? 1 : 2);
        }
        children.push_back(pid);
    }
    close(go[0]);
    std::this_thread::sleep_for(milliseconds(50));  // let the children open the store
    close(go[1]);
    int winners = 0, losers = 0;
    for (const pid_t pid : children) {
        int status = 0;
        REQUIRE(waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        winners += WEXITSTATUS(status) == 0;
        losers += WEXITSTATUS(status) == 1;
    }
    CHECK(winners == 1);
    CHECK(losers == processes - 1);
    CHECK(payment_rows(tmp, &invoice.id) == 1);
    CHECK(payment_rows(tmp) == 1);
    CHECK(integrity_ok(tmp));
}

TEST_CASE("durability: a child killed at random moments loses no acknowledged payment") {
    TestDatabase tmp;
    const std::string log = tmp.side_path() + ".acknowledged";
    std::mt19937 rng(std::random_device{}());
    for (int round = 0; round < 5; ++round) {
        // The child says when its store is open (connecting to a server takes a while on a busy machine): the
        // random moment of the kill falls among payments, not before the first.
        int ready[2];
        REQUIRE(pipe(ready) == 0);
        const pid_t pid = fork_flushed();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(ready[0]);
            std::string error;
            auto store = tmp.try_open(false, error);
            if (!store) _exit(3);
            const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (out < 0) _exit(4);
            if (::write(ready[1], "r", 1) != 1) _exit(8);
            close(ready[1]);
            for (;;) {
                Invoice invoice = plain_invoice();
                if (!store->insert(invoice)) _exit(5);
                Payment p = make_payment(0);
                p.txid.bytes = sha256(invoice.id.bytes);
                auto r = store->record_payment(invoice.id, p);
                if (!r || *r != RecordOutcome::recorded) _exit(6);
                // Only after record_payment returned; one write() of 16 bytes is all there or not at all.
                if (::write(out, invoice.id.bytes.data(), invoice.id.bytes.size()) != 16) _exit(7);
            }
        }
        close(ready[1]);
        char byte = 0;
        (void)!read(ready[0], &byte, 1);  // a byte when the child is ready, EOF when it died first
        close(ready[0]);
        std::this_thread::sleep_for(milliseconds(50 + rng() % 200));
        kill(pid, SIGKILL);
        int status = 0;
        REQUIRE(waitpid(pid, &status, 0) == pid);
        REQUIRE_MESSAGE(WIFSIGNALED(status), "child exited early with ", WEXITSTATUS(status));
    }

    auto store = tmp.open();  // recovers whatever the last kill left (SQLite: in the WAL)
    std::FILE* in = std::fopen(log.c_str(), "rb");
    REQUIRE(in != nullptr);
    int checked = 0;
    for (InvoiceId id; std::fread(id.bytes.data(), 1, id.bytes.size(), in) == id.bytes.size(); ++checked) {
        auto found = store->find(id);
        REQUIRE(found.ok());
        REQUIRE_MESSAGE(found->has_value(), "acknowledged invoice ", id.hex(), " is missing");
        REQUIRE_MESSAGE((*found)->payment.has_value(), "acknowledged payment for ", id.hex(), " is missing");
        CHECK((*found)->payment->txid.bytes == sha256(id.bytes));
    }
    std::fclose(in);
    CHECK(checked > 5);
    // Payments without an invoice, or two for one invoice, cannot exist; nor can refunds without a payment.
    CHECK(tmp.count("SELECT count(*) FROM payments WHERE invoice_id NOT IN (SELECT id FROM invoices)") == 0);
    CHECK(tmp.count("SELECT count(*) FROM (SELECT invoice_id FROM payments GROUP BY invoice_id "
                    "HAVING count(*) > 1) AS twice") == 0);
    CHECK(tmp.count("SELECT count(*) FROM refund_outputs WHERE invoice_id NOT IN (SELECT invoice_id FROM payments)") == 0);
    CHECK(paid_flags_wrong(tmp) == 0);
    CHECK(integrity_ok(tmp));
}

}  // TEST_SUITE

// ---- Several instances on one database (SQLite: stores sharing a file; PostgreSQL: as in production)

TEST_SUITE("store instances") {

TEST_CASE("sweepers of several instances at once: each expired invoice is claimed, and announced, once") {
    TestDatabase db;
    constexpr int invoices = 40, instances = 4;
    {
        auto store = db.open(true);
        for (int i = 0; i < invoices; ++i) REQUIRE(store->insert(plain_invoice(1500 + i)).ok());
    }
    std::vector<std::unique_ptr<InvoiceStore>> stores;
    for (int i = 0; i < instances; ++i) stores.push_back(db.open(true));
    std::latch start(instances);
    std::mutex mutex;
    std::vector<InvoiceId> claimed;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < instances; ++i)
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            for (;;) {
                auto batch = stores[static_cast<std::size_t>(i)]->claim_expired(Timestamp(seconds(5000)), 3);
                if (!batch) {
                    ++failures;
                    return;
                }
                if (batch->empty()) return;
                std::lock_guard lock(mutex);
                for (const Invoice& invoice : *batch) claimed.push_back(invoice.id);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK(claimed.size() == invoices);
    CHECK(std::set<InvoiceId>(claimed.begin(), claimed.end()).size() == invoices);
    CHECK(db.count("SELECT count(*) FROM events WHERE type = " +
                   std::to_string(static_cast<int>(EventType::invoice_expired))) == invoices);
}

TEST_CASE("the sweep and payments racing on several instances: no invoice is both announced and given an intent") {
    TestDatabase db;
    constexpr int invoices = 40;
    std::vector<Invoice> all;
    {
        auto store = db.open(true);
        for (int i = 0; i < invoices; ++i) {
            all.push_back(plain_invoice(1500));
            REQUIRE(store->insert(all.back()).ok());
        }
    }
    auto sweeper = db.open(true), payer = db.open(true);
    std::latch start(2);
    std::set<InvoiceId> claimed, opened;
    std::atomic<int> failures{0};
    std::thread sweeping([&] {
        start.arrive_and_wait();
        for (;;) {
            auto batch = sweeper->claim_expired(Timestamp(seconds(5000)), 2);
            if (!batch) {
                ++failures;
                return;
            }
            if (batch->empty()) return;
            for (const Invoice& invoice : *batch) claimed.insert(invoice.id);
        }
    });
    std::thread paying([&] {
        start.arrive_and_wait();
        for (std::size_t i = 0; i < all.size(); ++i) {
            BroadcastIntent intent{all[i].id, txid_of(static_cast<std::uint8_t>(i + 1)), Bytes{1}, "", {},
                                   Timestamp(seconds(1400))};
            auto outcome = payer->open_intent(intent);
            if (!outcome) ++failures;
            else if (*outcome == IntentOutcome::opened) opened.insert(all[i].id);
            else if (*outcome != IntentOutcome::expiry_announced) ++failures;
        }
    });
    sweeping.join();
    paying.join();
    CHECK(failures == 0);
    // An invoice with an intent stays unannounced for good, whatever later sweeps find.
    auto later = sweeper->claim_expired(Timestamp(seconds(5000)), 100);
    REQUIRE(later.ok());
    for (const Invoice& invoice : *later) claimed.insert(invoice.id);
    for (const InvoiceId& id : opened) CHECK_MESSAGE(claimed.count(id) == 0, id.hex());
    CHECK(claimed.size() + opened.size() == invoices);
}

TEST_CASE("the event log in commit order: a reader following it misses nothing written by racing instances") {
    TestDatabase db;
    constexpr int writers = 4, per_writer = 25;
    std::vector<std::unique_ptr<InvoiceStore>> stores;
    for (int i = 0; i <= writers; ++i) stores.push_back(db.open(true));
    std::atomic<int> writing{writers}, failures{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w)
        threads.emplace_back([&, w] {
            for (int i = 0; i < per_writer; ++i)
                if (!stores[static_cast<std::size_t>(w)]->insert(plain_invoice())) ++failures;
            --writing;
        });
    // The reader asks for what follows the last number it saw, as a webhook sender or a watcher does.
    std::vector<StoredEvent> seen;
    std::int64_t last = 0;
    for (bool done = false; !done;) {
        done = writing == 0;  // one more read after the writers finished
        auto next = stores.back()->events_after(last, 7);
        if (!next) {
            ++failures;
            break;
        }
        for (const StoredEvent& e : *next) {
            if (e.seq <= last) ++failures;  // out of order
            last = e.seq;
            seen.push_back(e);
        }
        if (!next->empty()) done = false;
        else std::this_thread::sleep_for(milliseconds(1));
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK(seen.size() == writers * per_writer);
    std::set<std::string> ids;
    for (const StoredEvent& e : seen) ids.insert(e.id);
    CHECK(ids.size() == seen.size());
}

TEST_CASE("webhook senders of several instances: each endpoint's head is taken by one of them, once") {
    TestDatabase db;
    constexpr int endpoints = 6, instances = 3;
    std::vector<std::unique_ptr<InvoiceStore>> stores;
    for (int i = 0; i < instances; ++i) stores.push_back(db.open(true));
    const Timestamp now(seconds(1000));
    const std::int64_t shop = stores[0]->add_merchant("shop", now)->id;
    for (int e = 0; e < endpoints; ++e)
        REQUIRE(stores[0]->add_webhook(WebhookEndpoint{"we_" + std::to_string(1000000000000000 + e), shop,
                                                       "https://shop.example/hook", "whsec_test",
                                                       1u << static_cast<unsigned>(EventType::invoice_created), now})
                    .ok());
    for (int i = 0; i < 3; ++i) {  // three events, so three deliveries queued for each endpoint
        Invoice invoice = plain_invoice();
        invoice.merchant_id = shop;
        REQUIRE(stores[0]->insert(invoice).ok());
    }
    std::latch start(instances);
    std::mutex mutex;
    std::vector<DueDelivery> taken;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < instances; ++i)
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            auto due = stores[static_cast<std::size_t>(i)]->take_due_deliveries(now, now + seconds(60), 100);
            if (!due) {
                ++failures;
                return;
            }
            std::lock_guard lock(mutex);
            taken.insert(taken.end(), due->begin(), due->end());
        });
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    // One per endpoint, the oldest: the others wait behind it, and a leased head is not taken again.
    REQUIRE(taken.size() == endpoints);
    std::set<std::string> seen_endpoints;
    for (const DueDelivery& d : taken) {
        seen_endpoints.insert(d.delivery.endpoint_id);
        CHECK(d.delivery.event.seq == 1);
        CHECK(d.delivery.next_attempt == now + seconds(60));
    }
    CHECK(seen_endpoints.size() == endpoints);
    CHECK(stores[1]->take_due_deliveries(now + seconds(30), now + seconds(90), 100)->empty());
    // Delivered: the next in each queue comes up, in order.
    for (const DueDelivery& d : taken)
        REQUIRE(stores[2]->record_attempt(d.delivery.id, DeliveryAttempt{now, 200, "", milliseconds(5)},
                                          DeliveryState::delivered, now)
                    .ok());
    auto next = stores[0]->take_due_deliveries(now, now + seconds(60), 100);
    REQUIRE(next.ok());
    REQUIRE(next->size() == endpoints);
    for (const DueDelivery& d : *next) CHECK(d.delivery.event.seq == 2);
}

}  // TEST_SUITE

// ---- PostgreSQL's own: migrations, and the connection pool

TEST_SUITE("postgres_store") {


TEST_CASE("instances starting at once on a new database migrate it once" * JPP_POSTGRES_ONLY) {
    TestDatabase db;
#if JPP_WITH_POSTGRES
    constexpr int instances = 6;
    std::latch start(instances);
    std::vector<std::string> errors(instances);
    std::vector<std::thread> threads;
    for (int i = 0; i < instances; ++i)
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            auto store = PostgresStore::open(db.url());
            if (!store) errors[static_cast<std::size_t>(i)] = store.error().message;
            else if (!(*store)->ping()) errors[static_cast<std::size_t>(i)] = "ping failed";
        });
    for (auto& t : threads) t.join();
    for (const std::string& e : errors) CHECK_MESSAGE(e.empty(), e);
    CHECK(db.count("SELECT count(*) FROM jpp_schema") == 1);
    CHECK(db.count("SELECT max(version) FROM jpp_schema") == PostgresStore::schema_version);
    CHECK(db.count("SELECT count(*) FROM jpp_event_counter") == 1);
#endif
}

TEST_CASE("a database from a newer program is refused, and a server that is not there is a store_failure" *
          JPP_POSTGRES_ONLY) {
    TestDatabase db;
#if JPP_WITH_POSTGRES
    REQUIRE(db.open()->insert(plain_invoice()).ok());
    db.exec("UPDATE jpp_schema SET version = 99");
    auto refused = PostgresStore::open(db.url());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::store_failure);
    CHECK(mentions(refused.error(), "schema version 99 is newer than this program's " +
                                        std::to_string(PostgresStore::schema_version)));
    CHECK(db.count("SELECT max(version) FROM jpp_schema") == 99);

    PostgresOptions quick;
    quick.connect_timeout = seconds(2);
    auto nowhere = PostgresStore::open("postgresql://postgres@127.0.0.1:1/postgres", quick);
    REQUIRE_FALSE(nowhere.ok());
    CHECK(nowhere.error().code == Errc::store_failure);
    CHECK(mentions(nowhere.error(), "open PostgreSQL database: cannot connect"));
#endif
}

TEST_CASE("a connection the server dropped is replaced: the next call works" * JPP_POSTGRES_ONLY) {
    TestDatabase db;
#if JPP_WITH_POSTGRES
    PostgresOptions one;
    one.pool_size = 1;
    auto opened = PostgresStore::open(db.url(), one);
    REQUIRE(opened.ok());
    auto& store = *opened;
    const Invoice invoice = plain_invoice();
    REQUIRE(store->insert(invoice).ok());
    // The server ends every session on the database but the one asking (an administrator, a failover).
    db.exec("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND "
            "pid <> pg_backend_pid()");
    // pg_terminate_backend() only asks: wait until the store's session is gone, so that the next call meets it.
    for (int i = 0; i < 100 && db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND pid <> pg_backend_pid()") > 0;
         ++i)
        std::this_thread::sleep_for(milliseconds(50));
    // The pool sees the closed socket before using the connection, and opens another.
    auto found = store->find(invoice.id);
    REQUIRE_MESSAGE(found.ok(), found.error().message);
    CHECK(**found == invoice);
    CHECK(*store->record_payment(invoice.id, make_payment(1)) == RecordOutcome::recorded);
    CHECK(store->ping().ok());
#endif
}

TEST_CASE("a statement held up beyond the statement timeout is a store_failure; the store recovers" *
          JPP_POSTGRES_ONLY) {
    TestDatabase db;
#if JPP_WITH_POSTGRES
    PostgresOptions quick;
    quick.statement_timeout = milliseconds(300);
    auto opened = PostgresStore::open(db.url(), quick);
    REQUIRE(opened.ok());
    auto& store = *opened;
    const Invoice invoice = plain_invoice();
    REQUIRE(store->insert(invoice).ok());
    // Another session holds the invoice's row lock: record_payment waits for it, until the timeout.
    std::unique_ptr<PGconn, detail::PgClose> holder(PQconnectdb(db.url().c_str()));
    REQUIRE(PQstatus(holder.get()) == CONNECTION_OK);
    PQclear(PQexec(holder.get(), "BEGIN"));
    PQclear(PQexec(holder.get(), ("SELECT 1 FROM invoices WHERE id = " + db.blob(invoice.id.bytes) + " FOR UPDATE").c_str()));
    auto blocked = store->record_payment(invoice.id, make_payment(1));
    REQUIRE_FALSE(blocked.ok());
    CHECK(blocked.error().code == Errc::store_failure);
    CHECK(mentions(blocked.error(), "record payment: "));
    CHECK(mentions(blocked.error(), "statement timeout"));
    CHECK(store->find(invoice.id).ok());  // readers do not wait for the lock
    PQclear(PQexec(holder.get(), "ROLLBACK"));
    CHECK(*store->record_payment(invoice.id, make_payment(1)) == RecordOutcome::recorded);
#endif
}

TEST_CASE("a job lock is held by one store at a time, and passes on when its holder's session ends") {
    TestDatabase db;
    auto first = db.open();
    auto lock = first->job_lock("housekeeping");
    CHECK(lock->held());
    CHECK(lock->held());  // asked again: still held
    if (!db.postgres()) return;  // SQLite is claimed by one server: its lock is always held, and that is all
    auto second = db.open();
    auto rival = second->job_lock("housekeeping");
    CHECK_FALSE(rival->held());
    CHECK(lock->held());
    // The holder's session ends (its process died, or an administrator ended it): the lock goes with it.
    db.exec("SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())");
    bool taken = false;
    for (int i = 0; i < 100 && !taken; ++i) {
        std::this_thread::sleep_for(milliseconds(50));
        taken = rival->held();
    }
    CHECK(taken);
    CHECK_FALSE(lock->held());  // its holder learns it lost it, and cannot take it back
    CHECK_FALSE(lock->held());
    CHECK(rival->held());
    CHECK(first->job_lock("chain")->held());  // another name, another lock
}

TEST_CASE("text PostgreSQL cannot hold (a NUL byte, bytes that are not UTF-8) is refused, not stored altered" *
          JPP_POSTGRES_ONLY) {
    TestDatabase db;
    auto store = db.open();
    for (const std::string& memo : {std::string("before\0after", 12), std::string("\xff\xfe")}) {
        Invoice invoice = plain_invoice();
        invoice.memo = memo;
        const Status inserted = store->insert(invoice);
        REQUIRE_FALSE(inserted.ok());
        CHECK(inserted.error().code == Errc::store_failure);
        CHECK(mentions(inserted.error(), "insert invoice: "));
        CHECK_FALSE(store->find(invoice.id)->has_value());
    }
    CHECK(db.count("SELECT count(*) FROM invoices") == 0);
    CHECK(db.count("SELECT count(*) FROM events") == 0);
}

}  // TEST_SUITE
