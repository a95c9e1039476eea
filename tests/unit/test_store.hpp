// The store the store tests run against: SQLite in a temporary file, or, when JPP_TEST_POSTGRES_URL names a
// PostgreSQL server (tests/postgres/server.sh), PostgreSQL in a database of the test's own, created for it and
// dropped after. The same tests run on both; those about SQLite's file alone say so and skip the PostgreSQL run.
#pragma once

#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "jpp/bytes.hpp"
#include "jpp/sqlite_store.hpp"

#if JPP_WITH_POSTGRES
#include <libpq-fe.h>

#include "jpp/postgres_store.hpp"
#endif

namespace jpp::testing {

// The PostgreSQL server's URL (a maintenance database on it) when this is the PostgreSQL run; nullptr otherwise.
inline const char* postgres_url() {
    const char* url = std::getenv("JPP_TEST_POSTGRES_URL");
    return url && *url ? url : nullptr;
}
inline bool on_postgres() { return postgres_url() != nullptr; }

// Decorators for tests of one store's own behaviour, skipped (and counted as skipped by doctest) in the other run:
// SQLite's file (its modes, locks, pragmas, migrations from older SQLite schemas, size on disk), or PostgreSQL's
// server (migrations by several instances, dropped connections, timeouts).
#define JPP_SQLITE_ONLY doctest::skip(::jpp::testing::on_postgres())
#define JPP_POSTGRES_ONLY doctest::skip(!::jpp::testing::on_postgres())

// A txid of one repeated byte, and a payment by it (with two refund outputs), for the store tests.
inline TxId txid_of(std::uint8_t fill) {
    TxId txid;
    txid.bytes.fill(fill);
    return txid;
}

inline Payment make_payment(std::uint8_t fill) {
    Payment p;
    p.txid = txid_of(fill);
    p.memo = "paid";
    p.paid_at = Timestamp(std::chrono::seconds(1500));
    p.raw_transaction = Bytes{fill, fill};
    p.refund_to.push_back(RefundOutput{5, "bchtest:refund"});
    p.refund_to.push_back(RefundOutput{6, "bchtest:refund2"});
    return p;
}

#if JPP_WITH_POSTGRES
namespace detail {

struct PgClose {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct PgClear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};

// One statement on a connection of its own, for the test's side of things (databases, row counts).
inline std::string pg_scalar(const std::string& url, const std::string& sql) {
    std::unique_ptr<PGconn, PgClose> c(PQconnectdb(url.c_str()));
    if (!c || PQstatus(c.get()) != CONNECTION_OK)
        throw std::runtime_error("cannot connect to " + url + ": " + (c ? PQerrorMessage(c.get()) : "no memory"));
    std::unique_ptr<PGresult, PgClear> r(PQexec(c.get(), sql.c_str()));
    const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        throw std::runtime_error(sql + ": " + PQerrorMessage(c.get()));
    if (status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0) return PQgetvalue(r.get(), 0, 0);
    return {};
}

// The URL with its database name replaced: "postgresql://user@host:port/NAME[?options]".
inline std::string with_database(const std::string& url, const std::string& name) {
    const auto query = url.find('?');
    const std::string base = url.substr(0, query);
    const auto slash = base.rfind('/');
    if (slash == std::string::npos || slash < base.find("//") + 2)
        return base + "/" + name + (query == std::string::npos ? "" : url.substr(query));
    return base.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace detail
#endif

// A fresh database for one test, removed at the end; open() may be called again (reopening) or from forked
// children (several processes on one database).
class TestDatabase {
public:
    TestDatabase() {
        const std::string unique = InvoiceId::generate().hex();
        if (const char* url = postgres_url()) {
#if JPP_WITH_POSTGRES
            name_ = "jpp_test_" + unique;
            detail::pg_scalar(url, "CREATE DATABASE " + name_);
            url_ = detail::with_database(url, name_);
#else
            (void)url;
            FAIL("JPP_TEST_POSTGRES_URL is set, but this build has no PostgreSQL store");
#endif
        } else {
            path_ = (std::filesystem::temp_directory_path() / ("jpp-store-" + unique)).string();
        }
    }
    ~TestDatabase() {
        std::error_code ignored;
        std::filesystem::remove(side_path() + ".acknowledged", ignored);
        if (!path_.empty())
            for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove_all(path_ + suffix, ignored);
#if JPP_WITH_POSTGRES
        if (!name_.empty()) {
            try {
                detail::pg_scalar(postgres_url(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
            } catch (const std::exception& e) {
                MESSAGE("could not drop " << name_ << ": " << e.what());
            }
        }
#endif
    }
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    bool postgres() const noexcept { return !url_.empty(); }
    // A path beside the database for a test's own files (SQLite: the database file itself).
    std::string side_path() const {
        return path_.empty() ? (std::filesystem::temp_directory_path() / name_).string() : path_;
    }

    // A store on the database. `shared`: SQLite lets other stores open the file too (several processes racing
    // on one database); PostgreSQL always does.
    std::unique_ptr<InvoiceStore> try_open(bool shared, std::string& error) const {
#if JPP_WITH_POSTGRES
        if (postgres()) {
            auto store = PostgresStore::open(url_);
            if (!store) {
                error = store.error().message;
                return nullptr;
            }
            return std::move(*store);
        }
#endif
        SqliteOptions options;
        options.exclusive = !shared;
        auto store = SqliteStore::open(path_, options);
        if (!store) {
            error = store.error().message;
            return nullptr;
        }
        return std::move(*store);
    }
    std::unique_ptr<InvoiceStore> open(bool shared = false) const {
        std::string error;
        auto store = try_open(shared, error);
        REQUIRE_MESSAGE(store != nullptr, error);
        return store;
    }

    // A query's single number, read straight from the database (row counts the interface does not expose).
    std::int64_t count(const std::string& sql) const {
#if JPP_WITH_POSTGRES
        if (postgres()) return std::stoll(detail::pg_scalar(url_, sql));
#endif
        SQLite::Database db(path_, SQLite::OPEN_READONLY);
        return db.execAndGet(sql).getInt64();
    }
    // A statement without an answer (a test changing the database behind the store's back).
    void exec(const std::string& sql) const {
#if JPP_WITH_POSTGRES
        if (postgres()) {
            detail::pg_scalar(url_, sql);
            return;
        }
#endif
        SQLite::Database db(path_, SQLite::OPEN_READWRITE);
        db.exec(sql);
    }
    // PostgreSQL: the database's URL.
    const std::string& url() const noexcept { return url_; }
    // Bytes as a literal of the database's SQL.
    std::string blob(ByteView bytes) const {
        return postgres() ? "'\\x" + to_hex(bytes) + "'::bytea" : "x'" + to_hex(bytes) + "'";
    }

private:
    std::string path_;  // SQLite
    std::string name_;  // PostgreSQL: the database's name, and its URL
    std::string url_;
};

}  // namespace jpp::testing
