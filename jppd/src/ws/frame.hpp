// RFC 6455 frames: opcodes, close codes, and the frames the server sends (never masked, never fragmented).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jppd::ws {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Close codes (RFC 6455 section 7.4.1) the server sends.
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;  // shutting down
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t invalid_payload = 1007;  // text that is not UTF-8
constexpr std::uint16_t message_too_big = 1009;
constexpr std::uint16_t try_again_later = 1013;  // the watcher limit was reached
}  // namespace close_code

// Whether a peer may put this code in a close frame: 1000-1003, 1007-1011, and 3000-4999 for applications.
bool valid_close_code(std::uint16_t code) noexcept;

// One final, unmasked frame.
std::string encode_frame(Opcode opcode, std::string_view payload);
// A close frame: the code, then a reason of at most 123 bytes (longer ones are cut at a character boundary).
std::string encode_close(std::uint16_t code, std::string_view reason);

}  // namespace jppd::ws
