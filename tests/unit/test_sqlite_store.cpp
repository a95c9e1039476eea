#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>

#include "jpp/sqlite_store.hpp"
#include "test_store.hpp"

using namespace jpp;
using namespace std::chrono;
using jpp::testing::make_payment;
using jpp::testing::txid_of;

namespace {

// A fresh database path, removed with its WAL files (and a test's side file) at the end.
struct TempDb {
    std::string path = (std::filesystem::temp_directory_path() / ("jpp-store-" + InvoiceId::generate().hex())).string();

    ~TempDb() {
        std::error_code ignored;
        for (const char* suffix : {"", "-wal", "-shm", "-journal", ".acknowledged"})
            std::filesystem::remove_all(path + suffix, ignored);
    }
    std::unique_ptr<SqliteStore> open(SqliteOptions options = {}) const {
        auto store = SqliteStore::open(path, options);
        REQUIRE_MESSAGE(store.ok(), store.error().message);
        return std::move(*store);
    }
};

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

bool mentions(const Error& error, std::string_view text) { return error.message.find(text) != std::string::npos; }

// fork() copies unflushed output buffers into the child, where they could be written twice.
pid_t fork_flushed() {
    std::cout.flush();
    std::fflush(nullptr);
    return fork();
}

// Runs `body` in a forked child. The child reports through a pipe: an empty string is success, anything else
// describes what went wrong (doctest assertions must not run in a child).
std::string in_child(const std::function<std::string()>& body) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork_flushed();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        std::string report;
        try {
            report = body();
        } catch (const std::exception& e) {
            report = std::string("exception: ") + e.what();
        }
        if (!report.empty() && write(fds[1], report.data(), report.size()) < 0) _exit(2);
        _exit(0);
    }
    close(fds[1]);
    std::string report;
    char buffer[512];
    for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) report.append(buffer, static_cast<std::size_t>(n));
    close(fds[0]);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    return report;
}

}  // namespace

// What is SQLite's alone: the file, its modes and locks, the connection's pragmas, I/O failures. The store's
// behaviour, on either store, is in test_store.cpp.
TEST_SUITE("sqlite_store") {

TEST_CASE("the file is WAL at the current schema version; connections run FULL, foreign keys and the timeout" *
          JPP_SQLITE_ONLY) {
    TempDb tmp;
    auto store = tmp.open();
    {
        SQLite::Database db(tmp.path, SQLite::OPEN_READWRITE);
        CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
        CHECK(db.execAndGet("PRAGMA user_version").getInt() == SqliteStore::schema_version);
        for (const char* table : {"invoices", "invoice_outputs", "payments", "refund_outputs"}) {
            SQLite::Statement q(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
            q.bind(1, table);
            q.executeStep();
            CHECK_MESSAGE(q.getColumn(0).getInt() == 1, table);
        }
        // The foreign keys are declared: with enforcement on, an orphan payment is refused.
        db.exec("PRAGMA foreign_keys = ON");
        CHECK_THROWS_AS(db.exec("INSERT INTO payments (invoice_id, txid, memo, paid_at, raw_transaction) VALUES "
                                "(zeroblob(16), zeroblob(32), '', 0, x'')"),
                        SQLite::Exception);
    }
    // foreign_keys, synchronous and busy_timeout belong to a connection: the store reports its own.
    auto settings = store->settings();
    REQUIRE(settings.ok());
    CHECK(settings->journal_mode == "wal");
    CHECK(settings->synchronous == 2);  // FULL
    CHECK(settings->foreign_keys);
    CHECK(settings->busy_timeout == milliseconds(5000));
    CHECK(settings->schema_version == SqliteStore::schema_version);

    store.reset();  // one store per file
    auto relaxed = tmp.open(SqliteOptions{milliseconds(250), false});
    auto relaxed_settings = relaxed->settings();
    REQUIRE(relaxed_settings.ok());
    CHECK(relaxed_settings->synchronous == 1);  // NORMAL
    CHECK(relaxed_settings->busy_timeout == milliseconds(250));
    CHECK(relaxed_settings->foreign_keys);

    // A connection opened by another thread gets the same settings.
    relaxed.reset();
    store = tmp.open();
    Result<SqliteSettings> other = make_error(Errc::store_failure, "not run");
    std::thread([&] { other = store->settings(); }).join();
    REQUIRE(other.ok());
    CHECK(other->synchronous == 2);
    CHECK(other->foreign_keys);
}

TEST_CASE("a database from a newer program is refused and left untouched" * JPP_SQLITE_ONLY) {
    TempDb tmp;
    REQUIRE(tmp.open()->insert(plain_invoice()).ok());
    {
        SQLite::Database db(tmp.path, SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = 99");
        db.exec("PRAGMA journal_mode = DELETE");
    }
    auto refused = SqliteStore::open(tmp.path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::store_failure);
    CHECK(mentions(refused.error(), "schema version 99 is newer than this program's " + std::to_string(SqliteStore::schema_version)));
    CHECK(mentions(refused.error(), tmp.path));
    SQLite::Database db(tmp.path, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == 99);
    CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "delete");  // not even switched to WAL
}

TEST_CASE("opening is idempotent; memory databases and files that are not databases are refused" * JPP_SQLITE_ONLY) {
    TempDb tmp;
    const Invoice invoice = plain_invoice();
    REQUIRE(tmp.open()->insert(invoice).ok());
    auto again = tmp.open();  // migration already applied: nothing to do, nothing lost
    CHECK(**again->find(invoice.id) == invoice);
    CHECK(again->settings()->schema_version == SqliteStore::schema_version);

    CHECK(SqliteStore::open(":memory:").error().code == Errc::invalid_argument);
    CHECK(SqliteStore::open("").error().code == Errc::invalid_argument);

    TempDb garbage;
    {
        std::FILE* f = std::fopen(garbage.path.c_str(), "wb");
        REQUIRE(f != nullptr);
        const std::string text(4096, 'x');
        std::fwrite(text.data(), 1, text.size(), f);
        std::fclose(f);
    }
    auto refused = SqliteStore::open(garbage.path);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::store_failure);
    CHECK(mentions(refused.error(), "not a database"));
}

TEST_CASE("a path that cannot hold a database gives store_failure at open" * JPP_SQLITE_ONLY) {
    TempDb tmp;
    std::filesystem::create_directory(tmp.path);  // a directory where the file should be
    auto directory = SqliteStore::open(tmp.path);
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error().code == Errc::store_failure);
    CHECK(mentions(directory.error(), "open database"));

    auto missing_dir = SqliteStore::open(tmp.path + "/no/such/dir/x.sqlite");
    REQUIRE_FALSE(missing_dir.ok());
    CHECK(missing_dir.error().code == Errc::store_failure);
    CHECK(mentions(missing_dir.error(), "unable to open"));
}

