#include <doctest/doctest.h>

#include "jpp/address.hpp"

using namespace jpp;

TEST_SUITE("address") {

TEST_CASE("legacy and CashAddr forms of the same destinations (spec table)") {
    struct Pair { const char* legacy; const char* cash; AddressKind kind; };
    const Pair pairs[] = {
        {"1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", AddressKind::p2pkh},
        {"1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR", "bitcoincash:qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy", AddressKind::p2pkh},
        {"16w1D5WRVKJuZUsSRzdLp9w3YGcgoxDXb", "bitcoincash:qqq3728yw0y47sqn6l2na30mcw6zm78dzqre909m2r", AddressKind::p2pkh},
        {"3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq", AddressKind::p2sh20},
        {"3LDsS579y7sruadqu11beEJoTjdFiFCdX4", "bitcoincash:pr95sy3j9xwd2ap32xkykttr4cvcu7as4yc93ky28e", AddressKind::p2sh20},
        {"31nwvkZwyPdgzjBJZXfDmSWsC4ZLKpYyUw", "bitcoincash:pqq3728yw0y47sqn6l2na30mcw6zm78dzq5ucqzc37", AddressKind::p2sh20},
    };
    for (const Pair& p : pairs) {
        CAPTURE(p.legacy);
        auto legacy = decode_address(p.legacy, Network::main);
        auto cash = decode_address(p.cash, Network::main);
        REQUIRE(legacy.ok());
        REQUIRE(cash.ok());
        CHECK(*legacy == *cash);
        CHECK(legacy->kind == p.kind);
        CHECK(encode_cashaddr(*legacy) == p.cash);
        CHECK(encode_legacy_address(*cash) == p.legacy);
    }
}

TEST_CASE("token-aware CashAddr: same bytecode, z/r prefix letters") {
    auto plain = decode_address("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", Network::main);
    auto tokens = decode_address("bitcoincash:zpm2qsznhks23z7629mms6s4cwef74vcwvrqekrq9w", Network::main);
    REQUIRE(tokens.ok());
    CHECK(tokens->token_aware);
    CHECK_FALSE(plain->token_aware);
    CHECK(locking_bytecode(*tokens) == locking_bytecode(*plain));
    CHECK(encode_cashaddr(*tokens) == "bitcoincash:zpm2qsznhks23z7629mms6s4cwef74vcwvrqekrq9w");
    Address p2sh = *plain;
    p2sh.kind = AddressKind::p2sh20;
    p2sh.token_aware = true;
    CHECK(encode_cashaddr(p2sh)[12] == 'r');
}

TEST_CASE("networks: prefixes, bare payloads use the configured one, others are refused") {
    CHECK(cashaddr_prefix(Network::test) == "bchtest");
    CHECK(network_from_name("regtest") == Network::regtest);
    CHECK_FALSE(network_from_name("chipnet").has_value());
    CHECK(decode_address("qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", Network::main).ok());
    CHECK(decode_address("bchtest:qpm2qsznhks23z7629mms6s4cwef74vcwvqcw003ap", Network::test).ok());
    auto wrong = decode_address("bchtest:qpm2qsznhks23z7629mms6s4cwef74vcwvqcw003ap", Network::main);
    CHECK(wrong.error().code == Errc::address_wrong_network);
    CHECK(wrong.error().message == "address is for test, not main");
    CHECK(decode_address("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", Network::regtest).error().code ==
          Errc::address_wrong_network);
    CHECK(decode_address("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", Network::test).error().code == Errc::address_wrong_network);
    // A bare payload that is valid only under another network's prefix is a checksum failure, never accepted.
    CHECK(decode_address("qpm2qsznhks23z7629mms6s4cwef74vcwvqcw003ap", Network::main).error().code == Errc::address_checksum);
}

TEST_CASE("bad input gets a precise error") {
    CHECK(decode_address("", Network::main).error().code == Errc::invalid_address);
    CHECK(decode_address("bitcoincash:Qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", Network::main).error().code ==
          Errc::address_mixed_case);
    CHECK(decode_address("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6c", Network::main).error().code ==
          Errc::address_checksum);
    CHECK(decode_address("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6b", Network::main).error().message ==
          "invalid CashAddr character 'b' at position 53");
    CHECK(decode_address("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggv", Network::main).error().code == Errc::address_checksum);
    CHECK(decode_address("hello world", Network::main).error().code == Errc::invalid_address);
    // WIF keys are base58check but not addresses.
    CHECK(decode_address("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn", Network::main).error().code ==
          Errc::invalid_address);
}

TEST_CASE("locking bytecode templates, both ways") {
    Address a{Network::main, AddressKind::p2pkh, Bytes(20, 0xab), false};
    CHECK(to_hex(locking_bytecode(a)) == "76a914" + to_hex(Bytes(20, 0xab)) + "88ac");
    a.kind = AddressKind::p2sh20;
    CHECK(to_hex(locking_bytecode(a)) == "a914" + to_hex(Bytes(20, 0xab)) + "87");
    Address b{Network::main, AddressKind::p2sh32, Bytes(32, 0xcd), false};
    CHECK(to_hex(locking_bytecode(b)) == "aa20" + to_hex(Bytes(32, 0xcd)) + "87");
    for (const Address& x : {a, b}) CHECK(*address_from_locking_bytecode(locking_bytecode(x), Network::main) == x);
    CHECK(address_from_locking_bytecode(*from_hex("6a0401020304"), Network::main).error().code ==
          Errc::not_a_standard_destination);
    CHECK(address_from_locking_bytecode(*from_hex("76a91400"), Network::main).error().code ==
          Errc::not_a_standard_destination);
    auto p2sh32 = encode_cashaddr(b);
    CHECK(p2sh32.substr(0, 13) == "bitcoincash:p");
    CHECK(*decode_address(p2sh32, Network::main) == b);
}

}
