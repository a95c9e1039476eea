#include <doctest/doctest.h>

#include <string>

#include "http/request_parser.hpp"

using jppd::http::ParserLimits;
using jppd::http::RequestParser;
using State = RequestParser::State;

namespace {

// Feeds `bytes` in pieces of `step` and returns how many were consumed in all.
std::size_t feed(RequestParser& p, const std::string& bytes, std::size_t step) {
    std::size_t used = 0;
    while (used < bytes.size() && p.state() == State::need_more) {
        const std::size_t n = std::min(step, bytes.size() - used);
        const std::size_t took = p.feed(bytes.data() + used, n);
        used += took;
        if (took < n) break;
    }
    return used;
}

}  // namespace

TEST_CASE("a request arrives in any split, headers normalized") {
    const std::string raw =
        "POST /jpp/invoices/abc/pay?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type:  Application/JSON; charset=utf-8 \r\n"
        "X-Multi: one\r\nX-Multi: two\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
    for (std::size_t step : {1u, 2u, 7u, 1000u}) {
        RequestParser p(ParserLimits{});
        CHECK(feed(p, raw, step) == raw.size());
        REQUIRE(p.state() == State::complete);
        const auto r = p.take();
        CHECK(r.method == "POST");
        CHECK(r.target == "/jpp/invoices/abc/pay?x=1");
        CHECK(r.path == "/jpp/invoices/abc/pay");
        CHECK(r.header("host") == "a");
        CHECK(r.media_type() == "application/json");
        CHECK(r.header("x-multi") == "one");
        CHECK(r.body == "{\"a\":1}");
        CHECK(r.keep_alive);
        CHECK(p.state() == State::need_more);  // ready for the next one
        CHECK_FALSE(p.started());
    }
}

TEST_CASE("pipelined requests are taken one at a time") {
    const std::string one = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string two = "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const std::string both = one + two;
    RequestParser p(ParserLimits{});
    const std::size_t used = p.feed(both.data(), both.size());
    CHECK(used == one.size());
    REQUIRE(p.state() == State::complete);
    CHECK(p.take().path == "/a");
    CHECK(p.feed(both.data() + used, both.size() - used) == two.size());
    REQUIRE(p.state() == State::complete);
    const auto second = p.take();
    CHECK(second.path == "/b");
    CHECK_FALSE(second.keep_alive);
}

TEST_CASE("chunked bodies are reassembled; HTTP/1.0 closes by default") {
    RequestParser p(ParserLimits{});
    const std::string raw = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    feed(p, raw, 3);
    REQUIRE(p.state() == State::complete);
    CHECK(p.take().body == "abcde");

    const std::string old = "GET / HTTP/1.0\r\n\r\n";
    p.feed(old.data(), old.size());
    REQUIRE(p.state() == State::complete);
    CHECK_FALSE(p.take().keep_alive);
}

TEST_CASE("limits and malformed input fail with the right status") {
    const ParserLimits small{256, 10};
    const auto status_of = [&](const std::string& raw) {
        RequestParser p(small);
        feed(p, raw, 5);
        return p.state() == State::failed ? p.error_status() : 0;
    };
    CHECK(status_of("GET /" + std::string(300, 'a') + " HTTP/1.1\r\n\r\n") == 431);
    CHECK(status_of("GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n") == 431);
    CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n") == 413);  // refused before any body
    CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + std::string(32, 'a')) == 413);
    CHECK(status_of("GET / HTTP/2.0\r\n\r\n") == 505);
    CHECK(status_of("BREW / HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nExpect: something\r\n\r\n") == 417);
    CHECK(status_of("\x16\x03\x01garbage") == 400);
}

TEST_CASE("a failed request is never also complete") {
    RequestParser p(ParserLimits{256, 10});
    const std::string raw = "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world";
    p.feed(raw.data(), raw.size());
    CHECK(p.state() == State::failed);
}

TEST_CASE("100-continue is wanted only until the body starts") {
    RequestParser p(ParserLimits{});
    const std::string head = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    p.feed(head.data(), head.size());
    CHECK(p.wants_continue());
    p.feed("{", 1);
    CHECK_FALSE(p.wants_continue());
    p.feed("}", 1);
    CHECK(p.state() == State::complete);
}
