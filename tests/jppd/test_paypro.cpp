#include <doctest/doctest.h>

#include <jpp/bytes.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

#include "paypro/response_signer.hpp"

using jppd::paypro::ResponseSigner;

namespace {

std::map<std::string, std::string> as_map(const std::vector<std::pair<std::string, std::string>>& headers) {
    return {headers.begin(), headers.end()};
}

ResponseSigner signer_from_hex(std::string_view hex) {
    auto secret = jpp::from_hex(hex);
    REQUIRE(secret);
    auto key = jpp::PrivateKey::from_bytes(*secret);
    REQUIRE(key);
    return ResponseSigner(std::move(*key));
}

}  // namespace

TEST_CASE("JSON Payment Protocol signature: the deterministic vector, byte for byte") {
    // Electron Cash's test key; RFC 6979 nonces, low-S, r || s as 128 hex digits over one SHA-256 of the body.
    const ResponseSigner signer = signer_from_hex("5d649f89db31b5ef21330898a7a70a523527a8cb2d542508ea0c065b640da7df");
    CHECK(signer.public_key_hex() == "02c6467b7e621144105ed3e4835b0b4ab7e35266a2ae1c4f8baa19e9ca93452997");
    CHECK(signer.identity() == "17azqT8T16coRmWKYFj3UjzJuxiYrYFRBR");
    const std::string body =
        R"({"time":"2024-01-01T00:00:00.000Z","expires":"2024-01-01T00:15:00.000Z","memo":"test","paymentUrl":)"
        R"("https://example.com/i/abc","paymentId":"abc","chain":"BCH","network":"main","instructions":[{"type":)"
        R"("transaction","requiredFeeRate":1,"outputs":[{"amount":1000,"address":)"
        R"("qrs437c4ezyqxl7ugraezva5c8pudzrsvsj8cmfkh5"}]}]})";
    auto headers = as_map(signer.headers_for(body));
    CHECK(headers["digest"] == "SHA-256=ce440ec8c9f685f396c012f97a02c67e45464d384062337a699c73c7e089ea7e");
    CHECK(headers["signature"] ==
          "fd1fb63346a7cf26561557a8b821172a5edee946b96df29a7dae16e041b050621e50fd44d7a7a565d161c0b1fdfaad04d4773241"
          "e24f58d059b771245291fe75");
    CHECK(headers["x-signature"] == headers["signature"]);
    CHECK(headers["x-signature-type"] == "ecc");
    CHECK(headers["x-identity"] == "17azqT8T16coRmWKYFj3UjzJuxiYrYFRBR");
    CHECK(headers.size() == 5);

    jppd::http::Response response;
    response.body = body;
    signer.sign(response);
    CHECK(as_map(response.headers) == headers);
}

TEST_CASE("JSON Payment Protocol digest: the raw UTF-8 bytes of a real BitPay body") {
    // BitPay's own response (from bitcore's test data): the digest covers the bytes as sent, "®" as C2 AE.
    const ResponseSigner signer = signer_from_hex("5d649f89db31b5ef21330898a7a70a523527a8cb2d542508ea0c065b640da7df");
    const std::string body =
        "{\"time\":\"2019-11-05T17:05:31.791Z\",\"expires\":\"2019-11-05T17:20:31.791Z\",\"memo\":\"Payment request for "
        "BitPay invoice XM8XbreRs6cnKkR3yYT6qQ for merchant BitPay Visa\xC2\xAE Load (USD-USA)\",\"paymentUrl\":"
        "\"https://bitpay.com/i/XM8XbreRs6cnKkR3yYT6qQ\",\"paymentId\":\"XM8XbreRs6cnKkR3yYT6qQ\",\"chain\":\"BCH\","
        "\"network\":\"main\",\"instructions\":[{\"type\":\"transaction\",\"requiredFeeRate\":1,\"outputs\":[{\"amount\":"
        "337900,\"address\":\"qpymzlw4dfgawe2hy6xalj0qnzwedrqfvg96jl5ev6\"}]}]}";
    CHECK(as_map(signer.headers_for(body))["digest"] ==
          "SHA-256=512b6acba3fe082ff6486c7d4934fabee3e34d6466501c97351987326f107547");
}

TEST_CASE("the signing key file: WIF or hex, whitespace around it ignored; anything else refused") {
    const std::string dir = std::filesystem::temp_directory_path().string();
    const auto write = [&](const std::string& name, const std::string& content) {
        const std::string path = dir + "/jppd-test-key-" + name;
        FILE* f = std::fopen(path.c_str(), "w");
        REQUIRE(f);
        std::fputs(content.c_str(), f);
        std::fclose(f);
        return path;
    };
    auto hex = ResponseSigner::load(write("hex", "  5d649f89db31b5ef21330898a7a70a523527a8cb2d542508ea0c065b640da7df\n"));
    REQUIRE(hex);
    CHECK(hex->identity() == "17azqT8T16coRmWKYFj3UjzJuxiYrYFRBR");
    auto wif = ResponseSigner::load(write("wif", "KzMFjMC2MPadjvX5Cd7b8AKKjjpBSoRKUTpoAtN6B3J9ezWYyXS6\n"));
    REQUIRE(wif);
    CHECK(wif->identity() == "17azqT8T16coRmWKYFj3UjzJuxiYrYFRBR");
    CHECK_FALSE(ResponseSigner::load(write("bad", "not a key")));
    CHECK_FALSE(ResponseSigner::load(write("zero", std::string(64, '0'))));
    CHECK_FALSE(ResponseSigner::load(dir + "/jppd-test-key-does-not-exist"));
}
