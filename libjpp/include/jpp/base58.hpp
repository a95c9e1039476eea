// Base58 and Base58Check, the encoding of legacy addresses and WIF keys.
#pragma once

#include <string>
#include <string_view>

#include "jpp/bytes.hpp"

namespace jpp {

std::string base58_encode(ByteView data);
Result<Bytes> base58_decode(std::string_view text);

// Base58Check: the payload followed by the first 4 bytes of its double SHA-256.
std::string base58check_encode(ByteView payload);
Result<Bytes> base58check_decode(std::string_view text);  // returns the payload without the checksum

}  // namespace jpp
