#include "chain/node_chain.hpp"

#include <jpp/bytes.hpp>
#include <jpp/hash.hpp>
#include <jpp/token.hpp>

#include <charconv>
#include <chrono>
#include <thread>

#include "chain/rpc_json.hpp"
#include "log.hpp"

namespace jppd::chain {

namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

jpp::Error unavailable(std::string message) { return jpp::make_error(jpp::Errc::chain_unavailable, std::move(message)); }

// The node's own words for "I have this one already" (in its mempool or a block).
bool already_known(const RpcReply& reply) {
    if (reply.error_code == -27) return true;  // RPC_VERIFY_ALREADY_IN_CHAIN
    const std::string& m = reply.error_message;
    return m.find("txn-already-known") != std::string::npos || m.find("txn-already-in-mempool") != std::string::npos ||
           m.find("already in block chain") != std::string::npos || m.find("already have transaction") != std::string::npos;
}

// BCHN's tokenData object of gettxout.
std::optional<jpp::TokenData> token_from_json(const rapidjson::Value& v, bool& ok) {
    ok = true;
    if (!v.IsObject()) return std::nullopt;
    ok = false;
    jpp::TokenData token;
    auto category = jpp::hash256_from_display_hex(string_of(member(v, "category")));
    if (!category) return std::nullopt;
    token.category = *category;
    if (const auto* amount = member(v, "amount"); amount && amount->IsString()) {
        const auto parsed = jpp::parse_token_amount({amount->GetString(), amount->GetStringLength()});
        if (!parsed) return std::nullopt;
        token.amount = *parsed;
    }
    if (const auto* nft = member(v, "nft"); nft && nft->IsObject()) {
        auto capability = jpp::nft_capability_from_name(string_of(member(*nft, "capability")));
        auto commitment = jpp::from_hex(string_of(member(*nft, "commitment")));
        if (!capability || !commitment) return std::nullopt;
        token.nft = jpp::Nft{*capability, std::move(*commitment)};
    }
    ok = true;
    return token;
}

}  // namespace

jpp::Status NodeChain::broadcast(jpp::ByteView raw_transaction, const jpp::TxId& txid) {
    // Some nodes (bcash) answer a transaction already in their mempool with success, not "already known": ask
    // first, so that a transaction that reached the network another way is always reported as such.
    auto known = node_holds(txid);
    if (!known) return std::move(known).error();
    if (*known) return jpp::make_error(jpp::Errc::tx_already_known, "the node already has the transaction");
    auto reply = client_.call("sendrawtransaction", "[" + quoted(jpp::to_hex(raw_transaction)) + "]", false);
    if (!reply) return std::move(reply).error();
    if (reply->is_error) {
        if (already_known(*reply))
            return jpp::make_error(jpp::Errc::tx_already_known, "the node already has the transaction: " +
                                                                    reply->error_message);
        return jpp::make_error(jpp::Errc::broadcast_rejected, "the node rejected the transaction: " +
                                                                  reply->error_message);
    }
    // Some nodes (bcash) answer before the mempool has taken the transaction: look a few times.
    jpp::Result<bool> held = false;
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        held = node_holds(txid);
        if (!held) return std::move(held).error();
        if (*held) break;
    }
    if (!*held)
        return jpp::make_error(jpp::Errc::broadcast_rejected,
                               "the node did not accept the transaction into its mempool (a double spend, or "
                               "inputs it does not know)");
    return {};
}

jpp::Result<bool> NodeChain::node_holds(const jpp::TxId& txid) {
    auto entry = client_.call("getmempoolentry", "[" + quoted(txid.hex()) + "]");
    if (!entry) return std::move(entry).error();
    if (!entry->is_error) return true;
    // Not in the mempool: maybe already mined (visible with a transaction index, or in a recent block).
    auto raw = client_.call("getrawtransaction", "[" + quoted(txid.hex()) + ", false]");
    if (!raw) return std::move(raw).error();
    return !raw->is_error && raw->result != "null";
}

jpp::Result<std::optional<jpp::Output>> NodeChain::unspent_output(const jpp::Outpoint& outpoint) {
    auto reply = client_.call("gettxout",
                              "[" + quoted(outpoint.txid.hex()) + ", " + std::to_string(outpoint.index) + ", true]");
    if (!reply) return std::move(reply).error();
    if (reply->is_error || reply->result == "null") return std::optional<jpp::Output>{};
    JsonReader json;
    if (!json.parse(reply->result)) return unavailable("gettxout: unreadable result");
    const auto& r = json.root();
    auto value = parse_bch_amount(string_of(member(r, "value")));
    const auto* script = member(r, "scriptPubKey");
    auto bytecode = jpp::from_hex(string_of(script ? member(*script, "hex") : nullptr));
    if (!value || !bytecode) return unavailable("gettxout: a result without value or scriptPubKey.hex");
    jpp::Output output{*value, std::move(*bytecode), std::nullopt};
    if (const auto* token = member(r, "tokenData")) {
        bool ok = false;
        output.token = token_from_json(*token, ok);
        if (!ok) return unavailable("gettxout: unreadable tokenData");
    }
    return std::optional<jpp::Output>(std::move(output));
}

jpp::Result<std::optional<jpp::Output>> NodeChain::output_from_transaction(const jpp::Outpoint& outpoint) {
    auto reply = client_.call("getrawtransaction", "[" + quoted(outpoint.txid.hex()) + ", false]");
    if (!reply) return std::move(reply).error();
    if (reply->is_error) return std::optional<jpp::Output>{};
    JsonReader json;
    if (!json.parse(reply->result) || !json.root().IsString()) return unavailable("getrawtransaction: no hex");
    auto tx = jpp::decode_transaction_hex(json.root().GetString());
    // The node must return the transaction asked for; anything else is not to be trusted for amounts.
    if (!tx || jpp::transaction_id(*tx) != outpoint.txid || outpoint.index >= tx->outputs.size())
        return unavailable("getrawtransaction returned something other than " + outpoint.txid.hex());
    return std::optional<jpp::Output>(tx->outputs[outpoint.index]);
}

