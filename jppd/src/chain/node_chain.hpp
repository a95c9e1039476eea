// The chain backend jppd uses in production: a BCH node's JSON-RPC (sendrawtransaction, gettxout,
// getrawtransaction, getmempoolentry, getblockchaininfo); and the feed the chain follower reads (getblockcount,
// getblockhash, getblock, getrawmempool, getmempoolentry).
#pragma once

#include <jpp/chain.hpp>
#include <jpp/chain_follower.hpp>

#include "chain/node_rpc_client.hpp"

namespace jppd::chain {

class NodeChain final : public jpp::ChainBackend, public jpp::ChainFeed {
public:
    explicit NodeChain(NodeRpcClient client) : client_(std::move(client)) {}

    // sendrawtransaction, unless the node already holds the transaction; that, and the node's "already known" /
    // "already in block chain", are Errc::tx_already_known, for the service to judge. A node that answers success without taking the transaction into its mempool (bcash does this for
    // double spends and orphans) is caught by asking for the transaction afterwards.
    jpp::Status broadcast(jpp::ByteView raw_transaction, const jpp::TxId& txid) override;
    // gettxout (mempool included) for each input, getrawtransaction for coins it does not know.
    jpp::Result<std::optional<std::vector<jpp::Output>>> spent_outputs(const jpp::Transaction& tx) override;
    jpp::Status ping() override;

    jpp::Result<std::int64_t> tip_height() override;
    jpp::Result<jpp::BlockHash> block_hash(std::int64_t height) override;
    jpp::Result<jpp::Bytes> block(const jpp::BlockHash& hash) override;
    jpp::Result<std::vector<jpp::TxId>> mempool() override;
    // getmempoolentry (its time), then getrawtransaction.
    jpp::Result<std::optional<MempoolTransaction>> mempool_transaction(const jpp::TxId& txid) override;

    // The node's chain name from getblockchaininfo: "main", "test", "test4", "chip", "regtest" ...
    jpp::Result<std::string> chain_name();

private:
    jpp::Result<std::optional<jpp::Output>> unspent_output(const jpp::Outpoint& outpoint);
    jpp::Result<std::optional<jpp::Output>> output_from_transaction(const jpp::Outpoint& outpoint);
    jpp::Result<bool> node_holds(const jpp::TxId& txid);

    NodeRpcClient client_;
};

// For --dev-mode: payments are verified and recorded, never broadcast; spent outputs are unknown.
class DevChain final : public jpp::ChainBackend {
public:
    jpp::Status broadcast(jpp::ByteView raw_transaction, const jpp::TxId& txid) override;
    jpp::Result<std::optional<std::vector<jpp::Output>>> spent_outputs(const jpp::Transaction&) override {
        return std::optional<std::vector<jpp::Output>>{};
    }
    jpp::Status ping() override { return {}; }
};

}  // namespace jppd::chain
