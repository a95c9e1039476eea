// A tiny wallet for the integration tests, over libjpp's signer (through the C ABI, as a host would use it):
//   jpp_test_wallet address <wif> <main|test|regtest> [token]  the key's P2PKH CashAddr (token-aware: z...)
//   jpp_test_wallet sign <wif> <network> <coins> <outputs>    a signed transaction's hex (JSON as in jpp.h)
#include <jpp.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "jpp/address.hpp"
#include "jpp/signer.hpp"

int main(int argc, char** argv) {
    const auto usage = [] {
        std::fprintf(stderr, "usage: jpp_test_wallet address <wif> <network> [token] | sign <wif> <network> <coins> <outputs>\n");
        return 2;
    };
    if (argc < 4) return usage();
    const std::string_view command = argv[1];
    const auto network = jpp::network_from_name(argv[3]);
    if (!network) return usage();
    if (command == "address" && (argc == 4 || (argc == 5 && std::string_view(argv[4]) == "token"))) {
        auto key = jpp::PrivateKey::from_wif(argv[2]);
        if (!key) {
            std::fprintf(stderr, "%s\n", key.error().describe().c_str());
            return 1;
        }
        const auto hash = key->public_key_hash();
        const jpp::Address address{*network, jpp::AddressKind::p2pkh, jpp::Bytes(hash.begin(), hash.end()),
                                   argc == 5};
        std::printf("%s\n", jpp::encode_cashaddr(address).c_str());
        return 0;
    }
    if (command == "sign" && argc == 6) {
        char* hex = nullptr;
        if (jpp_sign_p2pkh(argv[2], argv[4], argv[5], static_cast<int>(*network), &hex) != 0) {
            std::fprintf(stderr, "%s\n", jpp_last_error());
            return 1;
        }
        std::printf("%s\n", hex);
        jpp_string_free(hex);
        return 0;
    }
    return usage();
}
