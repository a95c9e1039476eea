#include "jpp/chain_follower.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

namespace jpp {

namespace {

// A followed payment during a round: its saved state, the state the round computes, and the coins it spends.
struct Tracked {
    FollowedPayment followed;
    PaymentChain next;
    std::vector<Outpoint> spends;
    bool in_mempool = false;
};

struct TxIdHash {
    std::size_t operator()(const TxId& id) const noexcept {
        std::size_t h;
        std::memcpy(&h, id.bytes.data(), sizeof h);  // already uniformly distributed
        return h;
    }
};

// What a transaction sends to each claimed address (outputs without tokens), by claim.
// A coinbase pays nobody's invoice (a miner paying the merchant's address is not a customer, and its coins are not
// spendable for 100 blocks).
std::vector<std::pair<const AddressClaim*, std::int64_t>> paid_to_claims(
    const Transaction& tx, const std::unordered_map<std::string, AddressClaim>& claims) {
    std::vector<std::pair<const AddressClaim*, std::int64_t>> paid;
    if (claims.empty() || (tx.inputs.size() == 1 && tx.inputs.front().prevout.is_null())) return paid;
    for (const Output& output : tx.outputs) {
        if (output.token) continue;
        const auto found = claims.find(std::string(output.locking_bytecode.begin(), output.locking_bytecode.end()));
        if (found == claims.end()) continue;
        auto same = std::find_if(paid.begin(), paid.end(), [&](const auto& p) { return p.first == &found->second; });
        if (same == paid.end()) paid.emplace_back(&found->second, output.value);
        else same->second += output.value;
    }
    return paid;
}

}  // namespace

ChainFollower::ChainFollower(InvoiceStore& store, ChainFeed& feed, EventBus& events, const Clock& clock,
                             FollowerOptions options, InvoiceService* service)
    : store_(store), feed_(feed), events_(events), clock_(clock), options_(options), service_(service) {}

Result<FollowerRound> ChainFollower::poll() {
    FollowerRound round;
    // The mempool first: a transaction mined after this snapshot is found in the blocks read next, so none is
    // missed between the two.
    auto mempool_list = feed_.mempool();
    if (!mempool_list) return std::move(mempool_list).error();
    std::vector<TxId> mempool = std::move(*mempool_list);
    std::sort(mempool.begin(), mempool.end());

    auto tip = feed_.tip_height();
    if (!tip) return std::move(tip).error();
    round.tip_height = *tip;
    auto handled = store_.handled_blocks(options_.fork_search_depth);
    if (!handled) return std::move(handled).error();
    auto followed = store_.followed_payments(options_.max_followed);
    if (!followed) return std::move(followed).error();

    std::vector<Tracked> tracked;
    tracked.reserve(followed->size());
    std::unordered_map<TxId, std::size_t, TxIdHash> by_txid;
    std::map<Outpoint, std::size_t> by_spend;
    Transaction tx;
    for (FollowedPayment& f : *followed) {
        Tracked t;
        t.next = f.payment.chain;
        if (decode_transaction(f.payment.raw_transaction, tx))
            for (const Input& input : tx.inputs) t.spends.push_back(input.prevout);
        t.in_mempool = std::binary_search(mempool.begin(), mempool.end(), f.payment.txid);
        t.followed = std::move(f);
        by_txid.emplace(t.followed.payment.txid, tracked.size());
        for (const Outpoint& o : t.spends) by_spend.emplace(o, tracked.size());
        tracked.push_back(std::move(t));
    }
    const Timestamp now = clock_.now();

    // The addresses being watched, and how a payment found at one joins this round's followed payments.
    std::unordered_map<std::string, AddressClaim> claims;
    if (service_) {
        auto listed = store_.address_claims(now, options_.max_claims);
        if (!listed) return std::move(listed).error();
        for (AddressClaim& c : *listed)
            claims.emplace(std::string(c.locking_bytecode.begin(), c.locking_bytecode.end()), std::move(c));
    }
    const auto found_at_address = [&](const AddressClaim& claim, const TxId& txid, const Bytes& raw,
                                      std::int64_t paid, Timestamp seen) -> Status {
        auto invoice = service_->record_address_payment(claim.invoice_id, txid, raw, paid, seen);
        if (!invoice) return invoice.error();
        ++round.address_payments;
        if (!invoice->payment) return {};  // an underpayment: the address stays watched for the rest of the round
        claims.erase(std::string(claim.locking_bytecode.begin(), claim.locking_bytecode.end()));
        if (invoice->payment->txid != txid || by_txid.contains(txid)) return {};
        Tracked t;
        t.followed = FollowedPayment{invoice->id, invoice->required_confirmations, *invoice->payment};
        t.next = invoice->payment->chain;
        if (Transaction paying; decode_transaction(raw, paying))
            for (const Input& input : paying.inputs) t.spends.push_back(input.prevout);
        by_txid.emplace(txid, tracked.size());
        for (const Outpoint& o : t.spends) by_spend.emplace(o, tracked.size());
        tracked.push_back(std::move(t));
        return {};
    };

    const std::unordered_map<std::string, AddressClaim> no_claims;

    // Where the best chain and the blocks handled last agree: the fork point. Blocks above it left the chain.
    std::int64_t fork = -1;
    if (handled->empty()) {
        fork = tracked.empty() ? *tip - 1 : std::max<std::int64_t>(-1, *tip - options_.first_round_depth);
    } else {
        for (const HandledBlock& b : *handled) {
            if (b.height > *tip) continue;
            auto hash = feed_.block_hash(b.height);
            if (!hash) return std::move(hash).error();
            if (*hash == b.hash) {
                fork = b.height;
                break;
            }
        }
        if (fork < 0) fork = handled->back().height - 1;  // deeper than remembered: read them all again
    }
    for (Tracked& t : tracked) {
        if (t.next.block_height && *t.next.block_height > fork) {
            t.next.block_height.reset();
            t.next.block_hash.reset();
            ++round.blocks_disconnected;
        }
    }

    // The blocks above the fork point, up to the round's allowance.
    std::vector<HandledBlock> read;
    const std::int64_t last = std::min<std::int64_t>(*tip, fork + static_cast<std::int64_t>(options_.max_blocks_per_round));
    round.caught_up = last == *tip;
    Block block;
    for (std::int64_t height = fork + 1; height <= last; ++height) {
        auto hash = feed_.block_hash(height);
        if (!hash) return std::move(hash).error();
        auto raw = feed_.block(*hash);
        if (!raw) return std::move(raw).error();
        if (Status s = decode_block(*raw, block); !s) return s.error();
        if (block.hash != *hash)
            return make_error(Errc::chain_unavailable, "the node answered block " + block.hash.hex() + " for " +
                                                           hash->hex());
        const Timestamp block_time{std::chrono::seconds(block.time)};
        for (const BlockTransaction& entry : block.transactions) {
            // Paying a watched address, in a block above the node's height when the invoice was made.
            const bool judged = std::binary_search(examined_.begin(), examined_.end(), entry.txid);
            for (const auto& [claim, paid] : paid_to_claims(entry.tx, judged ? no_claims : claims)) {
                const bool after = claim->created_height && height > *claim->created_height;
                if (!after) continue;
                if (Status s = found_at_address(*claim, entry.txid, encode_transaction(entry.tx), paid,
                                                std::min(now, block_time));
                    !s)
                    return s.error();
            }
            if (auto found = by_txid.find(entry.txid); found != by_txid.end()) {
                Tracked& t = tracked[found->second];
                t.next.block_height = height;
                t.next.block_hash = *hash;
                continue;
            }
            // Another transaction spending a coin a followed payment spends: that payment can never be mined.
            for (const Input& input : entry.tx.inputs) {
                auto found = by_spend.find(input.prevout);
                if (found == by_spend.end()) continue;
                Tracked& t = tracked[found->second];
                if (!t.next.reversed) t.next.reversed = now;
            }
        }
        round.transactions_read += block.transactions.size();
        read.push_back(HandledBlock{height, *hash});
    }
    round.blocks_read = read.size();

    // New mempool transactions, matched against the watched addresses. One the node took in before the invoice
    // existed never pays it: its arrival (whole seconds) must be no earlier than the invoice's time (rounded up to
    // the second), so one that came in the second the invoice was made does not pay it either.
    std::vector<TxId> examined;
    examined.reserve(mempool.size());
    std::size_t fetched = 0;
    for (const TxId& txid : mempool) {
        if (std::binary_search(examined_.begin(), examined_.end(), txid) || claims.empty()) {
            examined.push_back(txid);
            continue;
        }
        if (by_txid.contains(txid)) {  // a payment already: nothing to match
            examined.push_back(txid);
            continue;
        }
        if (fetched++ == options_.max_mempool_fetches) break;
        auto entry = feed_.mempool_transaction(txid);
        if (!entry) return std::move(entry).error();
        examined.push_back(txid);
        if (!*entry) continue;  // mined or dropped since the snapshot: a block will tell
        if (!decode_transaction((*entry)->raw, tx)) continue;
        for (const auto& [claim, paid] : paid_to_claims(tx, claims)) {
            if ((*entry)->arrived < claim->created) continue;
            if (Status s = found_at_address(*claim, txid, (*entry)->raw, paid, (*entry)->arrived); !s) return s.error();
            if (auto t = by_txid.find(txid); t != by_txid.end()) tracked[t->second].in_mempool = true;
        }
    }
    std::sort(examined.begin(), examined.end());
    const std::int64_t height_now = read.empty() ? std::min(*tip, fork) : read.back().height;

    for (Tracked& t : tracked) {
        PaymentChain& c = t.next;
        const bool mined = c.block_height.has_value();
        c.confirmations = mined ? static_cast<std::uint32_t>(std::max<std::int64_t>(0, height_now - *c.block_height + 1)) : 0;
        if (mined || t.in_mempool) {
            c.missing_since.reset();
        } else if (!c.reversed) {
            if (!c.missing_since) c.missing_since = now;
            if (now - *c.missing_since >= options_.reversal_window) c.reversed = now;
        }
        if (!c.confirmed && !c.reversed && (mined || t.in_mempool) &&
            c.confirmations >= t.followed.required_confirmations)
            c.confirmed = now;
    }

    // Payments first, then the blocks: a crash between the two reads the same blocks again, to the same result.
    std::vector<Event> announce;
    for (Tracked& t : tracked) {
        const std::uint32_t settled_at = std::max<std::uint32_t>(t.followed.required_confirmations, 1) + options_.settle_depth;
        const bool follow = !t.next.reversed && t.next.confirmations < settled_at;
        if (t.next == t.followed.payment.chain && follow) continue;
        auto logged = store_.update_payment_chain(t.followed.invoice_id, t.next, follow);
        if (!logged) return std::move(logged).error();
        ++round.payments_updated;
        if (logged->empty()) continue;
        auto invoice = store_.find(t.followed.invoice_id);
        if (!invoice) return std::move(invoice).error();
        if (!*invoice) continue;
        for (EventType type : *logged) announce.push_back(Event{type, **invoice});
        round.events_logged += logged->size();
    }
    for (const HandledBlock& b : read)
        if (Status s = store_.handle_block(b); !s) return s.error();
    if (read.empty() && handled->empty())  // a first round with nothing to read still marks where it began
        if (auto hash = feed_.block_hash(*tip); hash)
            if (Status s = store_.handle_block(HandledBlock{*tip, *hash}); !s) return s.error();
    for (const Event& e : announce) events_.publish(e);
    examined_ = std::move(examined);
    return round;
}

}  // namespace jpp
