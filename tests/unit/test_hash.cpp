#include <doctest/doctest.h>

#include <atomic>
#include <string_view>
#include <vector>
#include <thread>

#include "jpp/hash.hpp"

using namespace jpp;

namespace {
ByteView text(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
}  // namespace

TEST_SUITE("hash") {

TEST_CASE("SHA-256 and double SHA-256 (FIPS 180 examples)") {
    CHECK(to_hex(sha256(text("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(to_hex(sha256(text(""))) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(to_hex(sha256d(text(""))) == "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456");
}

TEST_CASE("RIPEMD-160 and HASH160") {
    CHECK(to_hex(ripemd160(text(""))) == "9c1185a5c5e9fc54612808977ee8f548b2258d31");
    CHECK(to_hex(ripemd160(text("abc"))) == "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
    // HASH160 of the compressed public key of private key 1: the hash in its well-known P2PKH address.
    auto pub = from_hex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    CHECK(to_hex(hash160(*pub)) == "751e76e8199196d454941c45d1b3a323f1433bd6");
}

TEST_CASE("HMAC-SHA256 (RFC 4231 test case 2)") {
    CHECK(to_hex(hmac_sha256(text("Jefe"), text("what do ya want for nothing?"))) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("display order is byte-reversed, and parsing is strict") {
    Hash256 h{};
    h[0] = 0x01;
    h[31] = 0xff;
    const std::string shown = to_display_hex(h);
    CHECK(shown.substr(0, 2) == "ff");
    CHECK(shown.substr(62, 2) == "01");
    auto back = hash256_from_display_hex(shown);
    REQUIRE(back.ok());
    CHECK(*back == h);
    CHECK(hash256_from_display_hex("00").error().code == Errc::invalid_hex);
    CHECK_FALSE(hash256_from_display_hex(std::string(64, 'g')).ok());
}

TEST_CASE("hashing is safe from several threads (one context per thread)") {
    const Hash256 expected = sha256d(text("payment"));
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i)
                if (sha256d(text("payment")) != expected) ++mismatches;
        });
    for (auto& t : threads) t.join();
    CHECK(mismatches == 0);
}

}
