#include "jpp/webhook_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "jpp/bytes.hpp"
#include "jpp/hash.hpp"

namespace jpp {
namespace {

constexpr std::string_view secret_prefix = "whsec_";
constexpr std::size_t secret_bytes = 32;

ByteView bytes_of(std::string_view text) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

// HMAC-SHA256 over "<t>.<body>", `t` as the header writes it.
Hash256 signature_of(std::string_view secret, std::string_view t, std::string_view body) {
    std::string message;
    message.reserve(t.size() + 1 + body.size());
    message.append(t).append(1, '.').append(body);
    return hmac_sha256(bytes_of(secret), bytes_of(message));
}

std::string_view trimmed(std::string_view item) {
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    return item;
}

Error invalid(std::string message) { return make_error(Errc::signature_invalid, std::move(message)); }

}  // namespace

std::string generate_webhook_secret() {
    std::array<std::uint8_t, secret_bytes> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
        throw std::runtime_error("OpenSSL RAND_bytes failed: no randomness for a webhook secret");
    return std::string(secret_prefix) + to_hex(random);
}

std::string sign_webhook(std::string_view secret, std::string_view body, Timestamp at) {
    const std::string t = std::to_string(at.time_since_epoch().count());
    return "t=" + t + ",v1=" + to_hex(signature_of(secret, t, body));
}

Status verify_webhook(std::string_view secret, std::string_view header, std::string_view body, Timestamp now,
                      std::chrono::seconds tolerance) {
    if (secret.empty()) return invalid("no webhook secret to check the signature with");
    if (header.size() > max_webhook_signature_header)
        return invalid("the signature header is longer than " + std::to_string(max_webhook_signature_header) +
                       " bytes");

    std::string_view t;
    bool have_t = false;
    std::vector<Hash256> signatures;
    while (true) {
        const auto comma = header.find(',');
        const std::string_view item = trimmed(header.substr(0, comma));
        const auto equals = item.find('=');
        if (equals == std::string_view::npos || equals == 0)
            return invalid("the signature header is not comma-separated key=value items");
        const std::string_view key = item.substr(0, equals), value = item.substr(equals + 1);
        if (key == "t") {
            if (have_t) return invalid("the signature header has more than one t=");
            if (value.empty() || value.size() > max_webhook_timestamp_digits ||
                value.find_first_not_of("0123456789") != std::string_view::npos)
                return invalid("the signature's t= is not a Unix time of 1 to " +
                               std::to_string(max_webhook_timestamp_digits) + " decimal digits");
            t = value;
            have_t = true;
        } else if (key == "v1") {
            auto decoded = from_hex(value);
            if (value.size() != 2 * sizeof(Hash256) || !decoded)
                return invalid("the signature's v1= is not 64 hex digits");
            Hash256 signature{};
            std::copy(decoded->begin(), decoded->end(), signature.begin());
            signatures.push_back(signature);
        }
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    if (!have_t) return invalid("the signature header has no t=");
    if (signatures.empty()) return invalid("the signature header has no v1=");

    const Hash256 expected = signature_of(secret, t, body);
    bool matched = false;
    for (const Hash256& signature : signatures)  // every one compared, in constant time
        matched |= CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
    if (!matched) return invalid("no signature in the header matches the body");

    // t has at most 18 digits and fits; the distance is taken in unsigned arithmetic, where it cannot overflow.
    std::int64_t at = 0;
    for (const char digit : t) at = at * 10 + (digit - '0');
    const std::int64_t current = now.time_since_epoch().count();
    const std::uint64_t distance = current >= at ? static_cast<std::uint64_t>(current) - static_cast<std::uint64_t>(at)
                                                 : static_cast<std::uint64_t>(at) - static_cast<std::uint64_t>(current);
    const std::uint64_t allowed = tolerance.count() > 0 ? static_cast<std::uint64_t>(tolerance.count()) : 0;
    if (distance > allowed)
        return make_error(Errc::signature_expired, "the signature's time is " + std::to_string(distance) + " s " +
                                                       (current >= at ? "in the past" : "in the future") +
                                                       ", beyond the tolerance of " + std::to_string(allowed) + " s");
    return {};
}

}  // namespace jpp
