// The store's part in payment safety: broadcast intents, the expiry sweep beside them and retention, on either
// store (test_store.hpp); one process per SQLite file, a compact layout, and the migration that brought those, on
// SQLite alone.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "jpp/sqlite_store.hpp"
#include "test_store.hpp"

using namespace jpp;
using namespace jpp::testing;
using namespace std::chrono;

namespace {

struct TempFile {
    std::string path = (std::filesystem::temp_directory_path() / ("jpp-safety-" + InvoiceId::generate().hex())).string();
    ~TempFile() {
        std::error_code ignored;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix, ignored);
    }
    std::unique_ptr<SqliteStore> open(SqliteOptions options = {}) const {
        auto store = SqliteStore::open(path, options);
        REQUIRE_MESSAGE(store.ok(), store.error().message);
        return std::move(*store);
    }
};

Invoice invoice_expiring_at(std::int64_t expires) {
    Invoice invoice;
    invoice.id = InvoiceId::generate();
    invoice.network = Network::test;
    invoice.time = Timestamp(seconds(1000));
    invoice.expires = Timestamp(seconds(expires));
    invoice.outputs.push_back(InvoiceOutput{1000, "bchtest:qq", Bytes{0x76, 0xa9}, "", std::nullopt});
    return invoice;
}

BroadcastIntent intent_for(const Invoice& invoice, std::uint8_t fill) {
    return BroadcastIntent{invoice.id, txid_of(fill), Bytes(300, fill), "payer memo",
                           {RefundOutput{5, "bchtest:refund"}, RefundOutput{0, "bchtest:other"}},
                           Timestamp(seconds(1200))};
}

Payment payment_of(const BroadcastIntent& intent) {
    Payment p;
    p.txid = intent.txid;
    p.memo = intent.memo;
    p.paid_at = Timestamp(seconds(1300));
    p.refund_to = intent.refund_to;
    p.raw_transaction = intent.raw_transaction;
    return p;
}

}  // namespace

TEST_SUITE("store safety") {

TEST_CASE("a broadcast intent: one per invoice and per transaction, kept across reopening, closed by the record") {
    TestDatabase tmp;
    const Invoice invoice = invoice_expiring_at(2000), other = invoice_expiring_at(2000);
    const BroadcastIntent intent = intent_for(invoice, 1);
    {
        auto store = tmp.open();
        REQUIRE(store->insert(invoice).ok());
        REQUIRE(store->insert(other).ok());
        CHECK(*store->open_intent(intent) == IntentOutcome::opened);
        CHECK(*store->open_intent(intent) == IntentOutcome::already_open);
        CHECK(*store->open_intent(intent_for(invoice, 2)) == IntentOutcome::invoice_busy);
        BroadcastIntent same_tx_elsewhere = intent;
        same_tx_elsewhere.invoice_id = other.id;
        CHECK(*store->open_intent(same_tx_elsewhere) == IntentOutcome::tx_used_elsewhere);
        BroadcastIntent unknown = intent_for(invoice_expiring_at(2000), 3);
        CHECK(*store->open_intent(unknown) == IntentOutcome::not_found);
    }
    auto store = tmp.open();  // the intent is durable
    auto found = store->find_intent(invoice.id);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->txid == intent.txid);
    CHECK((*found)->raw_transaction == intent.raw_transaction);
    CHECK((*found)->memo == intent.memo);
    CHECK((*found)->refund_to == intent.refund_to);
    CHECK((*found)->created == intent.created);
    CHECK(store->open_intents(Timestamp(seconds(1199)), 10)->empty());
    CHECK(store->open_intents(Timestamp(seconds(1200)), 10)->size() == 1);

    REQUIRE(*store->record_payment(invoice.id, payment_of(intent)) == RecordOutcome::recorded);
    CHECK_FALSE(store->find_intent(invoice.id)->has_value());
    CHECK(store->open_intents(Timestamp::max(), 10)->empty());
    CHECK(*store->open_intent(intent) == IntentOutcome::invoice_paid);
    BroadcastIntent paid_tx_elsewhere = intent;
    paid_tx_elsewhere.invoice_id = other.id;
    CHECK(*store->open_intent(paid_tx_elsewhere) == IntentOutcome::tx_used_elsewhere);
}

TEST_CASE("close_intent frees the invoice for another transaction; it needs the same transaction") {
    TestDatabase tmp;
    auto store = tmp.open();
    const Invoice invoice = invoice_expiring_at(2000);
    REQUIRE(store->insert(invoice).ok());
    REQUIRE(*store->open_intent(intent_for(invoice, 1)) == IntentOutcome::opened);
    REQUIRE(store->close_intent(invoice.id, txid_of(2)).ok());  // not its transaction: nothing happens
    CHECK(store->find_intent(invoice.id)->has_value());
    REQUIRE(store->close_intent(invoice.id, txid_of(1)).ok());
    CHECK_FALSE(store->find_intent(invoice.id)->has_value());
    CHECK(*store->open_intent(intent_for(invoice, 2)) == IntentOutcome::opened);
}

