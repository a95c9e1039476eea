#include "jpp/cashaddr.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace jpp {
namespace {

// A character of the input in a message: itself, quoted, when printable ASCII; otherwise its byte in hex (a lone
// byte of a multi-byte character would make the message invalid UTF-8).
std::string shown_character(char c) {
    static constexpr char hex[] = "0123456789abcdef";
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f) return std::string("'") + c + "'";
    return std::string("byte 0x") + hex[b >> 4] + hex[b & 15];
}


constexpr char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::size_t checksum_length = 8;
constexpr std::size_t max_text = 200;  // the longest legal address (64-byte hash, long prefix) is far shorter

// The BCH code of the CashAddr spec: generator constants are spec facts.
std::uint64_t polymod(const std::vector<std::uint8_t>& values) {
    std::uint64_t c = 1;
    for (const std::uint8_t d : values) {
        const auto c0 = static_cast<std::uint8_t>(c >> 35);
        c = ((c & 0x07ffffffffULL) << 5) ^ d;
        if (c0 & 0x01) c ^= 0x98f2bc8e61ULL;
        if (c0 & 0x02) c ^= 0x79b76d99e2ULL;
        if (c0 & 0x04) c ^= 0xf33e5fb3c4ULL;
        if (c0 & 0x08) c ^= 0xae2eabe2a8ULL;
        if (c0 & 0x10) c ^= 0x1e4f43e470ULL;
    }
    return c ^ 1;
}

std::vector<std::uint8_t> prefix_values(std::string_view prefix) {
    std::vector<std::uint8_t> values;
    for (const char c : prefix) values.push_back(static_cast<std::uint8_t>(c & 0x1f));
    values.push_back(0);
    return values;
}

int charset_value(char c) noexcept {
    for (int i = 0; i < 32; ++i)
        if (charset[i] == c) return i;
    return -1;
}

// Size bits of the version byte -> hash length.
constexpr std::array<std::size_t, 8> hash_sizes{20, 24, 28, 32, 40, 48, 56, 64};

}  // namespace

Result<std::string> cashaddr_encode(std::string_view prefix, std::uint8_t type, ByteView hash) {
    if (type > 15) return make_error(Errc::invalid_argument, "CashAddr type " + std::to_string(type) + " above 15");
    std::size_t size_bits = hash_sizes.size();
    for (std::size_t i = 0; i < hash_sizes.size(); ++i)
        if (hash_sizes[i] == hash.size()) size_bits = i;
    if (size_bits == hash_sizes.size())
        return make_error(Errc::invalid_argument, "CashAddr cannot hold a " + std::to_string(hash.size()) + "-byte hash");
    if (prefix.empty()) return make_error(Errc::invalid_argument, "empty CashAddr prefix");

    Bytes data(1 + hash.size());
    data[0] = static_cast<std::uint8_t>(static_cast<std::size_t>(type) << 3 | size_bits);
    std::copy(hash.begin(), hash.end(), data.begin() + 1);
    std::vector<std::uint8_t> payload;  // 8-bit groups regrouped into 5-bit ones, zero-padded on the right
    unsigned accumulator = 0, bits = 0;
    for (const std::uint8_t byte : data) {
        accumulator = (accumulator << 8 | byte) & 0xfff;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            payload.push_back(static_cast<std::uint8_t>(accumulator >> bits & 0x1f));
        }
    }
    if (bits > 0) payload.push_back(static_cast<std::uint8_t>(accumulator << (5 - bits) & 0x1f));

    std::string lower(prefix);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    std::vector<std::uint8_t> values = prefix_values(lower);
    values.insert(values.end(), payload.begin(), payload.end());
    values.insert(values.end(), checksum_length, 0);
    const std::uint64_t mod = polymod(values);
    for (std::size_t i = 0; i < checksum_length; ++i)
        payload.push_back(static_cast<std::uint8_t>(mod >> (5 * (7 - i)) & 0x1f));

    std::string out = lower + ":";
    for (const std::uint8_t v : payload) out.push_back(charset[v]);
    return out;
}

Result<CashAddrContent> cashaddr_decode(std::string_view text, std::string_view default_prefix) {
    if (text.size() > max_text)
        return make_error(Errc::invalid_address, "address longer than " + std::to_string(max_text) + " characters");
    bool lower = false, upper = false;
    for (const char c : text) {
        lower |= c >= 'a' && c <= 'z';
        upper |= c >= 'A' && c <= 'Z';
    }
    if (lower && upper) return make_error(Errc::address_mixed_case, "CashAddr mixes upper and lower case");

    std::string prefix;
    std::string_view payload_text = text;
    const std::size_t colon = text.find(':');
    if (colon != std::string_view::npos) {
        if (colon == 0) return make_error(Errc::invalid_address, "CashAddr prefix is empty", 0);
        if (text.find(':', colon + 1) != std::string_view::npos)
            return make_error(Errc::invalid_address, "CashAddr has more than one ':'", text.find(':', colon + 1));
        prefix = text.substr(0, colon);
        payload_text = text.substr(colon + 1);
    } else {
        prefix = default_prefix;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char& c = prefix[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c < 'a' || c > 'z')
            return make_error(Errc::invalid_address, "invalid character in CashAddr prefix at position " +
                                                         std::to_string(i), i);
    }
    const std::size_t payload_at = colon == std::string_view::npos ? 0 : colon + 1;
    if (payload_text.size() <= checksum_length)
        return make_error(Errc::invalid_address, "CashAddr payload too short");

    std::vector<std::uint8_t> values = prefix_values(prefix);
    for (std::size_t i = 0; i < payload_text.size(); ++i) {
        char c = payload_text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        const int v = charset_value(c);
        if (v < 0)
            return make_error(Errc::invalid_address, "invalid CashAddr character " + shown_character(payload_text[i]) +
                                                         " at position " + std::to_string(payload_at + i),
                              payload_at + i);
        values.push_back(static_cast<std::uint8_t>(v));
    }
    if (polymod(values) != 0) return make_error(Errc::address_checksum, "CashAddr checksum does not match");

    // Back from 5-bit groups to bytes; leftover bits must be fewer than 5 and all zero.
    const std::size_t data_start = prefix.size() + 1;
    const std::size_t data_end = values.size() - checksum_length;
    Bytes data;
    unsigned accumulator = 0, bits = 0;
    for (std::size_t i = data_start; i < data_end; ++i) {
        accumulator = (accumulator << 5 | values[i]) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            data.push_back(static_cast<std::uint8_t>(accumulator >> bits & 0xff));
        }
    }
    if (bits >= 5 || (accumulator & ((1u << bits) - 1)) != 0)
        return make_error(Errc::invalid_address, "CashAddr payload has invalid padding");
    if (data.empty()) return make_error(Errc::invalid_address, "CashAddr payload is empty");

    const std::uint8_t version = data[0];
    if (version & 0x80) return make_error(Errc::invalid_address, "CashAddr version byte has its reserved bit set");
    const std::size_t expected = hash_sizes[version & 0x07];
    if (data.size() - 1 != expected)
        return make_error(Errc::invalid_address, "CashAddr version byte says a " + std::to_string(expected) +
                                                     "-byte hash, the payload holds " + std::to_string(data.size() - 1));
    CashAddrContent content;
    content.prefix = std::move(prefix);
    content.type = static_cast<std::uint8_t>(version >> 3 & 0x0f);
    content.hash.assign(data.begin() + 1, data.end());
    return content;
}

}  // namespace jpp
