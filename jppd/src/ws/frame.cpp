#include "ws/frame.hpp"

namespace jppd::ws {

bool valid_close_code(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

std::string encode_frame(Opcode opcode, std::string_view payload) {
    std::string out;
    out.reserve(payload.size() + 10);
    out += static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode));
    const std::uint64_t n = payload.size();
    if (n < 126) {
        out += static_cast<char>(n);
    } else if (n <= 0xFFFF) {
        out += static_cast<char>(126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(127);
        for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
    }
    out += payload;
    return out;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
    if (reason.size() > 123) {
        std::size_t cut = 123;
        while (cut > 0 && (static_cast<std::uint8_t>(reason[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
        reason = reason.substr(0, cut);
    }
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xFF);
    payload += reason;
    return encode_frame(Opcode::close, payload);
}

}  // namespace jppd::ws
