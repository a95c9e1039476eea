// InvoiceStore on a SQLite file (SQLiteCpp): WAL, a busy timeout, foreign keys, versioned schema migrations.
// Safe to share between threads (one connection per thread) and between processes opening the same file.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "jpp/store.hpp"

namespace jpp {

struct SqliteOptions {
    std::chrono::milliseconds busy_timeout{5000};
    // FULL: a payment acknowledged to a wallet survives power loss, not only a crash of the process.
    bool synchronous_full = true;
};

// What a connection of the store actually runs with, as SQLite itself reports it. Most of these are settings of a
// connection, not of the file, so another program opening the file cannot see them: this is how a host logs them
// at startup (and how the tests check that the durability settings took effect).
struct SqliteSettings {
    std::string journal_mode;  // "wal"
    int synchronous = 0;       // 2 = FULL, 1 = NORMAL
    bool foreign_keys = false;
    std::chrono::milliseconds busy_timeout{0};
    int schema_version = 0;    // PRAGMA user_version: the last migration applied
};

class SqliteStore final : public InvoiceStore {
public:
    // Opens (creating if needed) and migrates the database at `path`; ":memory:" is not supported because each
    // thread opens its own connection.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, SqliteOptions options = {});
    ~SqliteStore() override;

    static constexpr int schema_version = 1;

    Status insert(const Invoice& invoice) override;
    Result<std::optional<Invoice>> find(const InvoiceId& id) override;
    Result<std::optional<Invoice>> find_by_txid(const TxId& txid) override;
    Result<RecordOutcome> record_payment(const InvoiceId& id, const Payment& payment) override;
    Result<std::vector<Invoice>> claim_expired(Timestamp now, std::size_t limit) override;
    Status ping() override;

    // The settings of the connection serving the calling thread.
    Result<SqliteSettings> settings();

private:
    struct Impl;
    explicit SqliteStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace jpp
