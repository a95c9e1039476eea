#include <doctest/doctest.h>

#include "jpp/verify.hpp"

using namespace jpp;

namespace {

Bytes p2pkh(std::uint8_t fill) {
    Bytes s{0x76, 0xa9, 0x14};
    s.insert(s.end(), 20, fill);
    s.push_back(0x88);
    s.push_back(0xac);
    return s;
}

TokenData token(std::uint8_t fill, std::int64_t amount) {
    TokenData t;
    t.category.fill(fill);
    t.amount = amount;
    return t;
}

Invoice invoice_for(std::vector<InvoiceOutput> outputs) {
    Invoice invoice;
    invoice.outputs = std::move(outputs);
    invoice.required_fee_per_byte = 1.0;
    return invoice;
}

InvoiceOutput wanted(std::int64_t amount, std::uint8_t fill, std::optional<TokenData> t = std::nullopt) {
    return InvoiceOutput{amount, "bitcoincash:addr" + std::to_string(fill), p2pkh(fill), "", t};
}

// One input (a 107-byte unlocking script, like a real P2PKH spend) and the given outputs.
Transaction paying(std::vector<Output> outputs) {
    Transaction tx;
    Input in;
    in.prevout.txid.bytes.fill(0x77);
    in.unlocking_bytecode = Bytes(107, 0x01);
    tx.inputs.push_back(in);
    tx.outputs = std::move(outputs);
    return tx;
}

Verdict check(const Invoice& invoice, const Transaction& tx, const std::vector<Output>* spent = nullptr) {
    return verify_payment(invoice, tx, serialized_size(tx), spent);
}

}  // namespace

