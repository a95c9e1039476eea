// The stores' own halves of check_store() (internal; open_store.cpp dispatches by location).
#pragma once

#include <string>

#include "jpp/open_store.hpp"

namespace jpp::store_check {

// PRAGMA integrity_check and foreign_key_check on the file, opened read-only; sqlite_store.cpp.
Result<StoreCheck> check_sqlite(const std::string& path);

#if JPP_WITH_POSTGRES
// The schema version and every row of every table; postgres_store.cpp.
Result<StoreCheck> check_postgres(const std::string& url);
#endif

}  // namespace jpp::store_check
