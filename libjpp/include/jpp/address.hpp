// Payment destinations: addresses (CashAddr or legacy base58) <-> locking bytecode, per network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jpp/bytes.hpp"

namespace jpp {

enum class Network : std::uint8_t { main, test, regtest };

std::string_view network_name(Network network) noexcept;       // "main", "test", "regtest"
std::optional<Network> network_from_name(std::string_view name) noexcept;
std::string_view cashaddr_prefix(Network network) noexcept;    // "bitcoincash", "bchtest", "bchreg"

enum class AddressKind : std::uint8_t { p2pkh, p2sh20, p2sh32 };

struct Address {
    Network network = Network::main;
    AddressKind kind = AddressKind::p2pkh;
    Bytes hash;                // 20 bytes, or 32 for P2SH32
    bool token_aware = false;  // CashAddr types 2 and 3: the receiver accepts CashTokens

    bool operator==(const Address&) const = default;
};

// Decodes a CashAddr (with its prefix, or without one, in which case `network`'s prefix is assumed) or a legacy
// base58check address. The address must belong to `network`; testnet and regtest share legacy version bytes.
Result<Address> decode_address(std::string_view text, Network network);

// CashAddr with prefix, lower case. Token-aware addresses use types 2/3 (z... / r...).
std::string encode_cashaddr(const Address& address);
// Legacy base58check. Token awareness cannot be expressed in this format and is dropped.
std::string encode_legacy_address(const Address& address);

// P2PKH: OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG; P2SH20: OP_HASH160 <20> OP_EQUAL;
// P2SH32: OP_HASH256 <32> OP_EQUAL.
Bytes locking_bytecode(const Address& address);

// The inverse, for the three standard templates; anything else is Errc::not_a_standard_destination.
Result<Address> address_from_locking_bytecode(ByteView bytecode, Network network, bool token_aware = false);

}  // namespace jpp
