#include "jpp/chain.hpp"

namespace jpp {

void OfflineChain::add_coin(const Outpoint& outpoint, const Output& output) {
    std::lock_guard lock(mutex_);
    coins_[outpoint] = output;
}

void OfflineChain::fail_next_broadcasts(int count, Error error) {
    std::lock_guard lock(mutex_);
    failures_left_ = count;
    failure_ = std::move(error);
}

std::vector<TxId> OfflineChain::broadcasts() const {
    std::lock_guard lock(mutex_);
    return broadcasts_;
}

Status OfflineChain::broadcast(ByteView raw_transaction, const TxId& txid) {
    std::lock_guard lock(mutex_);
    if (failures_left_ > 0) {
        --failures_left_;
        return failure_;
    }
    for (const TxId& known : broadcasts_)
        if (known == txid) return make_error(Errc::tx_already_known, "txn-already-known");
    auto tx = decode_transaction(raw_transaction);
    if (!tx) return make_error(Errc::broadcast_rejected, "TX decode failed: " + tx.error().message);
    // Like a node's mempool: an outpoint spent by an earlier broadcast cannot be spent again.
    for (const Input& input : tx->inputs)
        for (const Outpoint& spent : spent_)
            if (spent == input.prevout)
                return make_error(Errc::broadcast_rejected, "txn-mempool-conflict: " + input.prevout.txid.hex() +
                                                                 ":" + std::to_string(input.prevout.index) +
                                                                 " is already spent");
    for (const Input& input : tx->inputs) spent_.push_back(input.prevout);
    for (std::uint32_t i = 0; i < tx->outputs.size(); ++i) coins_[Outpoint{txid, i}] = tx->outputs[i];
    broadcasts_.push_back(txid);
    return {};
}

Result<std::optional<std::vector<Output>>> OfflineChain::spent_outputs(const Transaction& tx) {
    std::lock_guard lock(mutex_);
    std::vector<Output> outputs;
    outputs.reserve(tx.inputs.size());
    for (const Input& input : tx.inputs) {
        const auto coin = coins_.find(input.prevout);
        if (coin == coins_.end()) return std::optional<std::vector<Output>>();
        outputs.push_back(coin->second);
    }
    return std::optional<std::vector<Output>>(std::move(outputs));
}

void OfflineChain::set_tip_height(std::int64_t height) {
    std::lock_guard lock(mutex_);
    tip_height_ = height;
}

Result<std::int64_t> OfflineChain::tip_height() {
    std::lock_guard lock(mutex_);
    return tip_height_;
}

}  // namespace jpp