TEST_CASE("the expiry sweep skips an invoice with an open intent; an announced invoice takes no intent") {
    TestDatabase tmp;
    auto store = tmp.open();
    const Invoice in_flight = invoice_expiring_at(2000), abandoned = invoice_expiring_at(2000);
    REQUIRE(store->insert(in_flight).ok());
    REQUIRE(store->insert(abandoned).ok());
    REQUIRE(*store->open_intent(intent_for(in_flight, 1)) == IntentOutcome::opened);

    auto claimed = store->claim_expired(Timestamp(seconds(3000)), 10);
    REQUIRE(claimed.ok());
    REQUIRE(claimed->size() == 1);
    CHECK((*claimed)[0].id == abandoned.id);
    // Announced: no payment may start any more, whatever time a clock says later.
    CHECK(*store->open_intent(intent_for(abandoned, 2)) == IntentOutcome::expiry_announced);

    // The broadcast failed for good: the intent is closed, and the next sweep announces the invoice.
    REQUIRE(store->close_intent(in_flight.id, txid_of(1)).ok());
    claimed = store->claim_expired(Timestamp(seconds(3000)), 10);
    REQUIRE(claimed->size() == 1);
    CHECK((*claimed)[0].id == in_flight.id);
}

TEST_CASE("retention deletes only unpaid invoices announced as expired before the cut, with their rows") {
    TestDatabase tmp;
    auto store = tmp.open();
    const Invoice old_unpaid = invoice_expiring_at(2000), recent_unpaid = invoice_expiring_at(5000),
                  paid = invoice_expiring_at(2000), unannounced = invoice_expiring_at(2000),
                  pending = invoice_expiring_at(2000);
    for (const Invoice* i : {&old_unpaid, &recent_unpaid, &paid, &pending}) REQUIRE(store->insert(*i).ok());
    REQUIRE(*store->record_payment(paid.id, payment_of(intent_for(paid, 9))) == RecordOutcome::recorded);
    REQUIRE(*store->open_intent(intent_for(pending, 8)) == IntentOutcome::opened);
    REQUIRE(store->claim_expired(Timestamp(seconds(6000)), 10)->size() == 2);  // old_unpaid, recent_unpaid
    REQUIRE(store->insert(unannounced).ok());

    auto purged = store->purge_expired(Timestamp(seconds(4000)), 10);
    REQUIRE(purged.ok());
    CHECK(*purged == 1);
    CHECK_FALSE(store->find(old_unpaid.id)->has_value());
    for (const Invoice* kept : {&recent_unpaid, &paid, &unannounced, &pending})
        CHECK(store->find(kept->id)->has_value());
    CHECK(tmp.count("SELECT count(*) FROM invoice_outputs WHERE invoice_id = " + tmp.blob(old_unpaid.id.bytes)) == 0);
}

TEST_CASE("one store per file: a second one is refused, in this process and in another, until the first closes" *
          JPP_SQLITE_ONLY) {
    TempFile tmp;
    auto first = tmp.open();
    auto second = SqliteStore::open(tmp.path);
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code == Errc::store_failure);
    CHECK(second.error().message.find("in use by another process") != std::string::npos);
    CHECK(second.error().message.find("PostgreSQL") != std::string::npos);

    std::fflush(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) _exit(SqliteStore::open(tmp.path).ok() ? 1 : 0);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));

    first.reset();
    CHECK(SqliteStore::open(tmp.path).ok());
}

TEST_CASE("a new database file is readable by its owner alone" * JPP_SQLITE_ONLY) {
    TempFile tmp;
    const mode_t old_mask = umask(0022);
    auto store = tmp.open();
    umask(old_mask);
    REQUIRE(store->insert(invoice_expiring_at(2000)).ok());
    for (const char* suffix : {"", "-wal"}) {
        struct stat st{};
        REQUIRE(stat((tmp.path + suffix).c_str(), &st) == 0);
        CHECK_MESSAGE((st.st_mode & 0777) == 0600, suffix);
    }
}

TEST_CASE("a maximum-size invoice costs about its own size on disk, not four times it" * JPP_SQLITE_ONLY) {
    TempFile tmp;
    auto store = tmp.open();
    constexpr int invoices = 20;
    std::size_t payload = 0;
    for (int n = 0; n < invoices; ++n) {
        Invoice invoice = invoice_expiring_at(2000);
        invoice.memo.assign(1000, 'm');
        invoice.outputs.clear();
        for (int i = 0; i < 100; ++i) {
            invoice.outputs.push_back(InvoiceOutput{1000, "bitcoincash:" + std::string(42, 'q'), Bytes(25, 0x76),
                                                    std::string(1000, 'd'), std::nullopt});
            payload += 1000 + 54 + 25 + 8;
        }
        payload += 1000;
        REQUIRE(store->insert(invoice).ok());
    }
    store.reset();  // the last close checkpoints the log into the file
    const auto bytes = std::filesystem::file_size(tmp.path);
    MESSAGE("file " << bytes << " bytes for " << payload << " bytes of invoice text");
    CHECK(bytes < payload * 3 / 2);
}

