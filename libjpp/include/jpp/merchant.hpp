// Merchants and their API keys: who may create invoices and read their private parts. A key is shown once, when it
// is made; the store keeps only its id and a hash of its secret, and checks a presented key in constant time.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jpp/clock.hpp"
#include "jpp/error.hpp"

namespace jpp {

struct Merchant {
    std::int64_t id = 0;
    std::string name;  // 1..64 of [a-z0-9._-], unique: what operators type
    Timestamp created{};
};

// "a-z0-9._-", 1 to 64 characters, starting with a letter or digit.
Status check_merchant_name(std::string_view name);

// What a key allows, as a bit set.
enum Permission : std::uint32_t {
    invoices_create = 1u << 0,  // "invoices:create"
    invoices_read = 1u << 1,    // "invoices:read": list and read its merchant's invoices with their private parts
    webhooks_manage = 1u << 2,  // "webhooks:manage"
};
inline constexpr std::uint32_t all_permissions = invoices_create | invoices_read | webhooks_manage;

// "invoices:create,invoices:read" <-> bits; unknown names are an error naming them.
Result<std::uint32_t> parse_permissions(std::string_view list);
std::string permission_names(std::uint32_t permissions);
std::string_view permission_name(Permission permission) noexcept;

// A key as the store keeps it.
struct ApiKey {
    std::string id;                 // 16 hex digits, public: names the key in lists and logs
    std::int64_t merchant_id = 0;
    std::uint32_t permissions = 0;
    std::array<std::uint8_t, 32> secret_hash{};  // SHA-256 of the secret part
    Timestamp created{};
    std::optional<Timestamp> revoked;

    bool operator==(const ApiKey&) const = default;
};

// A new key: 64 random bits of id and 192 of secret (OpenSSL's RAND_bytes). `text` is what the merchant is given,
// once: "jppk_<id>_<secret hex>".
struct NewApiKey {
    ApiKey key;
    std::string text;
};
NewApiKey generate_api_key(std::int64_t merchant_id, std::uint32_t permissions, Timestamp now);

// Splits a presented key into its id and secret; invalid_argument when it does not have the shape.
struct PresentedKey {
    std::string id;
    std::string secret;
};
Result<PresentedKey> parse_api_key(std::string_view text);

// Whether `presented` is the secret of `key` (in constant time) and the key is not revoked.
bool api_key_matches(const ApiKey& key, const PresentedKey& presented) noexcept;

}  // namespace jpp
