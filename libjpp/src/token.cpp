#include "jpp/token.hpp"

#include <algorithm>

namespace jpp {
namespace {

// Bitfield layout (CHIP-2022-02): high nibble = structure, low nibble = NFT capability.
constexpr std::uint8_t reserved_bit = 0x80;
constexpr std::uint8_t has_commitment_length = 0x40;
constexpr std::uint8_t has_nft = 0x20;
constexpr std::uint8_t has_amount = 0x10;
constexpr std::uint8_t capability_mask = 0x0f;

}  // namespace

std::string_view nft_capability_name(NftCapability capability) noexcept {
    switch (capability) {
    case NftCapability::none: return "none";
    case NftCapability::mutable_: return "mutable";
    case NftCapability::minting: return "minting";
    }
    return "invalid";
}

std::optional<std::int64_t> parse_token_amount(std::string_view text) noexcept {
    if (text.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (static_cast<std::uint64_t>(max_token_amount) - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return static_cast<std::int64_t>(value);
}

std::optional<NftCapability> nft_capability_from_name(std::string_view name) noexcept {
    if (name == "none") return NftCapability::none;
    if (name == "mutable") return NftCapability::mutable_;
    if (name == "minting") return NftCapability::minting;
    return std::nullopt;
}

std::optional<TokenData> read_token_prefix(Reader& reader) {
    const std::size_t start = reader.offset();
    if (reader.u8() != token_prefix_byte) {
        reader.fail_at(start, Errc::invalid_token_prefix, "token prefix must start with 0xef");
        return std::nullopt;
    }
    if (reader.remaining() < 33) {
        reader.fail_at(start, Errc::invalid_token_prefix,
                       "token prefix needs a 32-byte category and a bitfield, only " +
                           std::to_string(reader.remaining()) + " bytes follow 0xef");
        return std::nullopt;
    }
    TokenData token;
    const ByteView category = reader.bytes(32);
    std::copy(category.begin(), category.end(), token.category.begin());

    const std::size_t bitfield_at = reader.offset();
    const std::uint8_t bitfield = reader.u8();
    const auto bad = [&](std::string why) {
        reader.fail_at(bitfield_at, Errc::invalid_token_prefix, "invalid token bitfield: " + std::move(why));
        return std::nullopt;
    };
    const std::uint8_t capability = bitfield & capability_mask;
    if (bitfield & reserved_bit) return bad("reserved bit 0x80 is set");
    if (!(bitfield & (has_nft | has_amount))) return bad("encodes neither an NFT nor an amount");
    if (capability > 2) return bad("NFT capability " + std::to_string(capability) + " is not defined");
    if (!(bitfield & has_nft) && capability != 0) return bad("capability set without an NFT");
    if ((bitfield & has_commitment_length) && !(bitfield & has_nft))
        return bad("commitment length set without an NFT");

    if (bitfield & has_nft) {
        Nft nft;
        nft.capability = static_cast<NftCapability>(capability);
        if (bitfield & has_commitment_length) {
            const std::size_t length_at = reader.offset();
            const std::uint64_t length = reader.compact_size("token commitment length");
            if (!reader.ok()) return std::nullopt;
            if (length == 0) {
                reader.fail_at(length_at, Errc::invalid_token_prefix,
                               "token commitment length is 0 (an empty commitment must clear the length bit)");
                return std::nullopt;
            }
            const ByteView commitment = reader.bytes(static_cast<std::size_t>(length));
            if (!reader.ok()) return std::nullopt;
            nft.commitment.assign(commitment.begin(), commitment.end());
        }
        token.nft = std::move(nft);
    }
    if (bitfield & has_amount) {
        const std::size_t amount_at = reader.offset();
        const std::uint64_t amount = reader.compact_size("token amount", UINT64_MAX);
        if (!reader.ok()) return std::nullopt;
        if (amount == 0 || amount > static_cast<std::uint64_t>(max_token_amount)) {
            reader.fail_at(amount_at, Errc::invalid_token_prefix,
                           "token amount " + std::to_string(amount) + " is outside 1..9223372036854775807");
            return std::nullopt;
        }
        token.amount = static_cast<std::int64_t>(amount);
    }
    if (!reader.ok()) return std::nullopt;
    return token;
}

std::size_t token_prefix_size(const TokenData& token) noexcept {
    std::size_t size = 1 + 32 + 1;
    if (token.nft && !token.nft->commitment.empty())
        size += compact_size_length(token.nft->commitment.size()) + token.nft->commitment.size();
    if (token.amount > 0) size += compact_size_length(static_cast<std::uint64_t>(token.amount));
    return size;
}

void write_token_prefix(Writer& writer, const TokenData& token) {
    std::uint8_t bitfield = 0;
    if (token.nft) {
        bitfield = static_cast<std::uint8_t>(has_nft | static_cast<std::uint8_t>(token.nft->capability));
        if (!token.nft->commitment.empty()) bitfield = static_cast<std::uint8_t>(bitfield | has_commitment_length);
    }
    if (token.amount > 0) bitfield = static_cast<std::uint8_t>(bitfield | has_amount);
    writer.u8(token_prefix_byte);
    writer.bytes(token.category);
    writer.u8(bitfield);
    if (bitfield & has_commitment_length) writer.sized_bytes(token.nft->commitment);
    if (bitfield & has_amount) writer.compact_size(static_cast<std::uint64_t>(token.amount));
}

Status check_token_structure(const TokenData& token) {
    if (token.amount < 0) return make_error(Errc::invalid_token_prefix, "token amount is negative");
    if (token.amount == 0 && !token.nft)
        return make_error(Errc::invalid_token_prefix, "token data has neither an amount nor an NFT");
    if (token.nft && static_cast<std::uint8_t>(token.nft->capability) > 2)
        return make_error(Errc::invalid_token_prefix, "NFT capability is not none, mutable or minting");
    return {};
}

Status check_token_data(const TokenData& token, std::size_t commitment_limit) {
    if (Status s = check_token_structure(token); !s) return s;
    if (token.nft && token.nft->commitment.size() > commitment_limit)
        return make_error(Errc::tx_token_commitment_too_long,
                          "NFT commitment of " + std::to_string(token.nft->commitment.size()) +
                              " bytes exceeds the consensus limit of " + std::to_string(commitment_limit));
    return {};
}

}  // namespace jpp