TEST_CASE("a schema 1 database is migrated: its rows kept, intents and the compact tables added" * JPP_SQLITE_ONLY) {
    TempFile tmp;
    {
        // Schema 1 as it shipped (the tables the rebuild reads), with one paid invoice.
        SQLite::Database db(tmp.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec(R"sql(
        CREATE TABLE invoices (id BLOB PRIMARY KEY CHECK (length(id) = 16), network TEXT NOT NULL,
            currency TEXT NOT NULL, required_fee_per_byte REAL NOT NULL, memo TEXT NOT NULL, time INTEGER NOT NULL,
            expires INTEGER NOT NULL, merchant_data TEXT NOT NULL,
            expiry_announced INTEGER NOT NULL DEFAULT 0 CHECK (expiry_announced IN (0, 1)),
            paid INTEGER NOT NULL DEFAULT 0 CHECK (paid IN (0, 1))) WITHOUT ROWID;
        CREATE INDEX invoices_awaiting_expiry ON invoices (expires) WHERE expiry_announced = 0 AND paid = 0;
        CREATE TABLE invoice_outputs (invoice_id BLOB NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
            position INTEGER NOT NULL, amount INTEGER NOT NULL, address TEXT NOT NULL,
            locking_bytecode BLOB NOT NULL, description TEXT NOT NULL, token_category BLOB, token_amount INTEGER,
            nft_capability INTEGER, nft_commitment BLOB, PRIMARY KEY (invoice_id, position)) WITHOUT ROWID;
        CREATE TABLE payments (invoice_id BLOB PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
            txid BLOB NOT NULL UNIQUE CHECK (length(txid) = 32), memo TEXT NOT NULL, paid_at INTEGER NOT NULL,
            raw_transaction BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE refund_outputs (invoice_id BLOB NOT NULL REFERENCES payments (invoice_id) ON DELETE CASCADE,
            position INTEGER NOT NULL, amount INTEGER NOT NULL, address TEXT NOT NULL,
            PRIMARY KEY (invoice_id, position)) WITHOUT ROWID;
        CREATE TRIGGER payments_mark_paid AFTER INSERT ON payments BEGIN
            UPDATE invoices SET paid = 1 WHERE id = NEW.invoice_id; END;
        CREATE TRIGGER payments_unmark_paid AFTER DELETE ON payments BEGIN
            UPDATE invoices SET paid = 0 WHERE id = OLD.invoice_id; END;
        INSERT INTO invoices (id, network, currency, required_fee_per_byte, memo, time, expires, merchant_data)
            VALUES (x'00112233445566778899aabbccddeeff', 'test', 'BCH', 1.5, 'old', 1000, 2000, '{"a":1}');
        INSERT INTO invoice_outputs VALUES (x'00112233445566778899aabbccddeeff', 0, 1000, 'bchtest:qq', x'76a9',
            'first', NULL, NULL, NULL, NULL);
        INSERT INTO payments VALUES (x'00112233445566778899aabbccddeeff', zeroblob(32), 'thanks', 1500, x'01');
        INSERT INTO refund_outputs VALUES (x'00112233445566778899aabbccddeeff', 0, 5, 'bchtest:refund');
        PRAGMA user_version = 1;
        )sql");
    }
    auto store = tmp.open();
    auto id = InvoiceId::parse("00112233445566778899aabbccddeeff");
    auto found = store->find(*id);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    const Invoice& invoice = **found;
    CHECK(invoice.memo == "old");
    CHECK(invoice.required_fee_per_byte == 1.5);
    REQUIRE(invoice.outputs.size() == 1);
    CHECK(invoice.outputs[0].description == "first");
    REQUIRE(invoice.payment.has_value());
    CHECK(invoice.payment->memo == "thanks");
    CHECK(invoice.payment->refund_to == std::vector<RefundOutput>{RefundOutput{5, "bchtest:refund"}});
    // The constraints survived the rebuild: the paid flag (kept by the trigger) and one payment per transaction.
    CHECK(store->claim_expired(Timestamp(seconds(9000)), 10)->empty());
    Invoice next = invoice_expiring_at(2000);
    REQUIRE(store->insert(next).ok());
    Payment reuse;
    reuse.txid = TxId{};
    reuse.raw_transaction = Bytes{1};
    CHECK(*store->record_payment(next.id, reuse) == RecordOutcome::tx_used_elsewhere);
    CHECK(*store->open_intent(intent_for(next, 4)) == IntentOutcome::opened);
    store.reset();
    SQLite::Database db(tmp.path, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == SqliteStore::schema_version);
    CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    CHECK(db.execAndGet("SELECT count(*) FROM pragma_foreign_key_check").getInt() == 0);
}

}
