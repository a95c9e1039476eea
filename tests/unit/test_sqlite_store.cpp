#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "jpp/sqlite_store.hpp"

using namespace jpp;
using namespace std::chrono;

namespace {

// A fresh database file, removed with its WAL files at the end.
struct TempDb {
    std::string path = (std::filesystem::temp_directory_path() / ("jpp-store-" + InvoiceId::generate().hex())).string();
    ~TempDb() {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    }
    std::unique_ptr<SqliteStore> open() {
        auto store = SqliteStore::open(path);
        REQUIRE_MESSAGE(store.ok(), store.error().message);
        return std::move(*store);
    }
};

Invoice make_invoice(std::int64_t expires_at = 2000) {
    Invoice invoice;
    invoice.id = InvoiceId::generate();
    invoice.network = Network::test;
    invoice.required_fee_per_byte = 1.5;
    invoice.memo = "memo ✓";
    invoice.time = Timestamp(seconds(1000));
    invoice.expires = Timestamp(seconds(expires_at));
    invoice.merchant_data = R"({"order":1})";
    invoice.outputs.push_back(InvoiceOutput{1000, "bchtest:qq", Bytes{0x76, 0xa9}, "first", std::nullopt});
    TokenData token;
    token.category.fill(0x5a);
    token.amount = 77;
    token.nft = Nft{NftCapability::mutable_, {1, 2, 3}};
    invoice.outputs.push_back(InvoiceOutput{2000, "bchtest:zz", Bytes{0xa9}, "", token});
    TokenData nft_only;
    nft_only.nft = Nft{NftCapability::none, {}};
    invoice.outputs.push_back(InvoiceOutput{3000, "bchtest:zr", Bytes{0xaa}, "", nft_only});
    return invoice;
}

Payment make_payment(std::uint8_t fill) {
    Payment p;
    p.txid.bytes.fill(fill);
    p.memo = "paid";
    p.paid_at = Timestamp(seconds(1500));
    p.raw_transaction = Bytes{fill, fill};
    p.refund_to.push_back(RefundOutput{5, "bchtest:refund"});
    return p;
}

int payment_rows(const std::string& path, const InvoiceId* id = nullptr) {
    SQLite::Database db(path);
    if (!id) return db.execAndGet("SELECT count(*) FROM payments").getInt();
    SQLite::Statement q(db, "SELECT count(*) FROM payments WHERE invoice_id = ?");
    q.bind(1, id->bytes.data(), 16);
    q.executeStep();
    return q.getColumn(0).getInt();
}

std::string integrity(const std::string& path) {
    SQLite::Database db(path);
    return db.execAndGet("PRAGMA integrity_check").getString();
}

}  // namespace

TEST_SUITE("sqlite_store") {

TEST_CASE("invoices round-trip exactly, with tokens, payments and refunds") {
    TempDb tmp;
    auto store = tmp.open();
    const Invoice invoice = make_invoice();
    REQUIRE(store->insert(invoice).ok());
    CHECK(store->insert(invoice).error().code == Errc::store_failure);  // same id twice
    auto found = store->find(invoice.id);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK(**found == invoice);
    CHECK_FALSE(store->find(InvoiceId::generate())->has_value());

    REQUIRE(*store->record_payment(invoice.id, make_payment(1)) == RecordOutcome::recorded);
    Invoice paid = invoice;
    paid.payment = make_payment(1);
    CHECK(**store->find(invoice.id) == paid);
    CHECK(**store->find_by_txid(make_payment(1).txid) == paid);
    CHECK_FALSE(store->find_by_txid(make_payment(2).txid)->has_value());

    store.reset();
    CHECK(**tmp.open()->find(invoice.id) == paid);  // durable across reopen
    CHECK(store == nullptr);
}

TEST_CASE("record_payment: every outcome") {
    TempDb tmp;
    auto store = tmp.open();
    const Invoice a = make_invoice(), b = make_invoice();
    REQUIRE(store->insert(a).ok());
    REQUIRE(store->insert(b).ok());
    CHECK(*store->record_payment(InvoiceId::generate(), make_payment(9)) == RecordOutcome::not_found);
    CHECK(*store->record_payment(a.id, make_payment(1)) == RecordOutcome::recorded);
    CHECK(*store->record_payment(a.id, make_payment(1)) == RecordOutcome::already_paid_same_tx);
    CHECK(*store->record_payment(a.id, make_payment(2)) == RecordOutcome::already_paid_other_tx);
    CHECK(*store->record_payment(b.id, make_payment(1)) == RecordOutcome::tx_used_elsewhere);
    CHECK(payment_rows(tmp.path) == 1);
}

TEST_CASE("claim_expired returns each unpaid expired invoice once") {
    TempDb tmp;
    auto store = tmp.open();
    const Invoice early = make_invoice(1100), late = make_invoice(5000), paid = make_invoice(1100);
    for (const Invoice& i : {early, late, paid}) REQUIRE(store->insert(i).ok());
    REQUIRE(*store->record_payment(paid.id, make_payment(3)) == RecordOutcome::recorded);
    auto first = store->claim_expired(Timestamp(seconds(2000)), 10);
    REQUIRE(first.ok());
    REQUIRE(first->size() == 1);
    CHECK((*first)[0].id == early.id);
    CHECK(store->claim_expired(Timestamp(seconds(2000)), 10)->empty());
    CHECK(store->claim_expired(Timestamp(seconds(6000)), 10)->size() == 1);
    CHECK(store->ping().ok());
}

TEST_CASE("the file is in WAL mode with foreign keys; a newer schema is refused; memory databases are refused") {
    TempDb tmp;
    auto store = tmp.open();
    {
        SQLite::Database db(tmp.path, SQLite::OPEN_READWRITE);
        CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
        CHECK(db.execAndGet("PRAGMA user_version").getInt() == SqliteStore::schema_version);
        db.exec("PRAGMA foreign_keys = ON");  // per connection, as the store sets it on each of its own
        CHECK_THROWS(db.exec("INSERT INTO payments (invoice_id, txid, memo, paid_at, raw_transaction) VALUES "
                             "(x'00000000000000000000000000000000', x'00', '', 0, x'')"));
        db.exec("PRAGMA user_version = 99");
    }
    store.reset();
    auto refused = SqliteStore::open(tmp.path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::store_failure);
    CHECK(refused.error().message.find("schema version 99 is newer") != std::string::npos);
    CHECK(SqliteStore::open(":memory:").error().code == Errc::invalid_argument);
}

TEST_CASE("a database that cannot be written gives store_failure, not a crash") {
    TempDb tmp;
    std::filesystem::create_directory(tmp.path);  // a directory where the file should be
    auto store = SqliteStore::open(tmp.path);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().code == Errc::store_failure);
    std::filesystem::remove(tmp.path);
    auto missing_dir = SqliteStore::open("/nonexistent-dir/x.sqlite");
    CHECK(missing_dir.error().code == Errc::store_failure);
}

