#include "jpp/open_store.hpp"

#include "jpp/sqlite_store.hpp"
#include "store_check.hpp"
#if JPP_WITH_POSTGRES
#include "jpp/postgres_store.hpp"
#endif

namespace jpp {

bool is_postgres_url(std::string_view location) noexcept {
    return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

Result<std::unique_ptr<InvoiceStore>> open_store(const std::string& location, bool shared,
                                                 std::function<void(std::size_t writes)> group_committed) {
    if (is_postgres_url(location)) {
#if JPP_WITH_POSTGRES
        auto store = PostgresStore::open(location);
        if (!store) return std::move(store).error();
        return std::unique_ptr<InvoiceStore>(std::move(*store));
#else
        return make_error(Errc::invalid_argument, "this build of libjpp has no PostgreSQL store (JPP_WITH_POSTGRES)");
#endif
    }
    SqliteOptions options;
    options.exclusive = !shared;
    options.group_committed = std::move(group_committed);
    auto store = SqliteStore::open(location, options);
    if (!store) return std::move(store).error();
    return std::unique_ptr<InvoiceStore>(std::move(*store));
}

Result<StoreCheck> check_store(const std::string& location) {
    if (is_postgres_url(location)) {
#if JPP_WITH_POSTGRES
        return store_check::check_postgres(location);
#else
        return make_error(Errc::invalid_argument, "this build of libjpp has no PostgreSQL store (JPP_WITH_POSTGRES)");
#endif
    }
    return store_check::check_sqlite(location);
}

}  // namespace jpp
