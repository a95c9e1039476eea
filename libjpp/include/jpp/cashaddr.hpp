// The CashAddr format: prefix, version byte and hash, with its 40-bit BCH checksum.
// This is the encoding alone; address.hpp maps CashAddr to payment destinations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "jpp/bytes.hpp"

namespace jpp {

// Version-byte types: 0 P2PKH, 1 P2SH, 2 P2PKH with tokens, 3 P2SH with tokens (4..15 are undefined but encodable).
struct CashAddrContent {
    std::string prefix;  // lower case
    std::uint8_t type = 0;
    Bytes hash;          // 20, 24, 28, 32, 40, 48, 56 or 64 bytes, as the version byte's size bits say
};

// Encodes lower case. Fails for a type above 15 or a hash length the version byte cannot express.
Result<std::string> cashaddr_encode(std::string_view prefix, std::uint8_t type, ByteView hash);

// Decodes "prefix:payload", or a bare payload checked under `default_prefix`. Rejects mixed case, a bad
// checksum, a hash length that contradicts the version byte, non-zero padding and the reserved version bit.
Result<CashAddrContent> cashaddr_decode(std::string_view text, std::string_view default_prefix);

}  // namespace jpp
