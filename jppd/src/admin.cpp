#include "admin.hpp"

#include <jpp/merchant.hpp>
#include <jpp/sqlite_store.hpp>

#include <cstdio>

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

}  // namespace

int run_admin(const DaemonConfig& config) {
    // Not exclusive: a running jppd holds the file, and these commands change nothing it announces.
    jpp::SqliteOptions options;
    options.exclusive = false;
    auto opened = jpp::SqliteStore::open(config.db, options);
    if (!opened) return fail("cannot open the database " + config.db + ": " + opened.error().message);
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
    return fail("unknown command '" + command + "'");
}

}  // namespace jppd
