// The blockchain as the core sees it: an interface a host implements (jppd talks to a node's JSON-RPC),
// and an offline implementation for tests and for hosts that unit-test payment logic.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "jpp/error.hpp"
#include "jpp/transaction.hpp"

namespace jpp {

class ChainBackend {
public:
    virtual ~ChainBackend() = default;

    // Hands the transaction to the network. Errors: Errc::tx_already_known when the node already holds it (in its
    // mempool or a block): never report that as success, since only the service knows whether this server sent
    // it before (a transaction broadcast by someone else must not settle an invoice); Errc::broadcast_rejected
    // (with the node's reason) when the node refused it; Errc::chain_unavailable when it could not be asked, or
    // the outcome is unknown (a timeout after sending). May throw: the service turns it into chain_unavailable.
    virtual Status broadcast(ByteView raw_transaction, const TxId& txid) = 0;

    // The outputs the transaction's inputs spend, in input order, or nullopt when the backend does not know
    // them (no such coins, or no index to look them up): then the fee is not checked, and the verdict says so.
    // Any error (Errc::chain_unavailable when it could not ask, an answer it could not read) fails the payment:
    // the checks never fail open.
    virtual Result<std::optional<std::vector<Output>>> spent_outputs(const Transaction& tx) = 0;

    // For health checks: can the backend be reached now?
    virtual Status ping() = 0;
    // The height of the node's best chain now: what an address-payable invoice records when it is made, so that
    // no transaction in a block it did not postdate pays it. A backend that cannot tell answers an error, and
    // invoices are then not address-payable.
    virtual Result<std::int64_t> tip_height() {
        return make_error(Errc::chain_unavailable, "this chain backend does not know the chain's height");
    }
};

// Everything in memory, thread-safe: coins a test declares, a record of what was broadcast, and a mempool's
// refusal to spend one outpoint twice. Broadcast outputs become coins, so chains of payments work; a transaction
// broadcast twice is answered tx_already_known, as a node does.
// `fail_next_broadcasts` makes the next broadcasts fail with the given error, for fault tests.
class OfflineChain final : public ChainBackend {
public:
    void add_coin(const Outpoint& outpoint, const Output& output);
    void fail_next_broadcasts(int count, Error error);
    void set_tip_height(std::int64_t height);
    std::vector<TxId> broadcasts() const;

    Status broadcast(ByteView raw_transaction, const TxId& txid) override;
    Result<std::optional<std::vector<Output>>> spent_outputs(const Transaction& tx) override;
    Status ping() override { return {}; }
    Result<std::int64_t> tip_height() override;

private:
    mutable std::mutex mutex_;
    std::map<Outpoint, Output> coins_;
    std::vector<TxId> broadcasts_;
    std::vector<Outpoint> spent_;
    int failures_left_ = 0;
    std::int64_t tip_height_ = 0;
    Error failure_;
};

}  // namespace jpp
