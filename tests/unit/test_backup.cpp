// Backups of a live SQLite store (SqliteStore::backup) and checks of a store's database (check_store), on files
// made by the store itself, while it is open and being written to.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jpp/open_store.hpp"
#include "jpp/sqlite_store.hpp"
#include "test_store.hpp"

using namespace jpp;
using namespace std::chrono;
using jpp::testing::make_payment;
using jpp::testing::TestDatabase;

namespace {

namespace fs = std::filesystem;

// A directory of the test's own, removed with everything in it.
struct TempDir {
    fs::path path = fs::temp_directory_path() / ("jpp-backup-" + InvoiceId::generate().hex());
    TempDir() { fs::create_directories(path); }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& entry : fs::directory_iterator(path)) out.push_back(entry.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

std::unique_ptr<SqliteStore> open_sqlite(const std::string& path) {
    auto store = SqliteStore::open(path);  // exclusive, as jppd opens it
    REQUIRE_MESSAGE(store.ok(), store.error().message);
    return std::move(*store);
}

Invoice invoice_numbered(int n) {
    Invoice invoice;
    invoice.id = InvoiceId::generate();
    invoice.network = Network::test;
    invoice.required_fee_per_byte = 1.1;
    invoice.memo = "order " + std::to_string(n) + " ✓";
    invoice.time = Timestamp(seconds(1000 + n));
    invoice.expires = Timestamp(seconds(4'000'000'000LL));
    invoice.merchant_data = R"({"order":)" + std::to_string(n) + "}";
    invoice.outputs.push_back(
        InvoiceOutput{1000 + n, "bchtest:qq", Bytes{0x76, 0xa9}, std::string(200, 'd'), std::nullopt});
    invoice.outputs.push_back(InvoiceOutput{2000 + n, "bchtest:qp", Bytes{0xa9}, "second", std::nullopt});
    return invoice;
}

// `count` invoices in `store`, every other one paid (with refund outputs), as the store reads them back.
std::vector<Invoice> fill(InvoiceStore& store, int count, int first = 0) {
    std::vector<Invoice> made;
    for (int n = first; n < first + count; ++n) {
        Invoice invoice = invoice_numbered(n);
        REQUIRE(store.insert(invoice).ok());
        if (n % 2 == 0) {
            Payment payment = make_payment(static_cast<std::uint8_t>(n % 250 + 1));
            payment.txid.bytes[0] = static_cast<std::uint8_t>(n >> 8);
            payment.txid.bytes[1] = static_cast<std::uint8_t>(n);
            auto recorded = store.record_payment(invoice.id, payment);
            REQUIRE(recorded.ok());
            REQUIRE(*recorded == RecordOutcome::recorded);
        }
        auto read = store.find(invoice.id);
        REQUIRE(read.ok());
        REQUIRE(read->has_value());
        made.push_back(**read);
    }
    return made;
}

bool mentions(const std::vector<std::string>& problems, std::string_view text) {
    for (const auto& p : problems)
        if (p.find(text) != std::string::npos) return true;
    return false;
}

std::string joined(const std::vector<std::string>& problems) {
    std::string out;
    for (const auto& p : problems) out += p + "\n";
    return out;
}

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_SUITE("backup") {

TEST_CASE("a backup of an open store opens as a store with the same invoices and payments" * JPP_SQLITE_ONLY) {
    TempDir dir;
    const std::string live = dir.file("live.sqlite3");
    const std::string copy = dir.file("copy.sqlite3");
    auto store = open_sqlite(live);
    const std::vector<Invoice> made = fill(*store, 40);

    // The store stays open, holding its claim on the live file, as a running jppd does.
    Status done = SqliteStore::backup(live, copy);
    REQUIRE_MESSAGE(done.ok(), done.error().message);
    // One file, nothing half-written or left beside it.
    const std::vector<std::string> files = {"copy.sqlite3", "live.sqlite3", "live.sqlite3-shm", "live.sqlite3-wal"};
    CHECK(dir.names() == files);
    CHECK((fs::status(copy).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);

    // The copy passes the check, and a store opens it, claiming it for itself (the live file's claim is not in it)
    // while the live store still runs.
    auto checked = check_store(copy);
    REQUIRE(checked.ok());
    CHECK_MESSAGE(checked->healthy(), joined(checked->problems));
    CHECK(checked->schema_version == SqliteStore::schema_version);

    auto restored = open_sqlite(copy);
    for (const Invoice& invoice : made) {
        auto read = restored->find(invoice.id);
        REQUIRE(read.ok());
        REQUIRE(read->has_value());
        CHECK(**read == invoice);
        if (invoice.payment) {
            auto by_txid = restored->find_by_txid(invoice.payment->txid);
            REQUIRE(by_txid.ok());
            REQUIRE(by_txid->has_value());
            CHECK((*by_txid)->id == invoice.id);
        }
    }
    auto settings = restored->settings();
    REQUIRE(settings.ok());
    CHECK(settings->journal_mode == "wal");
    CHECK(settings->schema_version == SqliteStore::schema_version);

    // The copy is a database of its own: what the live store records next is not in it, and the copy takes
    // payments of its own (its exactly-once constraints came along).
    const std::vector<Invoice> later = fill(*store, 1, 1000);
    auto absent = restored->find(later[0].id);
    REQUIRE(absent.ok());
    CHECK_FALSE(absent->has_value());
    auto events_live = store->last_event_seq();
    auto events_copy = restored->last_event_seq();
    REQUIRE((events_live.ok() && events_copy.ok()));
    CHECK(*events_copy < *events_live);
    const Invoice& unpaid = made[1];
    REQUIRE_FALSE(unpaid.payment.has_value());
    auto paid = restored->record_payment(unpaid.id, make_payment(251));
    REQUIRE(paid.ok());
    CHECK(*paid == RecordOutcome::recorded);
    auto again = restored->record_payment(unpaid.id, make_payment(252));
    REQUIRE(again.ok());
    CHECK(*again == RecordOutcome::already_paid_other_tx);
}

TEST_CASE("a backup taken while another thread records payments holds everything committed before it began" *
          JPP_SQLITE_ONLY) {
    TempDir dir;
    const std::string live = dir.file("live.sqlite3");
    const std::string copy = dir.file("copy.sqlite3");
    auto store = open_sqlite(live);
    fill(*store, 300);  // enough pages that the copy takes a while

    // A writer that keeps inserting and paying invoices, one commit after another, noting what it committed.
    std::mutex mutex;
    std::vector<InvoiceId> committed;
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::thread writer([&] {
        for (int n = 10'000; !stop; ++n) {
            Invoice invoice = invoice_numbered(n);
            Payment payment = make_payment(7);
            payment.txid.bytes[0] = static_cast<std::uint8_t>(n >> 16);
            payment.txid.bytes[1] = static_cast<std::uint8_t>(n >> 8);
            payment.txid.bytes[2] = static_cast<std::uint8_t>(n);
            payment.txid.bytes[3] = 0xee;
            if (!store->insert(invoice).ok()) ++failures;
            auto recorded = store->record_payment(invoice.id, payment);
            if (!recorded.ok() || *recorded != RecordOutcome::recorded) ++failures;
            std::lock_guard lock(mutex);
            committed.push_back(invoice.id);
        }
    });
    auto committed_count = [&] {
        std::lock_guard lock(mutex);
        return committed.size();
    };
    while (committed_count() < 20) std::this_thread::sleep_for(milliseconds(1));

    std::vector<InvoiceId> before;
    {
        std::lock_guard lock(mutex);
        before = committed;
    }
    Status done = SqliteStore::backup(live, copy);
    const std::size_t during_or_before = committed_count();
    // The writer goes on after the copy (whatever it committed since `during_or_before` is after the copy's end).
    while (committed_count() < during_or_before + 20) std::this_thread::sleep_for(milliseconds(1));
    stop = true;
    writer.join();
    REQUIRE_MESSAGE(done.ok(), done.error().message);
    CHECK(failures.load() == 0);

    auto checked = check_store(copy);
    REQUIRE(checked.ok());
    CHECK_MESSAGE(checked->healthy(), joined(checked->problems));
    auto restored = open_sqlite(copy);
    for (const InvoiceId& id : before) {
        auto read = restored->find(id);
        REQUIRE(read.ok());
        REQUIRE(read->has_value());
        CHECK((*read)->payment.has_value());
    }
    // Nothing committed after the copy ended is in it.
    std::vector<InvoiceId> after;
    {
        std::lock_guard lock(mutex);
        after.assign(committed.begin() + static_cast<std::ptrdiff_t>(during_or_before), committed.end());
    }
    REQUIRE_FALSE(after.empty());
    for (const InvoiceId& id : after) {
        auto read = restored->find(id);
        REQUIRE(read.ok());
        CHECK_FALSE(read->has_value());
    }
    // Every invoice in the copy is whole: each paid invoice of the writer's has its payment.
    SQLite::Database db(copy, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("SELECT count(*) FROM invoices i WHERE i.memo LIKE 'order 1____ %' AND NOT EXISTS "
                        "(SELECT 1 FROM payments p WHERE p.invoice_id = i.id)")
              .getInt() <= 1);  // at most the writer's last invoice, caught between its insert and its payment
}

TEST_CASE("a backup never replaces a file unless told to, nor the database itself, and leaves nothing behind" *
          JPP_SQLITE_ONLY) {
    TempDir dir;
    const std::string live = dir.file("live.sqlite3");
    const std::string copy = dir.file("copy.sqlite3");
    auto store = open_sqlite(live);
    fill(*store, 4);
    {
        std::ofstream out(copy);
        out << "precious";
    }

    Status refused = SqliteStore::backup(live, copy);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::invalid_argument);
    CHECK(refused.error().message.find("exists") != std::string::npos);
    CHECK(file_text(copy) == "precious");

    SqliteBackupOptions overwrite;
    overwrite.overwrite = true;
    Status replaced = SqliteStore::backup(live, copy, overwrite);
    REQUIRE_MESSAGE(replaced.ok(), replaced.error().message);
    auto checked = check_store(copy);
    REQUIRE(checked.ok());
    CHECK_MESSAGE(checked->healthy(), joined(checked->problems));

    // Not even with overwrite: the live file, under another name or its own.
    fs::create_hard_link(live, dir.file("alias.sqlite3"));
    for (const std::string& target : {live, dir.file("alias.sqlite3")}) {
        Status self = SqliteStore::backup(live, target, overwrite);
        REQUIRE_FALSE(self.ok());
        CHECK(self.error().code == Errc::invalid_argument);
    }
    fs::remove(dir.file("alias.sqlite3"));
    // Nor a file with a WAL beside it: SQLite would apply that WAL to the copy.
    Status beside_wal = SqliteStore::backup(copy, live, overwrite);
    REQUIRE_FALSE(beside_wal.ok());
    CHECK(beside_wal.error().message.find("-wal") != std::string::npos);

    // A source that is not a store's database, or no file at all, is refused, and no temporary file stays.
    const std::string junk = dir.file("junk.sqlite3");
    {
        std::ofstream out(junk);
        out << std::string(8192, 'x');
    }
    const auto names_before = dir.names();
    for (const std::string& source : {junk, dir.file("missing.sqlite3")}) {
        Status failed = SqliteStore::backup(source, dir.file("out.sqlite3"));
        REQUIRE_FALSE(failed.ok());
        CHECK(failed.error().code == Errc::store_failure);
        CHECK(failed.error().message.find(source) != std::string::npos);
    }
    // A destination in a directory that does not exist.
    Status nowhere = SqliteStore::backup(live, dir.file("no/such/dir.sqlite3"));
    REQUIRE_FALSE(nowhere.ok());
    CHECK(nowhere.error().code == Errc::store_failure);
    CHECK(dir.names() == names_before);
    CHECK_FALSE(fs::exists(dir.file("missing.sqlite3")));  // the check did not create it
}

TEST_CASE("check passes a sound file and finds a corrupted page, a file that is not a database and orphan rows" *
          JPP_SQLITE_ONLY) {
    TempDir dir;
    const std::string path = dir.file("live.sqlite3");
    {
        auto store = open_sqlite(path);
        fill(*store, 200);
        // Beside the open store: checked without its claim.
        auto checked = check_store(path);
        REQUIRE(checked.ok());
        CHECK(checked->store == "sqlite");
        CHECK_MESSAGE(checked->healthy(), joined(checked->problems));
        CHECK(checked->schema_version == SqliteStore::schema_version);
        CHECK(checked->expected_schema_version == SqliteStore::schema_version);
        CHECK_FALSE(checked->needs_migration());
    }  // closed: the WAL is checkpointed into the file and removed
    REQUIRE_FALSE(fs::exists(path + "-wal"));
    const std::string good = dir.file("good.sqlite3");
    fs::copy_file(path, good);

    SUBCASE("a page overwritten in the middle of the file") {
        const auto size = fs::file_size(path);
        std::int64_t page = 0;
        std::int64_t target = 0;
        {
            // The first page at or past the middle that holds a table's or an index's rows (a free page's bytes
            // mean nothing, so damage there is no damage).
            SQLite::Database db(good, SQLite::OPEN_READONLY);
            page = db.execAndGet("PRAGMA page_size").getInt64();
            SQLite::Statement q(db, "SELECT pageno FROM dbstat WHERE pageno >= ? ORDER BY pageno LIMIT 1");
            q.bind(1, static_cast<std::int64_t>(size) / page / 2);
            REQUIRE(q.executeStep());
            target = q.getColumn(0).getInt64();
        }
        REQUIRE(static_cast<std::int64_t>(size) > page * 8);
        {
            std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>((target - 1) * page));
            const std::string junk(static_cast<std::size_t>(page), '\xa5');
            f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
        }
        auto checked = check_store(path);
        REQUIRE(checked.ok());
        CHECK_FALSE(checked->healthy());
        CHECK(mentions(checked->problems, "integrity"));
        for (const std::string& problem : checked->problems) CHECK(problem.find('\n') == std::string::npos);
    }
    SUBCASE("a file that is not a database") {
        {
            std::ofstream out(path, std::ios::binary | std::ios::trunc);
            out << std::string(16384, 'x');
        }
        auto checked = check_store(path);
        REQUIRE(checked.ok());
        CHECK_FALSE(checked->healthy());
        CHECK(mentions(checked->problems, "not a database"));
    }
    SUBCASE("a payment whose invoice is gone") {
        {
            SQLite::Database db(path, SQLite::OPEN_READWRITE);
            db.exec("PRAGMA foreign_keys = OFF");
            db.exec("DELETE FROM invoice_outputs WHERE invoice_id = (SELECT invoice_id FROM payments LIMIT 1)");
            db.exec("DELETE FROM invoices WHERE id = (SELECT invoice_id FROM payments LIMIT 1)");
        }
        auto checked = check_store(path);
        REQUIRE(checked.ok());
        CHECK_FALSE(checked->healthy());
        CHECK(mentions(checked->problems, "foreign key"));
        CHECK(mentions(checked->problems, "payments"));
    }
    SUBCASE("a file that does not exist is an error, and is not created") {
        auto checked = check_store(dir.file("missing.sqlite3"));
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().code == Errc::store_failure);
        CHECK_FALSE(fs::exists(dir.file("missing.sqlite3")));
    }
    // The untouched copy still passes: the findings above are the damage's, not the check's.
    auto checked = check_store(good);
    REQUIRE(checked.ok());
    CHECK_MESSAGE(checked->healthy(), joined(checked->problems));
}

TEST_CASE("check reports the schema version: an older one is migrated at the next open, a newer one is a problem") {
    TestDatabase db;
    const std::string location = db.postgres() ? db.url() : db.side_path();
    {
        auto store = db.open();
        fill(*store, 3);
    }
    auto sound = check_store(location);
    REQUIRE(sound.ok());
    CHECK(sound->store == (db.postgres() ? "postgresql" : "sqlite"));
    CHECK_MESSAGE(sound->healthy(), joined(sound->problems));
    CHECK(sound->schema_version == sound->expected_schema_version);
    if (!db.postgres()) CHECK(sound->schema_version == SqliteStore::schema_version);

    db.exec(db.postgres() ? "UPDATE jpp_schema SET version = 99" : "PRAGMA user_version = 99");
    auto newer = check_store(location);
    REQUIRE(newer.ok());
    CHECK(newer->schema_version == 99);
    CHECK_FALSE(newer->healthy());
    CHECK(mentions(newer->problems, "too old"));

    db.exec(db.postgres() ? "UPDATE jpp_schema SET version = 1" : "PRAGMA user_version = 1");
    auto older = check_store(location);
    REQUIRE(older.ok());
    CHECK(older->schema_version == 1);
    CHECK(older->needs_migration());
    CHECK_MESSAGE(older->healthy(), joined(older->problems));
}

#if JPP_WITH_POSTGRES
TEST_CASE("check on PostgreSQL reports a table it cannot read, and reads every other" * JPP_POSTGRES_ONLY) {
    using jpp::testing::detail::pg_scalar;
    TestDatabase db;
    {
        auto store = db.open();
        fill(*store, 3);
    }
    // A role that may read every table but payments, the way a damaged or locked-away table fails a read.
    const std::string server = jpp::testing::postgres_url();
    const std::string role = "jpp_check_" + InvoiceId::generate().hex();
    pg_scalar(server, "CREATE ROLE " + role + " LOGIN");
    struct DropRole {
        const TestDatabase& db;
        const std::string& server;
        const std::string& role;
        ~DropRole() {
            try {
                db.exec("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM " + role);
                pg_scalar(server, "DROP ROLE " + role);
            } catch (const std::exception& e) {
                MESSAGE("could not drop " << role << ": " << e.what());
            }
        }
    } drop_role{db, server, role};
    db.exec("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
    db.exec("REVOKE SELECT ON payments FROM " + role);
    std::string url = db.url();
    const auto user = url.find("://postgres@");
    REQUIRE(user != std::string::npos);
    url.replace(user, std::string("://postgres@").size(), "://" + role + "@");

    auto checked = check_store(url);
    REQUIRE(checked.ok());
    CHECK(checked->schema_version == PostgresStore::schema_version);
    CHECK_FALSE(checked->healthy());
    REQUIRE(checked->problems.size() == 1);
    CHECK(mentions(checked->problems, "table payments"));
    CHECK(mentions(checked->problems, "permission denied"));

    // The same database, read by its owner, is sound.
    auto sound = check_store(db.url());
    REQUIRE(sound.ok());
    CHECK_MESSAGE(sound->healthy(), joined(sound->problems));
}
#endif

}  // TEST_SUITE
