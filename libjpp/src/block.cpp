#include "jpp/block.hpp"

#include <algorithm>

namespace jpp {

namespace {

constexpr std::size_t header_size = 80;

}  // namespace

Result<BlockHash> BlockHash::from_hex(std::string_view display_hex) {
    auto hash = hash256_from_display_hex(display_hex);
    if (!hash) return std::move(hash).error();
    return BlockHash{*hash};
}

Status decode_block(ByteView raw, Block& block) {
    Reader reader(raw);
    const ByteView header = reader.bytes(header_size);
    if (!reader.ok()) return reader.error();
    block.hash.bytes = sha256d(header);
    std::copy_n(header.begin() + 4, 32, block.previous.bytes.begin());
    block.time = static_cast<std::uint32_t>(header[68]) | static_cast<std::uint32_t>(header[69]) << 8 |
                 static_cast<std::uint32_t>(header[70]) << 16 | static_cast<std::uint32_t>(header[71]) << 24;

    const std::size_t at = reader.offset();
    const std::uint64_t count = reader.compact_size("transaction count");
    if (reader.ok() && (count == 0 || count > reader.remaining() / min_transaction_size + 1))
        reader.fail_at(at, Errc::truncated,
                       "transaction count " + std::to_string(count) + " does not fit in the remaining " +
                           std::to_string(reader.remaining()) + " bytes");
    if (!reader.ok()) return reader.error();
    block.transactions.resize(static_cast<std::size_t>(count));
    for (BlockTransaction& entry : block.transactions) {
        const std::size_t start = reader.offset();
        read_transaction(reader, entry.tx);
        if (!reader.ok()) return reader.error();
        entry.txid = transaction_id(raw.subspan(start, reader.offset() - start));
    }
    if (!reader.at_end())
        return make_error(Errc::trailing_bytes,
                          std::to_string(reader.remaining()) + " unexpected bytes after the block's transactions");
    return {};
}

Result<Block> decode_block(ByteView raw) {
    Block block;
    if (Status s = decode_block(raw, block); !s) return s.error();
    return block;
}

}  // namespace jpp
