#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ws/frame.hpp"
#include "ws/frame_reader.hpp"
#include "ws/handshake.hpp"
#include "ws/utf8.hpp"

using jppd::ws::FrameReader;
using jppd::ws::Opcode;
using State = FrameReader::State;

namespace {

// A client frame: masked with a fixed key, the length in the form given (7, 16 or 64 bits).
std::string client_frame(std::uint8_t first_byte, const std::string& payload, int length_bits = 0) {
    std::string out(1, static_cast<char>(first_byte));
    const std::uint64_t n = payload.size();
    if (length_bits == 0) length_bits = n < 126 ? 7 : n <= 0xFFFF ? 16 : 64;
    if (length_bits == 7) {
        out += static_cast<char>(0x80 | n);
    } else if (length_bits == 16) {
        out += static_cast<char>(0x80 | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
    }
    const std::uint8_t mask[4] = {0x37, 0xFA, 0x21, 0x3D};
    for (const std::uint8_t m : mask) out += static_cast<char>(m);
    for (std::size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ mask[i % 4]);
    return out;
}

std::string text(const std::string& s, bool fin = true) { return client_frame(fin ? 0x81 : 0x01, s); }
std::string more(const std::string& s, bool fin = true) { return client_frame(fin ? 0x80 : 0x00, s); }

struct Outcome {
    std::vector<std::pair<Opcode, std::string>> controls;
    State state = State::need_more;
    std::uint16_t error = 0;
    std::uint64_t messages = 0;
};

// Feeds the stream in pieces of `step`, answering every control frame, until it is used up or invalid.
Outcome read_all(const std::string& stream, std::size_t step, std::uint64_t max_message = 1 << 20) {
    FrameReader reader(max_message);
    Outcome out;
    const auto* data = reinterpret_cast<const std::uint8_t*>(stream.data());
    std::size_t at = 0;
    while (reader.state() != State::failed) {
        if (reader.state() == State::control) {
            out.controls.emplace_back(reader.control_opcode(), std::string(reader.control_payload()));
            reader.next();
            continue;
        }
        if (at == stream.size()) break;
        const std::size_t n = std::min(step, stream.size() - at);
        at += reader.feed(data + at, n);
    }
    out.state = reader.state();
    out.error = reader.error_code();
    out.messages = reader.messages();
    return out;
}

}  // namespace

TEST_CASE("Sec-WebSocket-Accept is computed as RFC 6455 shows") {
    CHECK(jppd::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("handshake checks") {
    jppd::http::Request r;
    r.method = "GET";
    r.headers = {{"host", "x"}, {"upgrade", "WebSocket"}, {"connection", "keep-alive, Upgrade"},
                 {"sec-websocket-version", "13"}, {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    CHECK_FALSE(jppd::ws::check_handshake(r).has_value());
    const auto accepted = jppd::ws::accept_handshake(r);
    CHECK(accepted.status == 101);

    auto with = [&](const char* name, const char* value) {
        auto copy = r;
        for (auto& [k, v] : copy.headers)
            if (k == name) v = value;
        const auto refused = jppd::ws::check_handshake(copy);
        return refused ? refused->status : 0;
    };
    CHECK(with("upgrade", "h2c") == 426);
    CHECK(with("connection", "keep-alive") == 426);
    CHECK(with("sec-websocket-version", "8") == 426);
    CHECK(with("sec-websocket-key", "short") == 400);
    CHECK(with("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZR==") == 400);  // 17th byte's bits set
    CHECK(with("host", "") == 400);
}

TEST_CASE("server frames: lengths in the smallest form, close codes and reasons") {
    CHECK(jppd::ws::encode_frame(Opcode::text, "hi") == std::string("\x81\x02hi", 4));
    const std::string mid = jppd::ws::encode_frame(Opcode::text, std::string(300, 'a'));
    CHECK(mid.substr(0, 4) == std::string("\x81\x7e\x01\x2c", 4));
    const std::string big = jppd::ws::encode_frame(Opcode::binary, std::string(70000, 'a'));
    CHECK(big.substr(0, 10) == std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
    CHECK(jppd::ws::encode_close(1001, "bye") == std::string("\x88\x05\x03\xe9" "bye", 7));
    // A long reason is cut to 123 bytes without splitting a character.
    std::string reason(122, 'a');
    reason += "\xC3\xA9";  // two bytes at 122..123
    const std::string close = jppd::ws::encode_close(1000, reason);
    CHECK(close.size() == 2 + 2 + 122);
}

TEST_CASE("frames and control frames arrive intact in any split") {
    const std::string stream = text("hello") + client_frame(0x89, "ping!") + text("frag", false) +
                               client_frame(0x8A, "") + more("men", false) + more("ted") +
                               client_frame(0x82, std::string(70000, 'b')) + client_frame(0x88, "\x03\xe8" "done");
    for (std::size_t step : {1u, 3u, 14u, 4096u, 1000000u}) {
        CAPTURE(step);
        const Outcome o = read_all(stream, step);
        CHECK(o.state != State::failed);
        CHECK(o.messages == 3);
        REQUIRE(o.controls.size() == 3);
        CHECK(o.controls[0] == std::make_pair(Opcode::ping, std::string("ping!")));
        CHECK(o.controls[1].first == Opcode::pong);
        CHECK(o.controls[2] == std::make_pair(Opcode::close, std::string("\x03\xe8" "done")));
    }
}

TEST_CASE("a close frame's code is read, or 1005 when absent") {
    FrameReader reader(1000);
    const std::string f = client_frame(0x88, "\x0f\xa0");  // 4000
    reader.feed(reinterpret_cast<const std::uint8_t*>(f.data()), f.size());
    REQUIRE(reader.state() == State::control);
    CHECK(reader.close_code_received() == 4000);
    reader.next();
    const std::string empty = client_frame(0x88, "");
    reader.feed(reinterpret_cast<const std::uint8_t*>(empty.data()), empty.size());
    REQUIRE(reader.state() == State::control);
    CHECK(reader.close_code_received() == 1005);
}

TEST_CASE("protocol violations fail with the code RFC 6455 prescribes") {
    const auto error_of = [](const std::string& stream, std::uint64_t max = 1 << 20) {
        for (std::size_t step : {1u, 5u, 100000u}) {
            const Outcome o = read_all(stream, step, max);
            REQUIRE(o.state == State::failed);
            if (step == 1) return o.error;
        }
        return std::uint16_t{0};
    };
    const std::string unmasked = "\x81\x02hi";
    CHECK(error_of(unmasked) == 1002);
    CHECK(error_of(client_frame(0xC1, "x")) == 1002);                 // RSV1 without an extension
    CHECK(error_of(client_frame(0x83, "x")) == 1002);                 // reserved data opcode
    CHECK(error_of(client_frame(0x8B, "x")) == 1002);                 // reserved control opcode
    CHECK(error_of(client_frame(0x09, "x")) == 1002);                 // fragmented ping
    CHECK(error_of(client_frame(0x89, std::string(126, 'p'))) == 1002);  // control frame too long
    CHECK(error_of(more("x")) == 1002);                                // continuation with no message
    CHECK(error_of(text("a", false) + text("b")) == 1002);            // new message inside a fragmented one
    CHECK(error_of(client_frame(0x81, "x", 16)) == 1002);             // 16-bit length for 1 byte
    CHECK(error_of(client_frame(0x82, std::string(300, 'x'), 64)) == 1002);  // 64-bit length for 300
    CHECK(error_of(client_frame(0x88, "\x03")) == 1002);              // 1-byte close payload
    CHECK(error_of(client_frame(0x88, "\x03\xed")) == 1002);          // 1005 may not be sent
    CHECK(error_of(client_frame(0x88, "\x03\xe8\xff")) == 1007);      // close reason not UTF-8
    CHECK(error_of(text("\xff")) == 1007);
    CHECK(error_of(text("\xC3")) == 1007);                            // ends inside a character
    CHECK(error_of(text("caf\xC3", false) + more("\xA9" "\xED\xA0\x80")) == 1007);  // surrogate, across frames
    CHECK(error_of(text(std::string(200, 'a')), 100) == 1009);
    CHECK(error_of(text(std::string(60, 'a'), false) + more(std::string(60, 'a')), 100) == 1009);
    // A 64-bit length with the top bit set.
    const std::string huge("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00" "abcd", 14);
    CHECK(error_of(huge) == 1002);
}

TEST_CASE("a character split across frames is valid") {
    const Outcome o = read_all(text("caf\xC3", false) + more("\xA9!"), 1);
    CHECK(o.state == State::need_more);
    CHECK(o.messages == 1);
}

TEST_CASE("UTF-8 validation, fed in pieces") {
    const auto valid = [](const std::string& s) {
        jppd::ws::Utf8Validator v;
        for (const char c : s) {
            const auto b = static_cast<std::uint8_t>(c);
            if (!v.feed(&b, 1)) return false;
        }
        return v.complete();
    };
    CHECK(valid(""));
    CHECK(valid("plain ascii"));
    CHECK(valid("\xC2\x80"));
    CHECK(valid("\xE2\x82\xAC"));            // euro sign
    CHECK(valid("\xED\x9F\xBF"));            // U+D7FF, just below the surrogates
    CHECK(valid("\xF0\x90\x80\x80"));        // U+10000
    CHECK(valid("\xF4\x8F\xBF\xBF"));        // U+10FFFF
    CHECK_FALSE(valid("\x80"));
    CHECK_FALSE(valid("\xC0\xAF"));          // overlong "/"
    CHECK_FALSE(valid("\xE0\x80\xAF"));      // overlong
    CHECK_FALSE(valid("\xED\xA0\x80"));      // U+D800
    CHECK_FALSE(valid("\xF0\x80\x80\x80"));  // overlong
    CHECK_FALSE(valid("\xF4\x90\x80\x80"));  // above U+10FFFF
    CHECK_FALSE(valid("\xF5\x80\x80\x80"));
    CHECK_FALSE(valid("\xE2\x82"));          // incomplete
}
