// CashTokens (CHIP-2022-02): the token data an output may carry, and its wire prefix.
//
// On the wire the prefix sits at the start of an output's locking field:
//   0xEF  category(32)  bitfield(1)  [commitment: CompactSize length + bytes]  [fungible amount: CompactSize]
// and the rest of the field is the locking bytecode.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "jpp/bytes.hpp"
#include "jpp/hash.hpp"

namespace jpp {

inline constexpr std::uint8_t token_prefix_byte = 0xef;

// Consensus limit on an NFT commitment: 40 bytes from CashTokens activation (May 2023), 128 since the
// May 2026 upgrade. A parameter, because historical transactions are judged by the rule of their day.
inline constexpr std::size_t max_commitment_length_2023 = 40;
inline constexpr std::size_t max_commitment_length_2026 = 128;
inline constexpr std::size_t max_commitment_length = max_commitment_length_2026;

inline constexpr std::int64_t max_token_amount = INT64_MAX;

enum class NftCapability : std::uint8_t { none = 0, mutable_ = 1, minting = 2 };

std::string_view nft_capability_name(NftCapability capability) noexcept;  // "none", "mutable", "minting"

// A fungible amount written as decimal text ("1000", "9223372036854775807"): ASCII digits only, with nothing
// before or after them (no sign, no space, tab or newline), at most max_token_amount. Nothing otherwise.
std::optional<std::int64_t> parse_token_amount(std::string_view text) noexcept;
std::optional<NftCapability> nft_capability_from_name(std::string_view name) noexcept;

struct Nft {
    NftCapability capability = NftCapability::none;
    Bytes commitment;  // empty is a valid commitment

    bool operator==(const Nft&) const = default;
};

struct TokenData {
    Hash256 category{};     // wire order; to_display_hex() gives the form wallets and explorers show
    std::int64_t amount = 0;  // fungible amount; 0 means none
    std::optional<Nft> nft;

    bool operator==(const TokenData&) const = default;
};

// Reads a prefix starting at the 0xEF byte. Every structural rule of the CHIP is checked here; the commitment
// length limit is not (a longer commitment parses, and check_token_data() rejects it).
// On failure the reader holds an Errc::invalid_token_prefix (or truncated) error.
std::optional<TokenData> read_token_prefix(Reader& reader);

// Appends the prefix for `token`, which must pass check_token_structure().
void write_token_prefix(Writer& writer, const TokenData& token);
std::size_t token_prefix_size(const TokenData& token) noexcept;

// What an encoder needs: at least one of an amount or an NFT, amount in 0..INT64_MAX.
Status check_token_structure(const TokenData& token);
// Consensus: the structure and the commitment length limit.
Status check_token_data(const TokenData& token, std::size_t commitment_limit = max_commitment_length);

}  // namespace jpp
