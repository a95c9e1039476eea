#include "paypro/response_signer.hpp"

#include <jpp/base58.hpp>
#include <jpp/bytes.hpp>
#include <jpp/hash.hpp>

#include <openssl/crypto.h>

#include <fstream>
#include <sstream>

namespace jppd::paypro {

ResponseSigner::ResponseSigner(jpp::PrivateKey key) : key_(std::move(key)) {
    const auto pubkey = key_.public_key();
    const auto hash = jpp::hash160(pubkey);
    jpp::Bytes payload{0x00};
    payload.insert(payload.end(), hash.begin(), hash.end());
    identity_ = jpp::base58check_encode(payload);
    public_key_hex_ = jpp::to_hex(pubkey);
}

jpp::Result<ResponseSigner> ResponseSigner::load(const std::string& path) {
    std::ifstream file(path);
    if (!file) return jpp::make_error(jpp::Errc::invalid_argument, "cannot read the signing key file " + path);
    std::stringstream content;
    content << file.rdbuf();
    std::string text = content.str();
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    const std::string key_text = first == std::string::npos ? "" : text.substr(first, last - first + 1);
    OPENSSL_cleanse(text.data(), text.size());

    jpp::Result<jpp::PrivateKey> key = jpp::make_error(jpp::Errc::invalid_private_key, "");
    if (key_text.size() == 64) {
        auto bytes = jpp::from_hex(key_text);
        key = bytes ? jpp::PrivateKey::from_bytes(*bytes)
                    : jpp::Result<jpp::PrivateKey>(jpp::make_error(jpp::Errc::invalid_private_key, "not hex"));
        if (bytes) OPENSSL_cleanse(bytes->data(), bytes->size());
    } else {
        key = jpp::PrivateKey::from_wif(key_text);
    }
    if (!key)
        return jpp::make_error(jpp::Errc::invalid_private_key,
                               "the signing key file " + path + " holds neither a WIF key nor 64 hex digits (" +
                                   key.error().message + ")");
    return ResponseSigner(std::move(*key));
}

std::vector<std::pair<std::string, std::string>> ResponseSigner::headers_for(std::string_view body) const {
    const jpp::Hash256 digest =
        jpp::sha256(jpp::ByteView(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
    const std::string signature = jpp::to_hex(key_.sign_compact(digest));
    return {{"digest", "SHA-256=" + jpp::to_hex(digest)},
            {"x-identity", identity_},
            {"x-signature-type", "ecc"},
            {"signature", signature},
            {"x-signature", signature}};
}

void ResponseSigner::sign(http::Response& response) const {
    for (auto& [name, value] : headers_for(response.body)) response.with_header(std::move(name), std::move(value));
}

}  // namespace jppd::paypro
