// The store a location names, for hosts that take it from their configuration: a PostgreSQL URL
// ("postgresql://..." or "postgres://...") opens a PostgresStore (when the library is built with PostgreSQL), anything
// else is a SQLite file path.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jpp/store.hpp"

namespace jpp {

bool is_postgres_url(std::string_view location) noexcept;

// `shared`: a SQLite file is not claimed for this process alone (for administrative tools beside a running
// server; see SqliteOptions::exclusive). A PostgreSQL database is always shared. `group_committed`: see
// SqliteOptions (PostgreSQL groups commits in its own WAL writer and never calls it). invalid_argument for a
// PostgreSQL URL in a library built without PostgreSQL; otherwise what the store's own open() answers.
Result<std::unique_ptr<InvoiceStore>> open_store(const std::string& location, bool shared = false,
                                                 std::function<void(std::size_t writes)> group_committed = {});

// What check_store() found.
struct StoreCheck {
    std::string store;                 // "sqlite" or "postgresql"
    int schema_version = 0;            // the database's: the last migration applied to it (0: none)
    int expected_schema_version = 0;   // this build's store
    // Every finding, in the database's words where it has them (corrupt pages, rows without their parent, a
    // table that cannot be read, a schema newer than this build's); empty when the database is sound.
    std::vector<std::string> problems;

    bool healthy() const noexcept { return problems.empty(); }
    // An older schema is sound: the next open migrates it.
    bool needs_migration() const noexcept { return schema_version < expected_schema_version; }
};

// Checks the database a location names without changing it, beside running stores (no claim is taken, nothing is
// migrated). SQLite: PRAGMA integrity_check (every page, every index against its table), PRAGMA foreign_key_check,
// and the schema version. PostgreSQL: the schema version, and every row of every table of the store read in full.
// A schema newer than this build's is a problem (this program cannot open it); an older one is not. An error only
// when the check could not start: a SQLite file that does not exist or cannot be opened, a PostgreSQL server that
// cannot be reached, a PostgreSQL URL in a build without PostgreSQL (store_failure, invalid_argument).
Result<StoreCheck> check_store(const std::string& location);

}  // namespace jpp
