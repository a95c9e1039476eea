#include <doctest/doctest.h>

#include <string>

#include "jpp/transaction.hpp"

using namespace jpp;

namespace {

// The first transaction ever mined (Bitcoin's genesis coinbase), a public fact with a well-known txid.
const std::string genesis_coinbase =
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054"
    "696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f7574"
    "20666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f"
    "61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";
const std::string genesis_txid = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";

Bytes p2pkh_script(std::uint8_t fill) {
    Bytes s{0x76, 0xa9, 0x14};
    s.insert(s.end(), 20, fill);
    s.push_back(0x88);
    s.push_back(0xac);
    return s;
}

Transaction sample_payment() {
    Transaction tx;
    tx.version = 2;
    Input in;
    in.prevout.txid.bytes.fill(0x11);
    in.prevout.index = 0;
    in.unlocking_bytecode = Bytes(106, 0x01);
    tx.inputs.push_back(in);
    tx.outputs.push_back(Output{12345, p2pkh_script(0xaa), std::nullopt});
    TokenData token;
    token.category.fill(0x22);
    token.amount = 1000;
    token.nft = Nft{NftCapability::mutable_, {0xca, 0xfe}};
    tx.outputs.push_back(Output{1000, p2pkh_script(0xbb), token});
    tx.locktime = 0;
    return tx;
}

Status consensus(const Transaction& tx, ConsensusRules rules = {}) { return check_consensus(tx, rules); }

}  // namespace

TEST_SUITE("transaction") {

TEST_CASE("decodes a known transaction: fields, txid in display order, byte-identical re-encoding") {
    auto tx = decode_transaction_hex(genesis_coinbase);
    REQUIRE(tx.ok());
    CHECK(tx->version == 1);
    REQUIRE(tx->inputs.size() == 1);
    CHECK(tx->inputs[0].prevout.is_null());
    CHECK(tx->inputs[0].unlocking_bytecode.size() == 77);
    CHECK(tx->inputs[0].sequence == 0xffffffff);
    REQUIRE(tx->outputs.size() == 1);
    CHECK(tx->outputs[0].value == 50 * satoshis_per_bch);
    CHECK(tx->outputs[0].locking_bytecode.size() == 67);
    CHECK_FALSE(tx->outputs[0].token.has_value());
    CHECK(tx->locktime == 0);
    CHECK(to_hex(encode_transaction(*tx)) == genesis_coinbase);
    CHECK(serialized_size(*tx) == genesis_coinbase.size() / 2);
    CHECK(transaction_id(*tx).hex() == genesis_txid);
    CHECK(transaction_id(*from_hex(genesis_coinbase)).hex() == genesis_txid);
    CHECK(check_consensus(*tx).ok());
}

TEST_CASE("round trip of a transaction with a token output") {
    const Transaction tx = sample_payment();
    const Bytes raw = encode_transaction(tx);
    CHECK(raw.size() == serialized_size(tx));
    auto back = decode_transaction(raw);
    REQUIRE(back.ok());
    CHECK(*back == tx);
    CHECK(transaction_id(raw) == transaction_id(tx));
    // The token prefix lives inside the output field, before the locking bytecode.
    const std::string hex = to_hex(raw);
    CHECK(hex.find("ef" + std::string(64, '2') + "7102cafefde803" + to_hex(p2pkh_script(0xbb))) != std::string::npos);
    CHECK(check_consensus(tx).ok());
    CHECK(check_standard(tx).ok());
}

TEST_CASE("txid from display hex") {
    auto id = TxId::from_hex(genesis_txid);
    REQUIRE(id.ok());
    CHECK(id->hex() == genesis_txid);
    CHECK(id->bytes[0] == 0x3b);
    CHECK_FALSE(TxId::from_hex("3b").ok());
}

TEST_CASE("trailing bytes are rejected where they start") {
    auto tx = decode_transaction_hex(genesis_coinbase + "00");
    REQUIRE_FALSE(tx.ok());
    CHECK(tx.error().code == Errc::trailing_bytes);
    CHECK(tx.error().offset == genesis_coinbase.size() / 2);
    CHECK(tx.error().message == "1 unexpected bytes after the encoded transaction");
}

TEST_CASE("every truncation is an error, never a crash") {
    const Bytes raw = encode_transaction(sample_payment());
    for (std::size_t n = 0; n < raw.size(); ++n) {
        auto tx = decode_transaction(ByteView(raw.data(), n));
        CAPTURE(n);
        REQUIRE_FALSE(tx.ok());
        CHECK((tx.error().code == Errc::truncated || tx.error().code == Errc::invalid_token_prefix));
        CHECK(tx.error().offset <= n);
    }
}

TEST_CASE("non-minimal counts and lengths are rejected") {
    // Input count 1 written as fd0100.
    std::string hex = genesis_coinbase;
    hex.replace(8, 2, "fd0100");
    auto tx = decode_transaction_hex(hex);
    REQUIRE_FALSE(tx.ok());
    CHECK(tx.error().code == Errc::non_canonical_size);
    CHECK(tx.error().offset == 4);
    CHECK(tx.error().message == "non-minimal CompactSize encoding of input count");
}

TEST_CASE("a huge count is refused before anything is allocated for it") {
    auto tx = decode_transaction_hex("01000000" "fe00000002" "00");
    REQUIRE_FALSE(tx.ok());
    CHECK(tx.error().code == Errc::truncated);
    CHECK(tx.error().message.find("input count 33554432 does not fit") != std::string::npos);
    auto big = decode_transaction_hex("01000000" "ff0000000001000000");
    CHECK(big.error().code == Errc::size_too_large);
}

TEST_CASE("a malformed token prefix inside an output is an error at its byte") {
    Transaction tx = sample_payment();
    Bytes raw = encode_transaction(tx);
    // The second output's bitfield (0x71: commitment, NFT, amount, mutable) becomes 0xf1: reserved bit set.
    const std::string hex = to_hex(raw);
    const std::size_t found = hex.find("ef" + std::string(64, '2') + "71");
    REQUIRE(found != std::string::npos);
    const std::size_t at = found / 2 + 33;
    raw[at] = 0xf1;
    auto bad = decode_transaction(raw);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == Errc::invalid_token_prefix);
    CHECK(bad.error().offset == at);
    CHECK(bad.error().message.find("reserved bit 0x80 is set") != std::string::npos);
}