jpp::Result<std::optional<std::vector<jpp::Output>>> NodeChain::spent_outputs(const jpp::Transaction& tx) {
    std::vector<jpp::Output> spent;
    spent.reserve(tx.inputs.size());
    for (const auto& input : tx.inputs) {
        auto output = unspent_output(input.prevout);
        if (!output) return std::move(output).error();
        if (!*output) {
            output = output_from_transaction(input.prevout);
            if (!output) return std::move(output).error();
        }
        if (!*output) return std::optional<std::vector<jpp::Output>>{};  // the node does not know this coin
        spent.push_back(std::move(**output));
    }
    return std::optional<std::vector<jpp::Output>>(std::move(spent));
}

jpp::Status NodeChain::ping() {
    auto name = chain_name();
    if (!name) return std::move(name).error();
    return {};
}

jpp::Result<std::string> NodeChain::chain_name() {
    auto reply = client_.call("getblockchaininfo", "[]");
    if (!reply) return std::move(reply).error();
    if (reply->is_error) return unavailable("getblockchaininfo failed: " + reply->error_message);
    JsonReader json;
    if (!json.parse(reply->result)) return unavailable("getblockchaininfo: unreadable result");
    const std::string_view chain = string_of(member(json.root(), "chain"));
    if (chain.empty()) return unavailable("getblockchaininfo: no chain name");
    return std::string(chain);
}

// ---- The follower's feed

namespace {

// The result of a call that must succeed, parsed.
jpp::Status read_reply(const jpp::Result<RpcReply>& reply, std::string_view method, JsonReader& json) {
    if (!reply) return reply.error();
    if (reply->is_error) return unavailable(std::string(method) + " failed: " + reply->error_message);
    if (!json.parse(reply->result)) return unavailable(std::string(method) + ": unreadable result");
    return {};
}

}  // namespace

jpp::Result<std::int64_t> NodeChain::tip_height() {
    JsonReader json;
    if (auto s = read_reply(client_.call("getblockcount", "[]"), "getblockcount", json); !s) return s.error();
    const std::string_view text = string_of(&json.root());
    std::int64_t height = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), height);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || height < 0)
        return unavailable("getblockcount: not a height");
    return height;
}

jpp::Result<jpp::BlockHash> NodeChain::block_hash(std::int64_t height) {
    JsonReader json;
    if (auto s = read_reply(client_.call("getblockhash", "[" + std::to_string(height) + "]"), "getblockhash", json); !s)
        return s.error();
    auto hash = jpp::BlockHash::from_hex(string_of(&json.root()));
    if (!hash) return unavailable("getblockhash: not a block hash");
    return *hash;
}

jpp::Result<jpp::Bytes> NodeChain::block(const jpp::BlockHash& hash) {
    JsonReader json;
    if (auto s = read_reply(client_.call("getblock", "[" + quoted(hash.hex()) + ", false]"), "getblock", json); !s)
        return s.error();
    auto raw = jpp::from_hex(string_of(&json.root()));
    if (!raw) return unavailable("getblock: not a raw block");
    return std::move(*raw);
}

jpp::Result<std::vector<jpp::TxId>> NodeChain::mempool() {
    JsonReader json;
    if (auto s = read_reply(client_.call("getrawmempool", "[]"), "getrawmempool", json); !s) return s.error();
    if (!json.root().IsArray()) return unavailable("getrawmempool: not a list");
    std::vector<jpp::TxId> txids;
    txids.reserve(json.root().Size());
    for (const auto& entry : json.root().GetArray()) {
        auto txid = jpp::TxId::from_hex(string_of(&entry));
        if (!txid) return unavailable("getrawmempool: not a txid");
        txids.push_back(*txid);
    }
    return txids;
}

jpp::Result<std::optional<jpp::ChainFeed::MempoolTransaction>> NodeChain::mempool_transaction(const jpp::TxId& txid) {
    using Found = std::optional<MempoolTransaction>;
    auto entry = client_.call("getmempoolentry", "[" + quoted(txid.hex()) + "]");
    if (!entry) return std::move(entry).error();
    if (entry->is_error) return Found{};  // no longer in the mempool
    JsonReader json;
    if (!json.parse(entry->result)) return unavailable("getmempoolentry: unreadable result");
    const auto* time = member(json.root(), "time");
    std::int64_t seconds = -1;
    const std::string_view text = string_of(time);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || seconds < 0)
        return unavailable("getmempoolentry: no time");
    auto raw = client_.call("getrawtransaction", "[" + quoted(txid.hex()) + ", false]");
    if (!raw) return std::move(raw).error();
    if (raw->is_error) return Found{};
    JsonReader hex;
    if (!hex.parse(raw->result) || !hex.root().IsString()) return unavailable("getrawtransaction: no hex");
    auto bytes = jpp::from_hex(string_of(&hex.root()));
    if (!bytes || jpp::transaction_id(*bytes) != txid)
        return unavailable("getrawtransaction returned something other than " + txid.hex());
    return Found{MempoolTransaction{std::move(*bytes), jpp::Timestamp(std::chrono::seconds(seconds))}};
}

jpp::Status DevChain::broadcast(jpp::ByteView, const jpp::TxId& txid) {
    log_warn("dev mode: payment " + txid.hex() + " recorded WITHOUT being broadcast");
    return {};
}

}  // namespace jppd::chain
