#include <doctest/doctest.h>

#include <cctype>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "jpp/webhook_signature.hpp"

using namespace jpp;
using namespace std::chrono;

TEST_SUITE("webhook signature") {

namespace {

// Known answers, computed with Python's hmac and hashlib:
// hmac.new(secret.encode(), b"1761222896." + body, hashlib.sha256).hexdigest()
const std::string secret = "whsec_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string body = R"({"type":"payment_received","invoice_id":"4f1c"})";
const Timestamp at{seconds(1761222896)};
const std::string expected_v1 = "2bf74fba07aef2721750026c56b732d11434cd2eed4e300f4f522550f9a1e525";
// The same over "0001761222896." + body: t is signed as the header writes it.
const std::string padded_v1 = "b24bf50b8cfa332ad6458d11a895ad84507350bf829ebf03699fd1c545fb9c86";
// Over "0." with an empty body.
const std::string empty_body_v1 = "3a51d79d885bb3f8455fddc93b692b8a9518639f282bc925135e864ab2d25224";

const std::string header = "t=1761222896,v1=" + expected_v1;

Errc code_of(const Status& status) { return status.error().code; }

}  // namespace

TEST_CASE("webhook: signing matches the known answer") {
    CHECK(sign_webhook(secret, body, at) == header);
    CHECK(sign_webhook(secret, "", Timestamp(seconds(0))) == "t=0,v1=" + empty_body_v1);
    CHECK(verify_webhook(secret, header, body, at).ok());
    CHECK(verify_webhook(secret, "t=0001761222896,v1=" + padded_v1, body, at).ok());
    CHECK(verify_webhook(secret, "t=0,v1=" + empty_body_v1, "", Timestamp(seconds(0))).ok());
}

TEST_CASE("webhook: round trip with a new secret, over any bytes") {
    const std::string key = generate_webhook_secret();
    const std::string binary("\0\xff\r\n{}", 6);
    const Timestamp now{seconds(1'800'000'000)};
    CHECK(verify_webhook(key, sign_webhook(key, binary, now), binary, now).ok());
    CHECK(verify_webhook(key, sign_webhook(key, "", now), "", now).ok());
}

TEST_CASE("webhook: a tampered body or another secret does not verify") {
    CHECK(code_of(verify_webhook(secret, header, body + " ", at)) == Errc::signature_invalid);
    std::string flipped = body;
    flipped[10] ^= 0x01;
    CHECK(code_of(verify_webhook(secret, header, flipped, at)) == Errc::signature_invalid);
    CHECK(code_of(verify_webhook(secret, header, "", at)) == Errc::signature_invalid);
    std::string other = secret;
    other.back() = 'e';
    CHECK(code_of(verify_webhook(other, header, body, at)) == Errc::signature_invalid);
    CHECK(code_of(verify_webhook(secret.substr(6), header, body, at)) == Errc::signature_invalid);  // no prefix
    const Status empty = verify_webhook("", header, body, at);
    CHECK(code_of(empty) == Errc::signature_invalid);
    CHECK(empty.error().message == "no webhook secret to check the signature with");
    // Another t with the same v1: the time is signed too.
    CHECK(code_of(verify_webhook(secret, "t=1761222897,v1=" + expected_v1, body, at)) == Errc::signature_invalid);
}

TEST_CASE("webhook: the tolerance holds both ways, up to its bound") {
    CHECK(verify_webhook(secret, header, body, at + seconds(300)).ok());
    CHECK(verify_webhook(secret, header, body, at - seconds(300)).ok());
    const Status late = verify_webhook(secret, header, body, at + seconds(301));
    CHECK(code_of(late) == Errc::signature_expired);
    CHECK(late.error().message == "the signature's time is 301 s in the past, beyond the tolerance of 300 s");
    const Status early = verify_webhook(secret, header, body, at - seconds(301));
    CHECK(code_of(early) == Errc::signature_expired);
    CHECK(early.error().message == "the signature's time is 301 s in the future, beyond the tolerance of 300 s");

    CHECK(verify_webhook(secret, header, body, at + seconds(10), seconds(10)).ok());
    CHECK(code_of(verify_webhook(secret, header, body, at + seconds(11), seconds(10))) == Errc::signature_expired);
    CHECK(verify_webhook(secret, header, body, at, seconds(0)).ok());
    CHECK(code_of(verify_webhook(secret, header, body, at + seconds(1), seconds(0))) == Errc::signature_expired);
    CHECK(verify_webhook(secret, header, body, at, seconds(-5)).ok());  // taken as zero
    CHECK(code_of(verify_webhook(secret, header, body, at - seconds(1), seconds(-5))) == Errc::signature_expired);

    // Far clocks on either side: the distance does not overflow.
    CHECK(code_of(verify_webhook(secret, header, body, Timestamp(seconds(INT64_MIN)))) == Errc::signature_expired);
    CHECK(code_of(verify_webhook(secret, header, body, Timestamp(seconds(INT64_MAX)))) == Errc::signature_expired);
    // The largest distance, 2^63 - 1 s, is within the largest tolerance; one more is not.
    const Timestamp earliest{seconds(INT64_MIN + 1761222897)};
    CHECK(verify_webhook(secret, header, body, earliest, seconds(INT64_MAX)).ok());
    CHECK(code_of(verify_webhook(secret, header, body, earliest - seconds(1), seconds(INT64_MAX))) ==
          Errc::signature_expired);

    // A forgery is refused as invalid, whatever its time: expired means authentic but old (or early).
    CHECK(code_of(verify_webhook(secret, header, body + "x", at + seconds(10'000))) == Errc::signature_invalid);
}

TEST_CASE("webhook: malformed headers are refused") {
    const std::string v1 = "v1=" + expected_v1;
    for (const std::string& bad : std::vector<std::string>{
             std::string(),                                   // empty
             v1,                                              // no t
             "t=1761222896",                                  // no v1
             "t=1761222896,t=1761222896," + v1,               // two t
             "t=1761222896," + v1 + ",t=1761222896",          // two t, the second after v1
             "t=," + v1,                                      // empty t
             "t=-1761222896," + v1,                           // a sign
             "t=+1761222896," + v1,
             "t=1761222896.5," + v1,                          // not an integer
             "t=0x68f9d5f0," + v1,                            // not decimal
             "t=17612 22896," + v1,
             "t=1234567890123456789," + v1,                   // 19 digits
             "t=" + std::string(4000, '9') + "," + v1,        // huge
             "t=1761222896,v1=",                              // empty v1
             "t=1761222896,v1=" + expected_v1.substr(2),      // short
             "t=1761222896,v1=" + expected_v1 + "00",         // long
             "t=1761222896,v1=" + std::string(64, 'g'),       // not hex
             "t=1761222896,v1=0x" + expected_v1.substr(2),
             "t=1761222896,," + v1,                           // an empty item
             "t=1761222896," + v1 + ",",                      // a trailing comma
             "t=1761222896;" + v1,                            // another separator
             "t=1761222896,=x," + v1,                         // no key
             "t=1761222896,v1," + v1,                         // no '='
             "T=1761222896," + v1,                            // keys are case-sensitive: no t
         })
        CHECK_MESSAGE(code_of(verify_webhook(secret, bad, body, at)) == Errc::signature_invalid, bad);

    // Too long: refused before any work, even when a matching v1 is in it.
    std::string padded = header + ",x=" + std::string(max_webhook_signature_header - header.size() - 3, 'a');
    CHECK(padded.size() == max_webhook_signature_header);
    CHECK(verify_webhook(secret, padded, body, at).ok());
    padded += 'a';
    const Status long_header = verify_webhook(secret, padded, body, at);
    CHECK(code_of(long_header) == Errc::signature_invalid);
    CHECK(long_header.error().message == "the signature header is longer than 4096 bytes");

    // 18 digits are read.
    const Timestamp far{seconds(999'999'999'999'999'999)};
    const std::string far_header = sign_webhook(secret, body, far);
    CHECK(far_header.starts_with("t=999999999999999999,v1="));
    CHECK(verify_webhook(secret, far_header, body, far).ok());
    CHECK(code_of(verify_webhook(secret, far_header, body, at)) == Errc::signature_expired);
}

TEST_CASE("webhook: several v1, unknown keys and spaces") {
    const std::string wrong = std::string(64, '0');
    CHECK(verify_webhook(secret, "t=1761222896,v1=" + wrong + ",v1=" + expected_v1, body, at).ok());
    CHECK(verify_webhook(secret, "v1=" + expected_v1 + ",v1=" + wrong + ",t=1761222896", body, at).ok());
    CHECK(code_of(verify_webhook(secret, "t=1761222896,v1=" + wrong + ",v1=" + wrong, body, at)) ==
          Errc::signature_invalid);
    // Upper-case hex is the same HMAC.
    std::string upper = expected_v1;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(verify_webhook(secret, "t=1761222896,v1=" + upper, body, at).ok());
    // Unknown keys are ignored, whatever their value; a v0 is not a v1.
    CHECK(verify_webhook(secret, "t=1761222896,v0=zz,v2=,scheme=a=b,v1=" + expected_v1, body, at).ok());
    CHECK(code_of(verify_webhook(secret, "t=1761222896,v0=" + expected_v1, body, at)) == Errc::signature_invalid);
    // Spaces or tabs around items, as when a proxy joins header lines.
    CHECK(verify_webhook(secret, " t=1761222896 ,\tv1=" + expected_v1 + " ", body, at).ok());
}

TEST_CASE("webhook: secrets are whsec_ and 64 lower-case hex digits, and differ") {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string made = generate_webhook_secret();
        CHECK(made.size() == 6 + 64);
        CHECK(made.starts_with("whsec_"));
        CHECK(made.find_first_not_of("0123456789abcdef", 6) == std::string::npos);
        CHECK(seen.insert(made).second);
    }
    // The key is the whole secret, prefix included.
    const std::string made = *seen.begin();
    CHECK(code_of(verify_webhook(made.substr(6), sign_webhook(made, body, at), body, at)) ==
          Errc::signature_invalid);
}

}  // TEST_SUITE