TEST_CASE("a lock held beyond the busy timeout is a store_failure; the store recovers when it is released" *
          JPP_SQLITE_ONLY) {
    TempDb tmp;
    auto store = tmp.open(SqliteOptions{milliseconds(100), true});
    const Invoice invoice = plain_invoice(1000);
    REQUIRE(store->insert(invoice).ok());

    SQLite::Database holder(tmp.path, SQLite::OPEN_READWRITE);
    holder.exec("BEGIN IMMEDIATE");  // another writer that does not let go

    const auto started = steady_clock::now();
    auto blocked = store->record_payment(invoice.id, make_payment(1));
    CHECK(steady_clock::now() - started >= milliseconds(90));  // it waited for the timeout
    REQUIRE_FALSE(blocked.ok());
    CHECK(blocked.error().code == Errc::store_failure);
    CHECK(mentions(blocked.error(), "record payment"));
    CHECK(mentions(blocked.error(), "locked"));
    CHECK(store->insert(plain_invoice()).error().code == Errc::store_failure);
    CHECK(store->claim_expired(Timestamp(seconds(5000)), 10).error().code == Errc::store_failure);
    CHECK(store->find(invoice.id).ok());  // WAL: reading does not wait for the writer

    holder.exec("ROLLBACK");
    CHECK(*store->record_payment(invoice.id, make_payment(1)) == RecordOutcome::recorded);
    CHECK(store->claim_expired(Timestamp(seconds(5000)), 10)->empty());
}

TEST_CASE("a full disk is a store_failure with SQLite's message, and nothing half-written remains" * JPP_SQLITE_ONLY) {
    TempDb tmp;
    const Invoice first = plain_invoice();
    REQUIRE(tmp.open()->insert(first).ok());
    // The child limits how large a file it may write (RLIMIT_FSIZE): writes past it fail as on a full disk.
    const std::string report = in_child([&]() -> std::string {
        auto store = SqliteStore::open(tmp.path);
        if (!store) return "open: " + store.error().message;
        signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{512 * 1024, 512 * 1024};
        if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return "setrlimit failed";
        Invoice big = plain_invoice();
        big.memo.assign(64 * 1024, 'm');
        Status last;
        for (int i = 0; i < 64 && last.ok(); ++i) {
            big.id = InvoiceId::generate();
            last = (*store)->insert(big);
        }
        if (last.ok()) return "every insert succeeded past the file size limit";
        if (last.error().code != Errc::store_failure) return "wrong code: " + last.error().message;
        if (!mentions(last.error(), "insert invoice: "))
            return "message without the operation: " + last.error().message;
        if (last.error().message.size() <= std::strlen("insert invoice: ")) return "message without SQLite's text";
        // Reads still work, and the failed invoice is absent rather than half there.
        auto found = (*store)->find(first.id);
        if (!found || !found->has_value()) return "the store cannot read after a failed write";
        auto failed = (*store)->find(big.id);
        if (!failed) return "find after failure: " + failed.error().message;
        if (failed->has_value()) return "the failed invoice was stored";
        return "";
    });
    CHECK_MESSAGE(report.empty(), report);
    CHECK(integrity(tmp.path) == "ok");
    auto store = tmp.open();
    CHECK(store->insert(plain_invoice()).ok());  // without the limit, all is well again
}

