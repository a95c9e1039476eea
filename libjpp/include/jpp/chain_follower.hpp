// Following the chain: where each accepted payment's transaction stands (mempool, a block, how deep), so that an
// invoice goes on from paid to confirmed, or is reported reversed when its transaction is double-spent or dropped.
//
// With the service, it also watches the addresses of address-payable invoices: a transaction (in the mempool or a
// block) that sends to one of them is recorded through the service (record_address_payment), unless the node had
// it before the invoice existed.
//
// A ChainFollower polls a node through a ChainFeed. Each round reads the mempool, then the best chain from the
// last block it handled (finding the fork point first, so a reorganisation un-mines what left the chain), and
// saves what changed through the store, which logs payment_confirmed and payment_reversed exactly once. Blocks
// handled are recorded in the store, so after downtime the next round replays the blocks it missed. One follower
// at a time per store (jppd runs it under the store's "chain" job lock); a round is safe to repeat.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "jpp/block.hpp"
#include "jpp/clock.hpp"
#include "jpp/events.hpp"
#include "jpp/service.hpp"
#include "jpp/store.hpp"

namespace jpp {

// What a follower asks of a node (jppd: JSON-RPC getblockcount, getblockhash, getblock, getrawmempool). Errors
// end the round; the next round starts again from what the store says was handled.
class ChainFeed {
public:
    virtual ~ChainFeed() = default;
    virtual Result<std::int64_t> tip_height() = 0;
    virtual Result<BlockHash> block_hash(std::int64_t height) = 0;  // on the best chain
    virtual Result<Bytes> block(const BlockHash& hash) = 0;          // the raw block
    virtual Result<std::vector<TxId>> mempool() = 0;
    // A mempool transaction, raw, and when the node took it in; nullopt when the node no longer has it there.
    struct MempoolTransaction {
        Bytes raw;
        Timestamp arrived{};
    };
    virtual Result<std::optional<MempoolTransaction>> mempool_transaction(const TxId& txid) = 0;
};

struct FollowerOptions {
    // An unmined transaction missing from the mempool this long is reported reversed (it was dropped, or a
    // conflicting transaction won somewhere the node does not show).
    std::chrono::seconds reversal_window{3600};
    // Confirmations past the invoice's requirement (at least 1) after which a payment is no longer followed: a
    // reorganisation deeper than that is not noticed, and the confirmation count shown stays where it was.
    std::uint32_t settle_depth = 6;
    // Blocks a round reads at most; the next round goes on (catching up after downtime takes several rounds).
    std::size_t max_blocks_per_round = 50;
    // On the very first round (no block handled yet), how far back from the tip to start when payments are
    // waiting to be followed; with none, the first round starts at the tip.
    std::int64_t first_round_depth = 144;
    // Blocks remembered to find a fork point; a reorganisation deeper than this is handled as one this deep.
    std::size_t fork_search_depth = 100;
    // Payments followed at most, and address claims watched at most.
    std::size_t max_followed = 100'000;
    std::size_t max_claims = 100'000;
    // New mempool transactions fetched per round at most to match against addresses (one call each); the rest
    // are fetched in the next rounds.
    std::size_t max_mempool_fetches = 5000;
};

struct FollowerRound {
    std::int64_t tip_height = 0;
    std::size_t blocks_read = 0;
    std::size_t blocks_disconnected = 0;
    std::size_t transactions_read = 0;
    std::size_t payments_updated = 0;
    std::size_t events_logged = 0;
    std::size_t address_payments = 0;  // transactions found paying an invoice's address (underpayments included)
    bool caught_up = true;  // false: blocks are left for the next round
};

class ChainFollower {
public:
    // `service`: where payments found at addresses are recorded; without it, addresses are not watched.
    ChainFollower(InvoiceStore& store, ChainFeed& feed, EventBus& events, const Clock& clock,
                  FollowerOptions options = {}, InvoiceService* service = nullptr);
    // One round; the events it logged are published (after their commits) before it returns.
    Result<FollowerRound> poll();

private:
    InvoiceStore& store_;
    ChainFeed& feed_;
    EventBus& events_;
    const Clock& clock_;
    FollowerOptions options_;
    InvoiceService* service_;
    std::vector<TxId> examined_;  // mempool transactions already matched against addresses (sorted)
};

}  // namespace jpp
