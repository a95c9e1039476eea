#include "jpp/merchant.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "jpp/bytes.hpp"
#include "jpp/hash.hpp"

namespace jpp {
namespace {

constexpr std::string_view key_prefix = "jppk_";
constexpr std::size_t id_bytes = 8, secret_bytes = 24;

constexpr std::array<std::pair<Permission, std::string_view>, 3> permission_table = {{
    {invoices_create, "invoices:create"},
    {invoices_read, "invoices:read"},
    {webhooks_manage, "webhooks:manage"},
}};

Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1)
        throw std::runtime_error("OpenSSL RAND_bytes failed: no randomness for an API key");
    return out;
}

bool is_lower_hex(std::string_view text) {
    return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::array<std::uint8_t, 32> secret_hash_of(std::string_view secret) {
    const Hash256 h = sha256(ByteView(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()));
    std::array<std::uint8_t, 32> out{};
    std::copy(h.begin(), h.end(), out.begin());
    return out;
}

}  // namespace

Status check_merchant_name(std::string_view name) {
    if (name.empty() || name.size() > 64)
        return make_error(Errc::invalid_argument, "a merchant name has 1 to 64 characters");
    if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") != std::string_view::npos ||
        name[0] == '.' || name[0] == '-' || name[0] == '_')
        return make_error(Errc::invalid_argument, "a merchant name is lower-case letters, digits, '.', '_' and '-', "
                                                  "starting with a letter or digit");
    return {};
}

std::string_view permission_name(Permission permission) noexcept {
    for (const auto& [bit, name] : permission_table)
        if (bit == permission) return name;
    return "unknown";
}

Result<std::uint32_t> parse_permissions(std::string_view list) {
    std::uint32_t bits = 0;
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        bool known = false;
        for (const auto& [bit, name] : permission_table) {
            if (item == name) {
                bits |= bit;
                known = true;
            }
        }
        if (!known)
            return make_error(Errc::invalid_argument, "unknown permission '" + std::string(item.substr(0, 64)) +
                                                          "' (known: " + permission_names(all_permissions) + ")");
    }
    if (bits == 0) return make_error(Errc::invalid_argument, "a key needs at least one permission");
    return bits;
}

std::string permission_names(std::uint32_t permissions) {
    std::string out;
    for (const auto& [bit, name] : permission_table)
        if (permissions & bit) out += (out.empty() ? "" : ",") + std::string(name);
    return out;
}

NewApiKey generate_api_key(std::int64_t merchant_id, std::uint32_t permissions, Timestamp now) {
    NewApiKey made;
    made.key.id = to_hex(random_bytes(id_bytes));
    const std::string secret = to_hex(random_bytes(secret_bytes));
    made.key.merchant_id = merchant_id;
    made.key.permissions = permissions;
    made.key.secret_hash = secret_hash_of(secret);
    made.key.created = now;
    made.text = std::string(key_prefix) + made.key.id + "_" + secret;
    return made;
}

Result<PresentedKey> parse_api_key(std::string_view text) {
    const auto invalid = [] { return make_error(Errc::invalid_argument, "not an API key"); };
    if (text.size() != key_prefix.size() + 2 * id_bytes + 1 + 2 * secret_bytes || !text.starts_with(key_prefix))
        return invalid();
    text.remove_prefix(key_prefix.size());
    const std::string_view id = text.substr(0, 2 * id_bytes), secret = text.substr(2 * id_bytes + 1);
    if (text[2 * id_bytes] != '_' || !is_lower_hex(id) || !is_lower_hex(secret)) return invalid();
    return PresentedKey{std::string(id), std::string(secret)};
}

bool api_key_matches(const ApiKey& key, const PresentedKey& presented) noexcept {
    const auto hash = secret_hash_of(presented.secret);
    const bool same = CRYPTO_memcmp(hash.data(), key.secret_hash.data(), hash.size()) == 0;
    return same && !key.revoked && key.id == presented.id;
}

}  // namespace jpp
