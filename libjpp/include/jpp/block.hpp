// Blocks as a node serves them (getblock with verbosity 0): the header's hashes and every transaction with its
// txid, decoded strictly by the transaction decoder. What a chain follower needs; no consensus checks of blocks
// (the node made them).
#pragma once

#include <cstdint>
#include <vector>

#include "jpp/bytes.hpp"
#include "jpp/error.hpp"
#include "jpp/hash.hpp"
#include "jpp/transaction.hpp"

namespace jpp {

// A block hash in wire order; hex() shows it byte-reversed, like a txid.
struct BlockHash {
    Hash256 bytes{};

    std::string hex() const { return to_display_hex(bytes); }
    static Result<BlockHash> from_hex(std::string_view display_hex);
    bool operator==(const BlockHash&) const = default;
    auto operator<=>(const BlockHash&) const = default;
};

struct BlockTransaction {
    TxId txid;
    Transaction tx;
};

struct Block {
    BlockHash hash;      // double SHA-256 of the 80-byte header
    BlockHash previous;  // the parent's hash, from the header
    std::uint32_t time = 0;
    std::vector<BlockTransaction> transactions;  // the coinbase first
};

// The whole span must be exactly one block: an 80-byte header, a transaction count and that many transactions.
// Into an existing object, reusing its buffers (a follower decodes block after block).
Status decode_block(ByteView raw, Block& out);
Result<Block> decode_block(ByteView raw);

}  // namespace jpp
