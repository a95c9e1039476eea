// Durable writes over HTTP at many concurrent clients: C keep-alive connections create invoices as fast as jppd
// acknowledges them, then pay them (one signed transaction each, signed before the clock starts); beside them, the
// disk's single-commit floor measured in the directory of jppd's database in the same run. Every acknowledgement
// counted is a 2xx; anything else stops the benchmark.
//
// usage: jpp_bench_http_writes --port P --floor-dir DIR [--connections C] [--seconds S]
//   prints "create invoice", "pay invoice" and "disk commit floor" lines (rate /s, latency p50 and p99 ms)
#include <asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "client_support.hpp"
#include "disk_floor.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

struct Options {
    unsigned short port = 0;
    std::string floor_dir;
    std::size_t connections = 64;
    double seconds = 3;
};

struct Request {
    std::string path;
    std::string body;
};

// One keep-alive connection sending one request at a time.
struct Client {
    explicit Client(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::string out;
    std::string in;
    Clock::time_point sent;
};

// Runs `next` requests on C connections until `next` has none left or the time is up; returns the responses'
// bodies in completion order, with the rate and the latencies.
class Phase {
public:
    struct Outcome {
        std::vector<std::string> bodies;
        double rate = 0;
        std::vector<double> latencies_ms;
    };

    Phase(const Options& o, std::function<bool(Request&)> next) : o_(o), next_(std::move(next)) {}

    Outcome run() {
        asio::io_context io;
        std::vector<std::unique_ptr<Client>> clients;
        for (std::size_t i = 0; i < o_.connections; ++i) {
            clients.push_back(std::make_unique<Client>(io));
            clients.back()->socket.connect({asio::ip::make_address("127.0.0.1"), o_.port});
            clients.back()->socket.set_option(tcp::no_delay(true));
        }
        start_ = Clock::now();
        deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.seconds));
        for (auto& c : clients) send(*c);
        io.run();
        outcome_.rate = static_cast<double>(outcome_.bodies.size()) /
                        std::chrono::duration<double>(last_ - start_).count();
        return std::move(outcome_);
    }

private:
    void send(Client& c) {
        Request r;
        if (Clock::now() >= deadline_ || !next_(r)) return;  // this connection is done; io.run() ends with the last
        c.out = "POST " + r.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o_.port) +
                "\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
        c.in.clear();
        c.sent = Clock::now();
        asio::async_write(c.socket, asio::buffer(c.out), [this, &c](const asio::error_code& ec, std::size_t) {
            if (ec) throw std::runtime_error("write: " + ec.message());
            receive(c);
        });
    }

    void receive(Client& c) {
        const auto head_end = c.in.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            const auto at = c.in.find("Content-Length: ");
            if (at == std::string::npos || at > head_end) throw std::runtime_error("response without Content-Length");
            const std::size_t length = std::stoul(c.in.substr(at + 16));
            if (c.in.size() >= head_end + 4 + length) {
                if (c.in.rfind("HTTP/1.1 2", 0) != 0)
                    throw std::runtime_error("jppd answered: " + c.in.substr(0, 400));
                last_ = Clock::now();
                outcome_.latencies_ms.push_back(std::chrono::duration<double, std::milli>(last_ - c.sent).count());
                outcome_.bodies.push_back(c.in.substr(head_end + 4, length));
                send(c);
                return;
            }
        }
        const std::size_t have = c.in.size();
        c.in.resize(have + 4096);
        c.socket.async_read_some(asio::buffer(c.in.data() + have, 4096),
                                 [this, &c, have](const asio::error_code& ec, std::size_t n) {
            if (ec) throw std::runtime_error("read: " + ec.message());
            c.in.resize(have + n);
            receive(c);
        });
    }

    const Options& o_;
    std::function<bool(Request&)> next_;
    Outcome outcome_;
    Clock::time_point start_, deadline_, last_;
};

void print(const char* what, const Options& o, const Phase::Outcome& r) {
    std::printf("%-24s %10.0f /s  at %zu clients; latency p50 %.2f ms, p99 %.2f ms (%zu requests)\n", what, r.rate,
                o.connections, bench::percentile(r.latencies_ms, 50), bench::percentile(r.latencies_ms, 99), r.bodies.size());
}

void run(const Options& o) {
    const jpp::PrivateKey payer = bench::key_of("bench payer");
    const auto merchant_hash = bench::key_of("bench merchant").public_key_hash();
    const jpp::Address merchant{jpp::Network::main, jpp::AddressKind::p2pkh,
                                jpp::Bytes(merchant_hash.begin(), merchant_hash.end()), false};
    const std::string create_body = "{\"outputs\":[{\"address\":\"" + jpp::encode_cashaddr(merchant) +
                                    "\",\"amount\":10000}],\"memo\":\"write benchmark\"}";

    Phase::Outcome created = Phase(o, [&](Request& r) {
        r = {"/jpp/invoices/", create_body};
        return true;
    }).run();
    print("create invoice", o, created);

    // One made-up coin per payment (dev mode does not look coins up), different in every run.
    std::vector<Request> payments;
    std::mt19937_64 random{std::random_device{}()};
    const auto payer_hash = payer.public_key_hash();
    const jpp::Output pay{10000, jpp::locking_bytecode(merchant), std::nullopt};
    for (const auto& body : created.bodies) {
        jpp::Coin coin;
        for (auto& byte : coin.outpoint.txid.bytes) byte = static_cast<std::uint8_t>(random());
        coin.output = {12000, jpp::locking_bytecode({jpp::Network::main, jpp::AddressKind::p2pkh,
                                                     jpp::Bytes(payer_hash.begin(), payer_hash.end()), false}),
                       std::nullopt};
        const auto tx = jpp::build_p2pkh_transaction(payer, std::span(&coin, 1), std::span(&pay, 1));
        if (!tx) throw std::runtime_error("cannot sign: " + tx.error().describe());
        payments.push_back({"/jpp/invoices/" + bench::json_field(body, "payment_id") + "/pay",
                            "{\"raw_tx_hex\":\"" + jpp::to_hex(jpp::encode_transaction(*tx)) + "\"}"});
    }
    std::size_t next = 0;
    const Phase::Outcome paid = Phase(o, [&](Request& r) {
        if (next == payments.size()) return false;
        r = std::move(payments[next++]);
        return true;
    }).run();
    print("pay invoice", o, paid);
    std::printf("%-24s %10.0f /s  (4 KiB rewritten + fdatasync, in %s)\n", "disk commit floor",
                bench::disk_commit_rate(o.floor_dir, o.seconds / 2), o.floor_dir.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            const auto value = [&]() -> std::string {
                if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
                return argv[++i];
            };
            if (a == "--port") o.port = static_cast<unsigned short>(std::stoi(value()));
            else if (a == "--floor-dir") o.floor_dir = value();
            else if (a == "--connections") o.connections = std::stoul(value());
            else if (a == "--seconds") o.seconds = std::stod(value());
            else throw std::runtime_error("unknown option " + a);
        }
        if (o.port == 0 || o.floor_dir.empty() || o.connections == 0)
            throw std::runtime_error("usage: jpp_bench_http_writes --port P --floor-dir DIR [--connections C] "
                                     "[--seconds S]");
        run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "jpp_bench_http_writes: %s\n", e.what());
        return 1;
    }
    return 0;
}
