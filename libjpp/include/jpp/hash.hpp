// The hash functions of Bitcoin Cash, computed by OpenSSL's libcrypto.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "jpp/bytes.hpp"

namespace jpp {

using Hash256 = std::array<std::uint8_t, 32>;
using Hash160 = std::array<std::uint8_t, 20>;

Hash256 sha256(ByteView data);
Hash256 sha256d(ByteView data);  // SHA-256 twice: txids, sighashes, base58check checksums
Hash160 ripemd160(ByteView data);
Hash160 hash160(ByteView data);  // RIPEMD-160 of SHA-256: P2PKH and P2SH20 hashes
Hash256 hmac_sha256(ByteView key, ByteView data);

// Transaction ids and token categories are shown byte-reversed ("display order"); the wire holds them as hashed.
std::string to_display_hex(const Hash256& hash);
Result<Hash256> hash256_from_display_hex(std::string_view hex);

}  // namespace jpp
