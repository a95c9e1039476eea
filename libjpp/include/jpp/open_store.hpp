// The store a location names, for hosts that take it from their configuration: a PostgreSQL URL
// ("postgresql://..." or "postgres://...") opens a PostgresStore (when the library is built with PostgreSQL), anything
// else is a SQLite file path.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "jpp/store.hpp"

namespace jpp {

bool is_postgres_url(std::string_view location) noexcept;

// `shared`: a SQLite file is not claimed for this process alone (for administrative tools beside a running
// server; see SqliteOptions::exclusive). A PostgreSQL database is always shared. invalid_argument for a
// PostgreSQL URL in a library built without PostgreSQL; otherwise what the store's own open() answers.
Result<std::unique_ptr<InvoiceStore>> open_store(const std::string& location, bool shared = false);

}  // namespace jpp
