#include "chain/rpc_json.hpp"

#include <string>

namespace jppd::chain {

std::optional<std::int64_t> parse_bch_amount(std::string_view text) {
    // digits [. digits] [e|E [+|-] digits]
    std::string digits;
    int scale = 0;  // value = digits * 10^-scale (BCH)
    std::size_t i = 0;
    bool seen_digit = false, seen_point = false;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c >= '0' && c <= '9') {
            digits += c;
            seen_digit = true;
            if (seen_point) ++scale;
        } else if (c == '.' && !seen_point) {
            seen_point = true;
        } else {
            break;
        }
    }
    if (!seen_digit) return std::nullopt;
    if (i < text.size()) {
        if (text[i] != 'e' && text[i] != 'E') return std::nullopt;
        ++i;
        int sign = 1;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) sign = text[i++] == '-' ? -1 : 1;
        if (i == text.size() || text.size() - i > 3) return std::nullopt;
        int exponent = 0;
        for (; i < text.size(); ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            exponent = exponent * 10 + (text[i] - '0');
        }
        scale -= sign * exponent;
    }
    // satoshis = digits * 10^(8 - scale)
    int shift = 8 - scale;
    while (shift < 0) {  // only trailing zeros may go
        if (digits.empty() || digits.back() != '0') return std::nullopt;
        digits.pop_back();
        ++shift;
    }
    digits.append(static_cast<std::size_t>(shift), '0');
    const auto first = digits.find_first_not_of('0');
    if (first == std::string::npos) return 0;
    digits.erase(0, first);
    if (digits.size() > 16) return std::nullopt;
    const std::int64_t sats = std::stoll(digits);
    if (sats > 2'100'000'000'000'000) return std::nullopt;
    return sats;
}

}  // namespace jppd::chain