TEST_SUITE("verify") {

TEST_CASE("exact outputs pay; change is allowed; without spent outputs the verdict says inputs were not checked") {
    const Invoice invoice = invoice_for({wanted(10000, 0xaa), wanted(2000, 0xbb)});
    const Transaction tx = paying({Output{5000, p2pkh(0xcc), std::nullopt}, Output{2000, p2pkh(0xbb), std::nullopt},
                                   Output{10000, p2pkh(0xaa), std::nullopt}});
    const Verdict v = check(invoice, tx);
    CHECK(v.ok());
    CHECK_FALSE(v.inputs_checked);
    CHECK(v.message.find("inputs not checked") == 0);
    CHECK(v.matched_outputs == std::vector<std::size_t>{2, 1});
    CHECK(v.size == serialized_size(tx));
}

TEST_CASE("each invoice output needs its own transaction output") {
    const Invoice invoice = invoice_for({wanted(10000, 0xaa), wanted(10000, 0xaa)});
    const Verdict one = check(invoice, paying({Output{10000, p2pkh(0xaa), std::nullopt}}));
    CHECK(one.code == Errc::payment_output_missing);
    CHECK(one.message == "the transaction does not pay invoice output 1: 10000 sat (0.0001 BCH) to bitcoincash:addr170");
    const Verdict two = check(invoice, paying({Output{10000, p2pkh(0xaa), std::nullopt}, Output{10000, p2pkh(0xaa), std::nullopt}}));
    CHECK(two.ok());
}

TEST_CASE("amounts must be exact: neither less nor more") {
    const Invoice invoice = invoice_for({wanted(10000, 0xaa)});
    const Verdict under = check(invoice, paying({Output{9999, p2pkh(0xaa), std::nullopt}}));
    CHECK(under.code == Errc::payment_output_missing);
    CHECK(under.message == "the transaction does not pay invoice output 0: 10000 sat (0.0001 BCH) to "
                           "bitcoincash:addr170; output 0 pays 9999 sat to that address");
    CHECK(check(invoice, paying({Output{10001, p2pkh(0xaa), std::nullopt}})).code == Errc::payment_output_missing);
    CHECK(check(invoice, paying({Output{10000, p2pkh(0xab), std::nullopt}})).code == Errc::payment_output_missing);
}

TEST_CASE("token data must be equal, and an untokened output is not paid by a token output") {
    const Invoice plain = invoice_for({wanted(1000, 0xaa)});
    const Verdict with_token = check(plain, paying({Output{1000, p2pkh(0xaa), token(1, 5)}}));
    CHECK(with_token.code == Errc::payment_output_missing);
    CHECK(with_token.message.find("output 0 pays that address with different token data") != std::string::npos);

    const Invoice tokens = invoice_for({wanted(1000, 0xaa, token(1, 5))});
    CHECK(check(tokens, paying({Output{1000, p2pkh(0xaa), token(1, 5)}})).ok());
    CHECK_FALSE(check(tokens, paying({Output{1000, p2pkh(0xaa), token(1, 6)}})).ok());
    CHECK_FALSE(check(tokens, paying({Output{1000, p2pkh(0xaa), token(2, 5)}})).ok());
    const Verdict none = check(tokens, paying({Output{1000, p2pkh(0xaa), std::nullopt}}));
    CHECK(none.message.find("with no token") != std::string::npos);
    CHECK(none.message.find("with token 0101") != std::string::npos);

    TokenData nft = token(1, 0);
    nft.nft = Nft{NftCapability::minting, {0xca, 0xfe}};
    const Invoice nft_invoice = invoice_for({wanted(1000, 0xaa, nft)});
    CHECK(check(nft_invoice, paying({Output{1000, p2pkh(0xaa), nft}})).ok());
    TokenData other_capability = token(1, 0);
    other_capability.nft = Nft{NftCapability::mutable_, {0xca, 0xfe}};
    CHECK_FALSE(check(nft_invoice, paying({Output{1000, p2pkh(0xaa), other_capability}})).ok());
    TokenData other_commitment = token(1, 0);
    other_commitment.nft = Nft{NftCapability::minting, {0xca}};
    CHECK_FALSE(check(nft_invoice, paying({Output{1000, p2pkh(0xaa), other_commitment}})).ok());
    CHECK(describe_output(nft_invoice.outputs[0]).find("an NFT (minting, commitment 'cafe')") != std::string::npos);
}

TEST_CASE("inputs must cover the outputs and pay the fee rate over the real size") {
    const Invoice invoice = invoice_for({wanted(10000, 0xaa)});
    const Transaction tx = paying({Output{10000, p2pkh(0xaa), std::nullopt}});
    const std::size_t size = serialized_size(tx);

    std::vector<Output> spent{Output{10000 + static_cast<std::int64_t>(size), p2pkh(0x01), std::nullopt}};
    const Verdict exact = check(invoice, tx, &spent);
    CHECK(exact.ok());
    CHECK(exact.inputs_checked);
    CHECK(exact.fee == static_cast<std::int64_t>(size));
    CHECK(exact.message.empty());

    spent[0].value -= 1;
    const Verdict low = check(invoice, tx, &spent);
    CHECK(low.code == Errc::payment_fee_too_low);
    CHECK(low.message.find("the fee of " + std::to_string(size - 1) + " sat for " + std::to_string(size) + " bytes") == 0);

    spent[0].value = 9999;
    const Verdict short_inputs = check(invoice, tx, &spent);
    CHECK(short_inputs.code == Errc::payment_inputs_short);
    CHECK(short_inputs.message == "the inputs hold 9999 sat but the outputs spend 10000 sat");

    Invoice fractional = invoice;
    fractional.required_fee_per_byte = 1.1;
    spent[0].value = 10000 + static_cast<std::int64_t>(size);
    CHECK(check(fractional, tx, &spent).code == Errc::payment_fee_too_low);

    const std::vector<Output> wrong_count;
    CHECK(check(invoice, tx, &wrong_count).code == Errc::invalid_argument);
}

TEST_CASE("consensus and standardness come first") {
    const Invoice invoice = invoice_for({wanted(10000, 0xaa)});
    Transaction dup = paying({Output{10000, p2pkh(0xaa), std::nullopt}});
    dup.inputs.push_back(dup.inputs[0]);
    CHECK(check(invoice, dup).code == Errc::tx_duplicate_input);
    const Verdict dust = check(invoice, paying({Output{10000, p2pkh(0xaa), std::nullopt}, Output{100, p2pkh(1), std::nullopt}}));
    CHECK(dust.code == Errc::tx_dust_output);
    CHECK(dust.message.find("the network would not relay this transaction: output 1") == 0);
    VerifyOptions lenient;
    lenient.require_standard = false;
    const Transaction with_dust = paying({Output{10000, p2pkh(0xaa), std::nullopt}, Output{100, p2pkh(1), std::nullopt}});
    CHECK(verify_payment(invoice, with_dust, serialized_size(with_dust), nullptr, lenient).ok());
}

}
