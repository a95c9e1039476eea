#include "jpp/base58.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "jpp/hash.hpp"

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


constexpr char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

// Longest text accepted: far beyond any address or key, small enough that the quadratic conversion stays cheap.
constexpr std::size_t max_text = 1024;

int digit_value(char c) noexcept {
    const char* at = std::find(alphabet, alphabet + 58, c);
    return at == alphabet + 58 ? -1 : static_cast<int>(at - alphabet);
}

}  // namespace

std::string base58_encode(ByteView data) {
    const auto zeros = static_cast<std::size_t>(std::find_if(data.begin(), data.end(), [](auto b) { return b != 0; }) -
                                                data.begin());
    // Base-58 digits, least significant first; each input byte multiplies the number by 256.
    std::vector<std::uint8_t> digits;
    digits.reserve(data.size() * 138 / 100 + 1);
    for (std::size_t i = zeros; i < data.size(); ++i) {
        unsigned carry = data[i];
        for (auto& d : digits) {
            carry += static_cast<unsigned>(d) << 8;
            d = static_cast<std::uint8_t>(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits.push_back(static_cast<std::uint8_t>(carry % 58));
            carry /= 58;
        }
    }
    std::string out(zeros, '1');
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(alphabet[*it]);
    return out;
}

Result<Bytes> base58_decode(std::string_view text) {
    if (text.size() > max_text)
        return make_error(Errc::invalid_address, "base58 text longer than " + std::to_string(max_text) + " characters");
    const auto ones = static_cast<std::size_t>(std::find_if(text.begin(), text.end(), [](char c) { return c != '1'; }) -
                                               text.begin());
    std::vector<std::uint8_t> bytes;  // least significant first
    for (std::size_t i = ones; i < text.size(); ++i) {
        const int value = digit_value(text[i]);
        if (value < 0)
            return make_error(Errc::invalid_address, "invalid base58 character " + shown_character(text[i]) +
                                                         " at position " + std::to_string(i), i);
        unsigned carry = static_cast<unsigned>(value);
        for (auto& b : bytes) {
            carry += static_cast<unsigned>(b) * 58;
            b = static_cast<std::uint8_t>(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            bytes.push_back(static_cast<std::uint8_t>(carry & 0xff));
            carry >>= 8;
        }
    }
    Bytes out(ones, 0);
    out.insert(out.end(), bytes.rbegin(), bytes.rend());
    return out;
}

std::string base58check_encode(ByteView payload) {
    Bytes data(payload.begin(), payload.end());
    const Hash256 check = sha256d(payload);
    data.insert(data.end(), check.begin(), check.begin() + 4);
    return base58_encode(data);
}

Result<Bytes> base58check_decode(std::string_view text) {
    auto data = base58_decode(text);
    if (!data) return std::move(data).error();
    if (data->size() < 4) return make_error(Errc::invalid_address, "base58check data shorter than its checksum");
    const ByteView payload(data->data(), data->size() - 4);
    const Hash256 check = sha256d(payload);
    if (!std::equal(check.begin(), check.begin() + 4, data->end() - 4))
        return make_error(Errc::address_checksum, "base58check checksum does not match");
    data->resize(data->size() - 4);
    return std::move(*data);
}

}  // namespace jpp
