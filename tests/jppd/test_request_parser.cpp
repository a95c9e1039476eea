#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

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

// RFC 9112's framing rules: what two parsers could read differently (request smuggling) is refused, not guessed.
TEST_CASE("strict framing: ambiguous requests get 400 in any split") {
    const auto status_of = [](const std::string& raw, std::size_t step) {
        RequestParser p(ParserLimits{});
        feed(p, raw, step);
        return p.state() == State::failed ? p.error_status() : p.state() == State::complete ? 200 : 0;
    };
    const std::string post = "POST /jpp/invoices/ HTTP/1.1\r\nHost: a\r\n";
    const std::vector<std::pair<const char*, std::string>> refused = {
        {"space before the colon (Content-Length)", post + "Content-Length : 2\r\n\r\n{}"},
        {"space before the colon (Transfer-Encoding)", post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"},
        {"tab before the colon", post + "Content-Length\t: 2\r\n\r\n{}"},
        {"gzip, chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
        {"gzip then chunked on two lines",
         post + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"chunked twice", post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"},
        {"chunked, gzip", post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"},
        {"identity", post + "Transfer-Encoding: identity\r\n\r\n"},
        {"Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"Content-Length and Transfer-Encoding",
         post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"Transfer-Encoding and Content-Length",
         post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"},
        {"differing Content-Lengths", post + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x"},
        {"equal Content-Lengths", post + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"},
        {"a Content-Length list", post + "Content-Length: 2, 2\r\n\r\n{}"},
        {"a signed Content-Length", post + "Content-Length: +2\r\n\r\n{}"},
        {"an empty Content-Length", post + "Content-Length: \r\n\r\n{}"},
        {"an overflowing Content-Length", post + "Content-Length: 99999999999999999999999\r\n\r\n"},
        {"a folded header line", "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n"},
        {"a folded Transfer-Encoding", post + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"},
        {"a bare LF line end", "GET / HTTP/1.1\nHost: a\n\n"},
        {"a bare LF ending the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n"},
        {"LF then CR, where llhttp would end the head", "POST / HTTP/1.1\n\rHost: a\r\nContent-Length: 2\r\n\r\n{}"},
        {"a bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n"},
        {"a NUL in a value", std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n", 36)},
        {"whitespace before the first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n"},
        {"an empty header name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"},
        {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
        {"a target that is not a path", "GET jpp/invoices HTTP/1.1\r\nHost: a\r\n\r\n"},
        {"* for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n"},
        {"an absolute URI with user info", "GET http://user@a/ HTTP/1.1\r\nHost: a\r\n\r\n"},
        {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"},
        {"a chunk size with a space", post + "Transfer-Encoding: chunked\r\n\r\n2 \r\n{}\r\n0\r\n\r\n"},
        {"a chunk longer than its size", post + "Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n"},
        {"a space in the target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"},
        {"a lowercase method", "get / HTTP/1.1\r\nHost: a\r\n\r\n"},
    };
    for (const auto& [what, raw] : refused) {
        for (std::size_t step : {1u, 3u, 1000u}) {
            const std::string name = what;
            CAPTURE(name);
            CAPTURE(step);
            CHECK(status_of(raw, step) == 400);
        }
    }
    // What stays served.
    const std::vector<std::pair<const char*, std::string>> served = {
        {"Chunked in any case, with spaces", post + "Transfer-Encoding:  Chunked \r\n\r\n2\r\n{}\r\n0\r\n\r\n"},
        {"chunk extensions and a trailer", post + "Transfer-Encoding: chunked\r\n\r\n2;x=y\r\n{}\r\n0\r\nT: v\r\n\r\n"},
        {"a Content-Length with leading zeros", post + "Content-Length: 02\r\n\r\n{}"},
        {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n"},
        {"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"},
        {"an empty value", "GET / HTTP/1.1\r\nHost: a\r\nX-A:\r\n\r\n"},
        {"a value with inner spaces", "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: a b  c\r\n\r\n"},
    };
    for (const auto& [what, raw] : served) {
        for (std::size_t step : {1u, 2u, 5u, 1000u}) {
            const std::string name = what;
            CAPTURE(name);
            CAPTURE(step);
            CHECK(status_of(raw, step) == 200);
        }
    }
    CHECK(status_of("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 4) == 505);
    CHECK(status_of("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 4) == 505);
    CHECK(status_of("GET / HTTP/0.9\r\n\r\n", 4) == 505);
    CHECK(status_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 4) == 505);
}

TEST_CASE("a value split where the bytes happen to end is one value, not a fold") {
    const std::string raw = "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: one two  three\r\n\r\n";
    for (std::size_t step = 1; step <= raw.size(); ++step) {
        RequestParser p(ParserLimits{});
        CAPTURE(step);
        CHECK(feed(p, raw, step) == raw.size());
        REQUIRE(p.state() == State::complete);
        CHECK(p.take().header("user-agent") == "one two  three");
    }
}

TEST_CASE("trailers are read past, never taken as headers") {
    RequestParser p(ParserLimits{});
    const std::string raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"
                            "Host: evil\r\nX-Late: 1\r\n\r\n";
    CHECK(feed(p, raw, 7) == raw.size());
    REQUIRE(p.state() == State::complete);
    const auto r = p.take();
    CHECK(r.body == "{}");
    CHECK(r.header_count("host") == 1);
    CHECK(r.header("host") == "a");
    CHECK(r.header("x-late").empty());
}

TEST_CASE("an absolute-form target stands for Host and is served as its path") {
    RequestParser p(ParserLimits{});
    const std::string raw = "GET HTTP://Pay.Example.com:8080/jpp/invoices/?x=1 HTTP/1.1\r\nHost: other\r\n\r\n";
    feed(p, raw, 1000);
    REQUIRE(p.state() == State::complete);
    const auto r = p.take();
    CHECK(r.target == "/jpp/invoices/?x=1");
    CHECK(r.path == "/jpp/invoices/");
    CHECK(r.header_count("host") == 1);
    CHECK(r.header("host") == "Pay.Example.com:8080");
}

TEST_CASE("bodies are held within the server's budget, and given back") {
    jppd::http::BodyBudget budget(64 * 1024);
    const ParserLimits limits{16 * 1024, 60 * 1024};
    const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 40000\r\n\r\n";
    RequestParser first(limits, &budget);
    const std::string part = head + std::string(30000, 'a');
    first.feed(part.data(), part.size());
    CHECK(first.state() == State::need_more);
    CHECK(budget.used() >= 30000);
    CHECK(budget.used() <= 40000);  // what was sent, rounded up: never more than declared

    // A second body that would pass the budget is refused with 503; a request without one is still read.
    RequestParser second(limits, &budget);
    const std::string big = head + std::string(40000, 'b');
    second.feed(big.data(), big.size());
    CHECK(second.state() == State::failed);
    CHECK(second.error_status() == 503);
    RequestParser third(limits, &budget);
    const std::string get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    third.feed(get.data(), get.size());
    CHECK(third.state() == State::complete);

    // A client waiting for 100-continue is told at once when its body could not be taken.
    RequestParser waiting(limits, &budget);
    const std::string expect = "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 40000\r\n\r\n";
    waiting.feed(expect.data(), expect.size());
    CHECK(waiting.state() == State::failed);
    CHECK(waiting.error_status() == 503);

    // The finished request carries its share to the handler; the share comes back when the request is gone.
    const std::string rest(10000, 'a');
    first.feed(rest.data(), rest.size());
    REQUIRE(first.state() == State::complete);
    {
        const auto request = first.take();
        CHECK(request.body.size() == 40000);
        CHECK(budget.used() >= 40000);
        const auto copy = request;  // copies share it
        (void)copy;
    }
    CHECK(budget.used() == 0);

    // A parser dropped mid-body (the connection closed) gives its share back too.
    {
        RequestParser dropped(limits, &budget);
        dropped.feed(part.data(), part.size());
        CHECK(budget.used() > 0);
    }
    CHECK(budget.used() == 0);
}