TEST_CASE("hex input is checked: characters and an upper bound before decoding") {
    CHECK(decode_transaction_hex("zz").error().code == Errc::invalid_hex);
    CHECK(decode_transaction_hex(std::string(2'000'002, '0')).error().code == Errc::tx_oversize);
    CHECK(decode_transaction_hex("").error().code == Errc::truncated);
}

TEST_CASE("single outputs in wire form") {
    const Output out = sample_payment().outputs[1];
    Bytes raw;
    Writer w(raw);
    write_output(w, out);
    CHECK(raw.size() == serialized_size(out));
    auto back = decode_output(raw);
    REQUIRE(back.ok());
    CHECK(*back == out);
    raw.push_back(0);
    CHECK(decode_output(raw).error().code == Errc::trailing_bytes);
}

TEST_CASE("consensus: size, version, empty sides") {
    Transaction tx = sample_payment();
    tx.version = 3;
    CHECK(consensus(tx).error().code == Errc::tx_bad_version);
    tx.version = 0;
    CHECK(consensus(tx).error().message == "transaction version 0 is not 1 or 2");
    tx.version = 1;
    CHECK(consensus(tx).ok());

    Transaction no_in = sample_payment();
    no_in.inputs.clear();
    CHECK(consensus(no_in).error().code == Errc::tx_no_inputs);
    Transaction no_out = sample_payment();
    no_out.outputs.clear();
    CHECK(consensus(no_out).error().code == Errc::tx_no_outputs);

    Transaction small;
    small.inputs.push_back(Input{});
    small.inputs[0].prevout.txid.bytes.fill(1);
    small.outputs.push_back(Output{0, {}, std::nullopt});
    CHECK(serialized_size(small) == 60);
    CHECK(consensus(small).error().code == Errc::tx_undersize);
    CHECK(consensus(small).error().message == "transaction of 60 bytes is below the 65-byte minimum");
    small.inputs[0].unlocking_bytecode = Bytes(5, 0x51);
    CHECK(serialized_size(small) == 65);
    CHECK(consensus(small).ok());

    Transaction large = sample_payment();
    large.inputs[0].unlocking_bytecode = Bytes(max_transaction_size, 0x51);
    CHECK(consensus(large).error().code == Errc::tx_oversize);
    CHECK(check_consensus(sample_payment(), {}, 1'000'001).error().code == Errc::tx_oversize);
}

TEST_CASE("consensus: value range and total") {
    Transaction tx = sample_payment();
    tx.outputs[0].value = -1;
    CHECK(consensus(tx).error().code == Errc::tx_value_out_of_range);
    CHECK(consensus(tx).error().message == "output 0 value 18446744073709551615 sat is outside 0..2100000000000000");
    tx.outputs[0].value = max_money + 1;
    CHECK(consensus(tx).error().code == Errc::tx_value_out_of_range);
    tx.outputs[0].value = max_money;
    tx.outputs[1].value = 0;
    CHECK(consensus(tx).ok());
    tx.outputs[1].value = 1;
    CHECK(consensus(tx).error().message == "outputs up to 1 add up to more than 21,000,000 BCH");
}