TEST_CASE("threads racing to pay one invoice: exactly one payment") {
    TempDb tmp;
    auto store = tmp.open();
    const Invoice invoice = make_invoice();
    REQUIRE(store->insert(invoice).ok());
    std::atomic<int> recorded{0}, other{0}, same{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            // Threads 0..3 bring different transactions, 4..7 all bring transaction 100.
            const auto fill = static_cast<std::uint8_t>(t < 4 ? t + 1 : 100);
            auto r = store->record_payment(invoice.id, make_payment(fill));
            REQUIRE(r.ok());
            if (*r == RecordOutcome::recorded) ++recorded;
            else if (*r == RecordOutcome::already_paid_same_tx) ++same;
            else if (*r == RecordOutcome::already_paid_other_tx) ++other;
        });
    for (auto& t : threads) t.join();
    CHECK(recorded == 1);
    CHECK(recorded + same + other == 8);
    CHECK(payment_rows(tmp.path) == 1);
}

TEST_CASE("processes racing on one file: exactly one payment, intact database") {
    TempDb tmp;
    const Invoice invoice = make_invoice();
    REQUIRE(tmp.open()->insert(invoice).ok());
    std::vector<pid_t> children;
    for (int p = 0; p < 6; ++p) {
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            auto store = SqliteStore::open(tmp.path);
            if (!store) _exit(3);
            auto r = (*store)->record_payment(invoice.id, make_payment(static_cast<std::uint8_t>(10 + p)));
            _exit(!r ? 3 : *r == RecordOutcome::recorded ? 0 : *r == RecordOutcome::already_paid_other_tx ? 1 : 2);
        }
        children.push_back(pid);
    }
    int winners = 0, losers = 0;
    for (const pid_t pid : children) {
        int status = 0;
        waitpid(pid, &status, 0);
        REQUIRE(WIFEXITED(status));
        winners += WEXITSTATUS(status) == 0;
        losers += WEXITSTATUS(status) == 1;
    }
    CHECK(winners == 1);
    CHECK(losers == 5);
    CHECK(payment_rows(tmp.path, &invoice.id) == 1);
    CHECK(integrity(tmp.path) == "ok");
}

TEST_CASE("durability: a child killed at random moments loses no acknowledged payment") {
    TempDb tmp;
    const std::string log = tmp.path + ".acknowledged";
    std::mt19937 rng(7);
    for (int round = 0; round < 4; ++round) {
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            auto store = SqliteStore::open(tmp.path);
            if (!store) _exit(3);
            std::ofstream acknowledged(log, std::ios::app);
            for (int i = 0;; ++i) {
                Invoice invoice = make_invoice();
                if (!(*store)->insert(invoice)) _exit(4);
                Payment p = make_payment(0);
                p.txid.bytes = sha256(invoice.id.bytes);
                auto r = (*store)->record_payment(invoice.id, p);
                if (!r || *r != RecordOutcome::recorded) _exit(5);
                acknowledged << invoice.id.hex() << '\n' << std::flush;  // only after the commit returned
            }
        }
        std::this_thread::sleep_for(milliseconds(100 + rng() % 200));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status));
    }
    auto store = tmp.open();
    std::ifstream in(log);
    std::string line;
    int checked = 0;
    while (std::getline(in, line)) {
        auto id = InvoiceId::parse(line);
        if (!id) continue;  // a line cut by the kill
        auto found = store->find(*id);
        REQUIRE(found.ok());
        REQUIRE(found->has_value());
        CHECK((*found)->payment.has_value());
        ++checked;
    }
    CHECK(checked > 10);
    SQLite::Database db(tmp.path);
    CHECK(db.execAndGet("SELECT count(*) FROM (SELECT invoice_id FROM payments GROUP BY invoice_id HAVING count(*) > 1)").getInt() == 0);
    CHECK(integrity(tmp.path) == "ok");
    std::filesystem::remove(log);
}

}
