// Signatures on JSON Payment Protocol responses, the way BitPay's clients check them: a single SHA-256 of the
// exact body bytes, signed with secp256k1 ECDSA (r || s, low-S), and the signer named by the P2PKH address of its
// compressed public key. bitcore-wallet-client refuses unsigned responses; Electron Cash checks what it gets.
#pragma once

#include <jpp/error.hpp>
#include <jpp/signer.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"

namespace jppd::paypro {

class ResponseSigner {
public:
    explicit ResponseSigner(jpp::PrivateKey key);

    // The key from a file holding a WIF key or 64 hex digits (surrounding whitespace ignored).
    static jpp::Result<ResponseSigner> load(const std::string& path);

    // x-identity: Base58Check of 0x00 || HASH160(compressed public key), a mainnet P2PKH address on every network,
    // as the clients' trusted-key lists hold it.
    const std::string& identity() const noexcept { return identity_; }
    const std::string& public_key_hex() const noexcept { return public_key_hex_; }

    // digest, x-identity, x-signature-type, signature and x-signature (the spec's name; clients read `signature`)
    // for this body.
    std::vector<std::pair<std::string, std::string>> headers_for(std::string_view body) const;
    void sign(http::Response& response) const;

private:
    jpp::PrivateKey key_;
    std::string identity_;
    std::string public_key_hex_;
};

}  // namespace jppd::paypro
