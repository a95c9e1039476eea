#include "jpp/address.hpp"

#include <algorithm>

#include "jpp/base58.hpp"
#include "jpp/cashaddr.hpp"

namespace jpp {
namespace {

// Legacy base58check version bytes; testnet and regtest share theirs.
constexpr std::uint8_t legacy_p2pkh_main = 0x00, legacy_p2sh_main = 0x05;
constexpr std::uint8_t legacy_p2pkh_test = 0x6f, legacy_p2sh_test = 0xc4;

constexpr std::uint8_t op_dup = 0x76, op_hash160 = 0xa9, op_hash256 = 0xaa, op_equal = 0x87,
                       op_equalverify = 0x88, op_checksig = 0xac;

std::optional<Network> network_of_prefix(std::string_view prefix) {
    for (const Network n : {Network::main, Network::test, Network::regtest})
        if (cashaddr_prefix(n) == prefix) return n;
    return std::nullopt;
}

Result<Address> from_cashaddr(std::string_view text, Network network) {
    auto content = cashaddr_decode(text, cashaddr_prefix(network));
    if (!content) return std::move(content).error();
    const auto owner = network_of_prefix(content->prefix);
    if (owner != network)
        return make_error(Errc::address_wrong_network,
                          "address is for " + (owner ? std::string(network_name(*owner)) : "prefix '" + content->prefix + "'") +
                              ", not " + std::string(network_name(network)));
    Address address;
    address.network = network;
    address.token_aware = content->type == 2 || content->type == 3;
    const bool script_hash = content->type == 1 || content->type == 3;
    if (content->type > 3)
        return make_error(Errc::address_unsupported_type,
                          "CashAddr type " + std::to_string(content->type) + " is not a payment destination");
    if (!script_hash && content->hash.size() == 20) address.kind = AddressKind::p2pkh;
    else if (script_hash && content->hash.size() == 20) address.kind = AddressKind::p2sh20;
    else if (script_hash && content->hash.size() == 32) address.kind = AddressKind::p2sh32;
    else
        return make_error(Errc::address_unsupported_type,
                          std::string(script_hash ? "P2SH" : "P2PKH") + " with a " +
                              std::to_string(content->hash.size()) + "-byte hash is not a payment destination");
    address.hash = std::move(content->hash);
    return address;
}

Result<Address> from_legacy(std::string_view text, Network network) {
    auto payload = base58check_decode(text);
    if (!payload) return std::move(payload).error();
    if (payload->empty()) return make_error(Errc::invalid_address, "base58check payload is empty");
    const std::uint8_t version = (*payload)[0];
    const std::size_t size = payload->size() - 1;
    const bool main = version == legacy_p2pkh_main || version == legacy_p2sh_main;
    const bool test = version == legacy_p2pkh_test || version == legacy_p2sh_test;
    if (!main && !test)
        return make_error(Errc::invalid_address, "base58 version byte " + std::to_string(version) +
                                                     " is not a Bitcoin Cash address");
    const bool p2pkh = version == legacy_p2pkh_main || version == legacy_p2pkh_test;
    Address address;
    address.network = network;
    if (p2pkh && size == 20) address.kind = AddressKind::p2pkh;
    else if (!p2pkh && size == 20) address.kind = AddressKind::p2sh20;
    else if (!p2pkh && size == 32) address.kind = AddressKind::p2sh32;
    else
        return make_error(Errc::invalid_address, "legacy address holds a " + std::to_string(size) + "-byte hash");
    if (main != (network == Network::main))
        return make_error(Errc::address_wrong_network, std::string("legacy address is for ") +
                                                           (main ? "main" : "test/regtest") + ", not " +
                                                           std::string(network_name(network)));
    address.hash.assign(payload->begin() + 1, payload->end());
    return address;
}

}  // namespace

std::string_view network_name(Network network) noexcept {
    switch (network) {
    case Network::main: return "main";
    case Network::test: return "test";
    case Network::regtest: return "regtest";
    }
    return "unknown";
}

std::optional<Network> network_from_name(std::string_view name) noexcept {
    for (const Network n : {Network::main, Network::test, Network::regtest})
        if (network_name(n) == name) return n;
    return std::nullopt;
}

std::string_view cashaddr_prefix(Network network) noexcept {
    switch (network) {
    case Network::main: return "bitcoincash";
    case Network::test: return "bchtest";
    case Network::regtest: return "bchreg";
    }
    return "";
}

Result<Address> decode_address(std::string_view text, Network network) {
    if (text.empty()) return make_error(Errc::invalid_address, "address is empty");
    if (text.find(':') != std::string_view::npos) return from_cashaddr(text, network);
    // No prefix: a legacy address or a bare CashAddr payload. The two alphabets overlap, so try legacy first
    // (its checksum is decisive), then CashAddr, and report the error of the form the text looks like.
    auto legacy = from_legacy(text, network);
    if (legacy || legacy.error().code == Errc::address_wrong_network) return legacy;
    const bool decoded_base58check = legacy.error().message.find("version byte") != std::string::npos ||
                                     legacy.error().message.find("legacy address holds") != std::string::npos;
    if (decoded_base58check) return legacy;  // a valid base58check string that is not an address (a WIF key ...)
    auto cash = from_cashaddr(text, network);
    if (cash) return cash;
    const bool cashaddr_alphabet = text.find_first_not_of("qpzry9x8gf2tvdw0s3jn54khce6mua7lQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L") ==
                                   std::string_view::npos;
    if (cashaddr_alphabet) return cash;
    if (legacy.error().code == Errc::address_checksum) return legacy;
    return make_error(Errc::invalid_address, "not a CashAddr or legacy address");
}

std::string encode_cashaddr(const Address& address) {
    const bool script_hash = address.kind != AddressKind::p2pkh;
    const auto type = static_cast<std::uint8_t>((address.token_aware ? 2 : 0) + (script_hash ? 1 : 0));
    auto text = cashaddr_encode(cashaddr_prefix(address.network), type, address.hash);
    return text ? *text : std::string();
}

std::string encode_legacy_address(const Address& address) {
    const bool main = address.network == Network::main;
    const bool p2pkh = address.kind == AddressKind::p2pkh;
    Bytes payload{p2pkh ? (main ? legacy_p2pkh_main : legacy_p2pkh_test) : (main ? legacy_p2sh_main : legacy_p2sh_test)};
    payload.insert(payload.end(), address.hash.begin(), address.hash.end());
    return base58check_encode(payload);
}

Bytes locking_bytecode(const Address& address) {
    Bytes script;
    switch (address.kind) {
    case AddressKind::p2pkh: script = {op_dup, op_hash160, 0x14}; break;
    case AddressKind::p2sh20: script = {op_hash160, 0x14}; break;
    case AddressKind::p2sh32: script = {op_hash256, 0x20}; break;
    }
    script.insert(script.end(), address.hash.begin(), address.hash.end());
    if (address.kind == AddressKind::p2pkh) script.insert(script.end(), {op_equalverify, op_checksig});
    else script.push_back(op_equal);
    return script;
}

Result<Address> address_from_locking_bytecode(ByteView b, Network network, bool token_aware) {
    Address address;
    address.network = network;
    address.token_aware = token_aware;
    if (b.size() == 25 && b[0] == op_dup && b[1] == op_hash160 && b[2] == 0x14 && b[23] == op_equalverify &&
        b[24] == op_checksig) {
        address.kind = AddressKind::p2pkh;
        address.hash.assign(b.begin() + 3, b.begin() + 23);
    } else if (b.size() == 23 && b[0] == op_hash160 && b[1] == 0x14 && b[22] == op_equal) {
        address.kind = AddressKind::p2sh20;
        address.hash.assign(b.begin() + 2, b.begin() + 22);
    } else if (b.size() == 35 && b[0] == op_hash256 && b[1] == 0x20 && b[34] == op_equal) {
        address.kind = AddressKind::p2sh32;
        address.hash.assign(b.begin() + 2, b.begin() + 34);
    } else {
        return make_error(Errc::not_a_standard_destination,
                          "locking bytecode is not P2PKH, P2SH20 or P2SH32: " + to_hex(b.first(std::min<std::size_t>(b.size(), 40))));
    }
    return address;
}

}  // namespace jpp