TEST_CASE("consensus: duplicate and null prevouts") {
    Transaction tx = sample_payment();
    tx.inputs.push_back(tx.inputs[0]);
    tx.inputs[1].prevout.index = 1;
    CHECK(consensus(tx).ok());
    tx.inputs.push_back(tx.inputs[0]);
    const Status dup = consensus(tx);
    CHECK(dup.error().code == Errc::tx_duplicate_input);
    CHECK(dup.error().message == "inputs 0 and 2 both spend " + std::string(64, '1') + ":0");

    Transaction null_in = sample_payment();
    null_in.inputs.push_back(Input{});
    null_in.inputs[1].prevout.index = 0xffffffff;
    CHECK(consensus(null_in).error().code == Errc::tx_null_prevout);
}

TEST_CASE("consensus: coinbase rules") {
    auto coinbase = decode_transaction_hex(genesis_coinbase);
    REQUIRE(coinbase.ok());
    Transaction tx = *coinbase;
    tx.inputs[0].unlocking_bytecode = Bytes(101, 0);
    CHECK(consensus(tx).error().code == Errc::tx_bad_coinbase);
    tx.inputs[0].unlocking_bytecode = Bytes(2, 0);
    CHECK(consensus(tx).ok());
    tx.outputs[0].token = sample_payment().outputs[1].token;
    CHECK(consensus(tx).error().message == "a coinbase transaction carries tokens");
}

TEST_CASE("consensus: the commitment limit is a parameter") {
    Transaction tx = sample_payment();
    tx.outputs[1].token->nft->commitment = Bytes(41, 7);
    CHECK(consensus(tx).ok());
    const Status old_rule = consensus(tx, ConsensusRules{max_commitment_length_2023});
    CHECK(old_rule.error().code == Errc::tx_token_commitment_too_long);
    CHECK(old_rule.error().message == "output 1: NFT commitment of 41 bytes exceeds the consensus limit of 40");
    tx.outputs[1].token->nft->commitment = Bytes(129, 7);
    CHECK(consensus(tx).error().code == Errc::tx_token_commitment_too_long);
}

TEST_CASE("dust thresholds (relay fee 1000 sat/kB), token prefix included") {
    Hash256 category{};
    const auto with = [&](Bytes script, std::optional<TokenData> token) { return Output{0, std::move(script), token}; };
    CHECK(dust_threshold(with(p2pkh_script(1), std::nullopt)) == 546);
    CHECK(dust_threshold(with(Bytes(23, 0xa9), std::nullopt)) == 540);   // P2SH20
    CHECK(dust_threshold(with(Bytes(35, 0xaa), std::nullopt)) == 576);   // P2SH32
    CHECK(dust_threshold(with(p2pkh_script(1), TokenData{category, 100, std::nullopt})) == 651);
    CHECK(dust_threshold(with(p2pkh_script(1), TokenData{category, 0, Nft{}})) == 648);
    CHECK(dust_threshold(with(p2pkh_script(1), TokenData{category, 0x100000000, Nft{NftCapability::none, Bytes(40, 1)}})) ==
          798);
    CHECK(dust_threshold(with(p2pkh_script(1), TokenData{category, max_token_amount, Nft{NftCapability::none, Bytes(128, 1)}})) ==
          1062);
}

TEST_CASE("standardness: dust, OP_RETURN exemption and limit, size") {
    Transaction tx = sample_payment();
    tx.outputs[0].value = 545;
    const Status dust = check_standard(tx);
    CHECK(dust.error().code == Errc::tx_dust_output);
    CHECK(dust.error().message == "output 0 must have a value of at least 546 sat, has 545 sat");
    tx.outputs[0].value = 546;
    CHECK(check_standard(tx).ok());

    Bytes op_return{0x6a, 0x4c, 0xdd};
    op_return.resize(223, 0x00);
    tx.outputs.push_back(Output{0, op_return, std::nullopt});
    CHECK(check_standard(tx).ok());
    tx.outputs.back().locking_bytecode.push_back(0);
    CHECK(check_standard(tx).error().code == Errc::tx_nonstandard_output);

    Transaction big = sample_payment();
    big.inputs[0].unlocking_bytecode = Bytes(max_standard_transaction_size, 0x51);
    CHECK(check_standard(big).error().code == Errc::tx_nonstandard_size);
    CHECK(check_consensus(big).ok());
}

}
