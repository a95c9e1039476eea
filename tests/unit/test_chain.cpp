#include <doctest/doctest.h>

#include "jpp/chain.hpp"

using namespace jpp;

namespace {

Transaction spend(std::uint8_t coin_fill, std::uint32_t index, std::int64_t value) {
    Transaction tx;
    Input in;
    in.prevout.txid.bytes.fill(coin_fill);
    in.prevout.index = index;
    in.unlocking_bytecode = Bytes(100, 1);
    tx.inputs.push_back(in);
    tx.outputs.push_back(Output{value, Bytes{0x51}, std::nullopt});
    return tx;
}

}  // namespace

TEST_SUITE("chain") {

TEST_CASE("offline chain: broadcast, a rebroadcast answered 'already known', double-spend refused") {
    OfflineChain chain;
    const Transaction a = spend(1, 0, 1000);
    const Bytes raw_a = encode_transaction(a);
    CHECK(chain.broadcast(raw_a, transaction_id(raw_a)).ok());
    CHECK(chain.broadcast(raw_a, transaction_id(raw_a)).error().code == Errc::tx_already_known);
    CHECK(chain.broadcasts().size() == 1);

    const Transaction b = spend(1, 0, 900);
    const Bytes raw_b = encode_transaction(b);
    const Status conflict = chain.broadcast(raw_b, transaction_id(raw_b));
    CHECK(conflict.error().code == Errc::broadcast_rejected);
    CHECK(conflict.error().message.find("txn-mempool-conflict") == 0);
    CHECK(chain.broadcast(Bytes{1, 2, 3}, TxId{}).error().code == Errc::broadcast_rejected);
}

TEST_CASE("offline chain: injected failures, then recovery") {
    OfflineChain chain;
    chain.fail_next_broadcasts(2, make_error(Errc::chain_unavailable, "node down"));
    const Bytes raw = encode_transaction(spend(2, 0, 1000));
    CHECK(chain.broadcast(raw, transaction_id(raw)).error().code == Errc::chain_unavailable);
    CHECK(chain.broadcast(raw, transaction_id(raw)).error().message == "node down");
    CHECK(chain.broadcast(raw, transaction_id(raw)).ok());
}

TEST_CASE("offline chain: spent outputs known only when every coin is") {
    OfflineChain chain;
    const Transaction tx = spend(3, 1, 500);
    CHECK_FALSE(chain.spent_outputs(tx)->has_value());
    Outpoint where;
    where.txid.bytes.fill(3);
    where.index = 1;
    chain.add_coin(where, Output{2000, Bytes{0x51}, std::nullopt});
    auto spent = chain.spent_outputs(tx);
    REQUIRE(spent.ok());
    REQUIRE(spent->has_value());
    CHECK((*spent)->at(0).value == 2000);

    // Broadcast outputs become coins.
    const Bytes raw = encode_transaction(tx);
    REQUIRE(chain.broadcast(raw, transaction_id(raw)).ok());
    Transaction child = spend(0, 0, 100);
    child.inputs[0].prevout = Outpoint{transaction_id(raw), 0};
    CHECK(chain.spent_outputs(child)->value().at(0).value == 500);
    CHECK(chain.ping().ok());
}

}
