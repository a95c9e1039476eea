// Bitcoin Cash transactions: strict decoding and encoding, txid, consensus and standardness checks.
//
// decode_transaction() is the wire format alone: it rejects truncation, non-minimal CompactSize, malformed token
// prefixes and trailing bytes. What the network's rules say about a well-formed transaction (size, version,
// value range, duplicate inputs ...) is check_consensus(); relay policy is check_standard(). A payment server
// runs all three.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jpp/bytes.hpp"
#include "jpp/error.hpp"
#include "jpp/hash.hpp"
#include "jpp/token.hpp"

namespace jpp {

inline constexpr std::int64_t satoshis_per_bch = 100'000'000;
inline constexpr std::int64_t max_money = 21'000'000 * satoshis_per_bch;
inline constexpr std::size_t min_transaction_size = 65;
inline constexpr std::size_t max_transaction_size = 1'000'000;
inline constexpr std::size_t max_standard_transaction_size = 100'000;

// Satoshis as an exact decimal BCH amount, as BIP21 URIs and people write it: 10000 -> "0.0001", 100000000 -> "1".
std::string bch_text(std::int64_t satoshis);

// A transaction id in wire order (as hashed); hex() shows it byte-reversed, the way everyone displays it.
struct TxId {
    Hash256 bytes{};

    std::string hex() const { return to_display_hex(bytes); }
    static Result<TxId> from_hex(std::string_view display_hex);
    bool operator==(const TxId&) const = default;
    auto operator<=>(const TxId&) const = default;
};

struct Outpoint {
    TxId txid;
    std::uint32_t index = 0;

    bool is_null() const noexcept;  // the coinbase marker: zero txid, index 0xFFFFFFFF
    bool operator==(const Outpoint&) const = default;
    auto operator<=>(const Outpoint&) const = default;
};

struct Input {
    Outpoint prevout;
    Bytes unlocking_bytecode;
    std::uint32_t sequence = 0xffffffff;

    bool operator==(const Input&) const = default;
};

struct Output {
    std::int64_t value = 0;  // satoshis; the wire holds 64 bits and check_consensus() bounds them
    Bytes locking_bytecode;    // without the token prefix
    std::optional<TokenData> token;

    bool operator==(const Output&) const = default;
};

struct Transaction {
    std::uint32_t version = 2;
    std::vector<Input> inputs;
    std::vector<Output> outputs;
    std::uint32_t locktime = 0;

    bool operator==(const Transaction&) const = default;
};

// Decoding: the whole span must be exactly one transaction.
Result<Transaction> decode_transaction(ByteView raw);
// The same into an existing object, reusing its buffers: a server decoding many transactions per thread keeps
// one Transaction and allocates almost nothing. On failure `out` holds a partial decode and must not be used.
Status decode_transaction(ByteView raw, Transaction& out);
Result<Transaction> decode_transaction_hex(std::string_view hex);
// One transaction from where the reader stands, leaving it after the transaction (a block holds them one after
// another); a failure is recorded in the reader, and `out` must then not be used.
void read_transaction(Reader& reader, Transaction& out);

// A single output in its wire form (value, CompactSize length, token prefix + locking bytecode), as in a
// sourceOutputs list or a signature preimage.
Result<Output> decode_output(ByteView raw);
void write_output(Writer& writer, const Output& output);
void read_output(Reader& reader, Output& out);

Bytes encode_transaction(const Transaction& tx);
std::size_t serialized_size(const Transaction& tx) noexcept;
std::size_t serialized_size(const Output& output) noexcept;

// The txid of raw transaction bytes (double SHA-256), and of a decoded transaction (which encodes it first).
TxId transaction_id(ByteView raw);
TxId transaction_id(const Transaction& tx);

struct ConsensusRules {
    std::size_t max_commitment_length = jpp::max_commitment_length;
};

// The rules every transaction in a block obeys that can be checked without the coins it spends.
// `size` is the serialized size when the caller has it (the raw bytes it decoded); 0 means compute it.
Status check_consensus(const Transaction& tx, const ConsensusRules& rules = {}, std::size_t size = 0);

// Dust: an output worth less than 3 x (its serialized size + 148) satoshis is not relayed (1000 sat/kB relay fee).
// OP_RETURN outputs are exempt: is_dust() is false for them.
std::int64_t dust_threshold(const Output& output) noexcept;
bool is_dust(const Output& output) noexcept;

// Relay policy a node applies on top of consensus: size at most 100,000 bytes and no dust outputs.
Status check_standard(const Transaction& tx, std::size_t size = 0);

}  // namespace jpp
