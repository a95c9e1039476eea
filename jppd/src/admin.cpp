#include "admin.hpp"

#include <jpp/merchant.hpp>
#include <jpp/open_store.hpp>
#include <jpp/sqlite_store.hpp>

#include <cstdio>
#include <string_view>
#include <vector>

#include "webhooks/endpoints.hpp"

namespace jppd {

namespace {

int fail(const std::string& message) {
    std::fprintf(stderr, "jppd: %s\n", message.c_str());
    return 1;
}

const jpp::Merchant* merchant_named(const std::vector<jpp::Merchant>& merchants, const std::string& name) {
    for (const auto& m : merchants)
        if (m.name == name) return &m;
    return nullptr;
}

const jpp::Merchant* merchant_with_id(const std::vector<jpp::Merchant>& merchants, std::int64_t id) {
    for (const auto& m : merchants)
        if (m.id == id) return &m;
    return nullptr;
}

// "a,b, c" -> {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> split_list(std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

// What a merchant gave (a URL), safe for a terminal: control characters as '?'.
std::string printable(std::string text) {
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return text;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

// jppd backup FILE: the store does the copying (SqliteStore::backup); PostgreSQL has its own tools.
int run_backup(const DaemonConfig& config) {
    if (jpp::is_postgres_url(config.db))
        return fail("jppd backup copies a SQLite database; " + shown_database(config.db) +
                    " is PostgreSQL: back it up with pg_dump, or with base backups and WAL archiving for "
                    "point-in-time recovery (see docs/backups.md)");
    jpp::SqliteBackupOptions options;
    options.overwrite = config.admin_force;
    if (auto s = jpp::SqliteStore::backup(config.db, config.admin_backup_file, options); !s) {
        const bool exists = s.error().code == jpp::Errc::invalid_argument &&
                            s.error().message.find("refusing to replace") != std::string::npos;
        return fail(s.error().message + (exists ? " (--force replaces it)" : ""));
    }
    std::printf("backed up %s to %s\n", config.db.c_str(), config.admin_backup_file.c_str());
    return 0;
}

// jppd check: a short report, exit 0 when the database is sound, 1 when not (or when it cannot be checked).
int run_check(const DaemonConfig& config) {
    const std::string database = shown_database(config.db);
    auto checked = jpp::check_store(config.db);
    if (!checked) return fail("cannot check the database " + database + ": " + checked.error().message);
    const jpp::StoreCheck& c = *checked;
    std::printf("database:       %s (%s)\n", database.c_str(), c.store.c_str());
    std::printf("schema version: %d (this jppd: %d)%s\n", c.schema_version, c.expected_schema_version,
                c.schema_version > c.expected_schema_version ? ": newer, this jppd is too old for it"
                : c.schema_version > 0 && c.needs_migration() ? ": older, the next start migrates it"
                                                              : "");
    if (c.healthy()) {
        std::printf("result:         ok\n");
        return 0;
    }
    std::printf("result:         %zu problem%s\n", c.problems.size(), c.problems.size() == 1 ? "" : "s");
    for (const std::string& problem : c.problems) std::printf("  %s\n", printable(problem).c_str());
    return 1;
}

}  // namespace

int run_admin(const DaemonConfig& config) {
    // Neither opens the store: a store migrates the file, and these must leave it as it is.
    if (config.admin_command == "backup") return run_backup(config);
    if (config.admin_command == "check") return run_check(config);

    // Shared: a running jppd holds a SQLite file, and these commands change nothing it announces.
    auto opened = jpp::open_store(config.db, true);
    if (!opened) return fail("cannot open the database " + shown_database(config.db) + ": " + opened.error().message);
    jpp::InvoiceStore& store = **opened;
    const jpp::SystemClock clock;
    const std::string& command = config.admin_command;

    if (command == "merchant add") {
        auto added = store.add_merchant(config.admin_name, clock.now());
        if (!added) return fail(added.error().message);
        std::printf("merchant %s added (id %lld)\n", added->name.c_str(), static_cast<long long>(added->id));
        return 0;
    }
    auto merchants = store.merchants();
    if (!merchants) return fail(merchants.error().message);
    if (command == "merchant list") {
        for (const auto& m : *merchants)
            std::printf("%lld\t%s\tsince %s\n", static_cast<long long>(m.id), m.name.c_str(),
                        jpp::to_rfc3339(m.created).c_str());
        return 0;
    }
    if (command == "key create") {
        const jpp::Merchant* merchant = merchant_named(*merchants, config.admin_merchant);
        if (!merchant) return fail("no merchant named '" + config.admin_merchant + "' (jppd merchant add NAME)");
        auto permissions = jpp::parse_permissions(config.admin_permissions);
        if (!permissions) return fail(permissions.error().message);
        const jpp::NewApiKey made = jpp::generate_api_key(merchant->id, *permissions, clock.now());
        if (auto s = store.add_api_key(made.key); !s) return fail(s.error().message);
        std::printf("key id:      %s\nmerchant:    %s\npermissions: %s\nkey:         %s\n\n"
                    "The key is shown this once; only a hash of it is kept. Send it as "
                    "'Authorization: Bearer <key>'.\n",
                    made.key.id.c_str(), merchant->name.c_str(), jpp::permission_names(made.key.permissions).c_str(),
                    made.text.c_str());
        return 0;
    }
    if (command == "key list") {
        auto keys = store.api_keys();
        if (!keys) return fail(keys.error().message);
        for (const auto& k : *keys) {
            const jpp::Merchant* merchant = merchant_with_id(*merchants, k.merchant_id);
            std::printf("%s\t%s\t%s\tcreated %s%s\n", k.id.c_str(), merchant ? merchant->name.c_str() : "?",
                        jpp::permission_names(k.permissions).c_str(), jpp::to_rfc3339(k.created).c_str(),
                        k.revoked ? ("\trevoked " + jpp::to_rfc3339(*k.revoked)).c_str() : "");
        }
        return 0;
    }
    if (command == "key revoke") {
        auto revoked = store.revoke_api_key(config.admin_key_id, clock.now());
        if (!revoked) return fail(revoked.error().message);
        if (!*revoked) return fail("no key with id '" + config.admin_key_id + "'");
        std::printf("key %s revoked\n", config.admin_key_id.c_str());
        return 0;
    }
    if (command == "webhook add") {
        const jpp::Merchant* merchant = merchant_named(*merchants, config.admin_merchant);
        if (!merchant) return fail("no merchant named '" + config.admin_merchant + "' (jppd merchant add NAME)");
        auto types = webhooks::parse_event_types(split_list(config.admin_events));
        if (!types) return fail(types.error().message);
        auto existing = store.webhooks(merchant->id);
        if (!existing) return fail(existing.error().message);
        if (existing->size() >= webhooks::max_endpoints_per_merchant)
            return fail("merchant " + merchant->name + " has " + std::to_string(existing->size()) +
                        " endpoints, the most one may have; remove one first");
        auto endpoint =
            webhooks::make_endpoint(merchant->id, config.admin_url, *types, config.webhook_allow_private, clock.now());
        if (!endpoint)
            return fail(endpoint.error().message +
                        (config.webhook_allow_private ? "" : " (--webhook-allow-private allows private addresses)"));
        if (auto s = store.add_webhook(*endpoint); !s) return fail(s.error().message);
        std::printf("endpoint id: %s\nmerchant:    %s\nurl:         %s\nevents:      %s\nsecret:      %s\n\n"
                    "The secret is shown this once: keep it where the receiver can check the signatures with it.\n",
                    endpoint->id.c_str(), merchant->name.c_str(), printable(endpoint->url).c_str(),
                    joined(webhooks::event_type_names(endpoint->events)).c_str(), endpoint->secret.c_str());
        return 0;
    }
    if (command == "webhook list") {
        auto endpoints = store.webhooks(std::nullopt);
        if (!endpoints) return fail(endpoints.error().message);
        for (const auto& e : *endpoints) {
            const jpp::Merchant* merchant = merchant_with_id(*merchants, e.merchant_id);
            std::printf("%s\t%s\t%s\t%s\tcreated %s\n", e.id.c_str(), merchant ? merchant->name.c_str() : "?",
                        printable(e.url).c_str(), joined(webhooks::event_type_names(e.events)).c_str(),
                        jpp::to_rfc3339(e.created).c_str());
        }
        return 0;
    }
    if (command == "webhook remove") {
        auto removed = store.remove_webhook(config.admin_webhook_id);
        if (!removed) return fail(removed.error().message);
        if (!*removed) return fail("no webhook endpoint with id '" + config.admin_webhook_id + "'");
        std::printf("endpoint %s removed\n", config.admin_webhook_id.c_str());
        return 0;
    }
    return fail("unknown command '" + command + "'");
}

}  // namespace jppd
