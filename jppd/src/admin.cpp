#include "admin.hpp"

#include <jpp/merchant.hpp>
#include <jpp/open_store.hpp>

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

}  // namespace

int run_admin(const DaemonConfig& config) {
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