TEST_CASE("a read-only database file is refused at open with store_failure, no crash" * JPP_SQLITE_ONLY) {
    TempDb tmp;
    const Invoice invoice = plain_invoice();
    REQUIRE(tmp.open()->insert(invoice).ok());  // closing the last connection checkpoints and removes the WAL
    std::filesystem::permissions(tmp.path, std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                               std::filesystem::perms::others_read);
    const std::string report = in_child([&]() -> std::string {
        // Root writes to any file whatever its mode: drop to an unprivileged user to see the refusal.
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return "cannot drop root privileges";
        auto store = SqliteStore::open(tmp.path);
        if (store) return "a read-only file opened as a store";
        if (store.error().code != Errc::store_failure) return "wrong code: " + store.error().message;
        if (!mentions(store.error(), "open database " + tmp.path))
            return "message without the operation: " + store.error().message;
        if (!mentions(store.error(), "read-only")) return "message without the cause: " + store.error().message;
        return "";
    });
    CHECK_MESSAGE(report.empty(), report);
    CHECK(payment_rows(tmp.path) == 0);
    CHECK(integrity(tmp.path) == "ok");
}

}  // TEST_SUITE

TEST_CASE("concurrent writes share commits, and each is recorded or refused on its own" * JPP_SQLITE_ONLY) {
    TempDb tmp;
    std::atomic<std::size_t> groups{0}, grouped{0};
    SqliteOptions options;
    options.group_committed = [&](std::size_t writes) {
        ++groups;
        grouped += writes;
    };
    auto store = tmp.open(options);
    auto merchant = store->add_merchant("shop", Timestamp(seconds(1000)));
    REQUIRE(merchant.ok());

    // Eight writers at once: their own invoices and payments, and two races inside the groups: one order id for
    // all of them, one transaction offered to all of their first invoices.
    constexpr int writers = 8, each = 30;
    struct Outcome {
        std::vector<InvoiceId> inserted;
        int recorded = 0;
        bool order_won = false, order_refused = false, race_recorded = false, race_refused = false;
    };
    std::vector<Outcome> outcomes(writers);
    std::atomic<std::size_t> calls{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < writers; ++t) {
        threads.emplace_back([&, t] {
            Outcome& o = outcomes[static_cast<std::size_t>(t)];
            for (int i = 0; i < each; ++i) {
                const Invoice invoice = plain_invoice();
                ++calls;
                if (store->insert(invoice).ok()) o.inserted.push_back(invoice.id);
                Payment payment = make_payment(0);
                payment.txid.bytes[0] = static_cast<std::uint8_t>(t + 1);
                payment.txid.bytes[1] = static_cast<std::uint8_t>(i + 1);
                ++calls;
                auto r = store->record_payment(invoice.id, payment);
                if (r.ok() && *r == RecordOutcome::recorded) ++o.recorded;
            }
            Invoice ordered = plain_invoice();
            ordered.merchant_id = merchant->id;
            ordered.order_id = "the same order";
            ++calls;
            const Status s = store->insert(ordered);
            o.order_won = s.ok();
            o.order_refused = !s.ok() && s.error().code == Errc::order_id_conflict;
            Invoice target = plain_invoice();
            ++calls;
            if (!store->insert(target).ok()) return;
            ++calls;
            auto r = store->record_payment(target.id, make_payment(0xEE));
            o.race_recorded = r.ok() && *r == RecordOutcome::recorded;
            o.race_refused = r.ok() && *r == RecordOutcome::tx_used_elsewhere;
        });
    }
    for (auto& t : threads) t.join();

    int order_winners = 0, race_winners = 0;
    for (const Outcome& o : outcomes) {
        CHECK(o.inserted.size() == each);
        CHECK(o.recorded == each);
        CHECK((o.order_won || o.order_refused));
        CHECK((o.race_recorded || o.race_refused));
        order_winners += o.order_won ? 1 : 0;
        race_winners += o.race_recorded ? 1 : 0;
        for (const InvoiceId& id : o.inserted) {
            auto found = store->find(id);
            REQUIRE(found.ok());
            REQUIRE(found->has_value());
            CHECK((*found)->payment.has_value());
        }
    }
    CHECK(order_winners == 1);
    CHECK(race_winners == 1);
    CHECK(payment_rows(tmp.path) == writers * each + 1);
    // Every write went through a group; how many shared one depends on timing, and is not asserted.
    CHECK(grouped.load() == calls.load());
    CHECK(groups.load() <= calls.load());
    MESSAGE(calls.load(), " writes in ", groups.load(), " commits");
}
