// WebSocket fan-out benchmark client: N watchers subscribe, one payment (jppd) or one publish (the comparison
// server) is triggered, and the time from sending the trigger to each watcher's receipt of the message is recorded.
// Also: the server's resident memory per idle connection. Prints RESULT / MEMORY lines that bench/ws.sh tabulates.
//
// usage: jpp_bench_ws_fanout --target jppd|node --port P --pid PID --watchers N --rounds R [--memory] [--calibrate]
//   jppd: each round creates an invoice, watches /ws/jpp/invoice/<id>/, and pays it with a signed transaction
//   node: each round watches /ws/<topic>/ and POSTs the same-sized message to /publish/<topic>
#include <jpp/events.hpp>
#include <jpp/json.hpp>
#include <jpp/signer.hpp>

#include <asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "client_support.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

struct Options {
    std::string target = "jppd";
    unsigned short port = 0;
    int pid = 0;
    std::size_t watchers = 100;
    int rounds = 10;
    bool memory = false;
    bool calibrate = false;
};

struct Watcher {
    explicit Watcher(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::vector<char> buffer = std::vector<char>(4096);
    std::size_t have = 0;
    bool upgraded = false;
    int messages = 0;
    Clock::time_point received{};
    std::string first_message;
};

long rss_bytes(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
    throw std::runtime_error("cannot read the server's VmRSS");
}

// A blocking HTTP/1.1 request on its own connection; returns the response body.
std::string http_request(unsigned short port, const std::string& method, const std::string& path,
                         const std::string& body) {
    asio::io_context io;
    tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    const std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                "\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    asio::write(s, asio::buffer(request));
    std::string response;
    asio::error_code ec;
    asio::read(s, asio::dynamic_buffer(response), ec);
    const auto split = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.1 2", 0) != 0 || split == std::string::npos)
        throw std::runtime_error(method + " " + path + " failed: " + response.substr(0, 300));
    return response.substr(split + 4);
}

class Bench {
public:
    explicit Bench(Options options) : o_(std::move(options)) {
        payer_ = std::make_unique<jpp::PrivateKey>(bench::key_of("bench payer"));
        const auto hash = bench::key_of("bench merchant").public_key_hash();
        merchant_ = jpp::Address{jpp::Network::main, jpp::AddressKind::p2pkh, jpp::Bytes(hash.begin(), hash.end()), false};
    }

    void run() {
        if (o_.memory) measure_memory();
        if (o_.target == "jppd" && o_.calibrate) calibrate();
        std::vector<double> lasts, each;
        for (int round = 0; round < o_.rounds; ++round) {
            const std::vector<double> latencies = one_round();
            lasts.push_back(*std::max_element(latencies.begin(), latencies.end()));
            each.insert(each.end(), latencies.begin(), latencies.end());
        }
        std::printf("RESULT %s %zu %.3f %.3f %.3f %d\n", o_.target.c_str(), o_.watchers, bench::percentile(lasts, 50),
                    bench::percentile(lasts, 99), bench::percentile(each, 50), o_.rounds);
    }

private:
    // How long a pay request takes with nobody watching (decode, verify, the committed write, the response): what
    // separates the trigger from the commit, to estimate commit-to-receipt times.
    void calibrate() {
        std::vector<double> took;
        for (int i = 0; i < 20; ++i) {
            const auto [path, trigger] = prepare();
            const auto t0 = Clock::now();
            http_request(o_.port, "POST", trigger.first, trigger.second);
            took.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
        std::printf("CALIBRATION %s %.3f\n", o_.target.c_str(), bench::percentile(took, 50));
    }

    // Idle connections' cost: the server's resident memory before and after N watchers connect.
    void measure_memory() {
        const auto [path, trigger] = prepare();
        (void)trigger;
        const long before = rss_bytes(o_.pid);
        auto watchers = connect_all(path);
        std::this_thread::sleep_for(std::chrono::seconds(2));
        const long after = rss_bytes(o_.pid);
        std::printf("MEMORY %s %zu %.0f\n", o_.target.c_str(), o_.watchers,
                    static_cast<double>(after - before) / static_cast<double>(o_.watchers));
        for (auto& w : watchers) w->socket.close();
    }

    // The WebSocket path to watch and the HTTP request (path, body) that makes the message go out.
    std::pair<std::string, std::pair<std::string, std::string>> prepare() {
        if (o_.target == "node") {
            const std::string topic = "topic" + std::to_string(++topics_);
            return {"/ws/" + topic + "/", {"/publish/" + topic, node_message()}};
        }
        const std::string address = jpp::encode_cashaddr(merchant_);
        const std::string created = http_request(o_.port, "POST", "/jpp/invoices/",
            "{\"outputs\":[{\"address\":\"" + address + "\",\"amount\":10000}],\"memo\":\"fan-out benchmark\"}");
        const std::string id = bench::json_field(created, "payment_id");
        jpp::Coin coin;
        jpp::TxId spent;  // a made-up coin, different in every round and run (dev mode does not look it up)
        std::random_device random;
        for (auto& byte : spent.bytes) byte = static_cast<std::uint8_t>(random());
        coin.outpoint = {spent, 0};
        const auto payer_hash = payer_->public_key_hash();
        coin.output = {12000, jpp::locking_bytecode({jpp::Network::main, jpp::AddressKind::p2pkh,
                                                     jpp::Bytes(payer_hash.begin(), payer_hash.end()), false}),
                       std::nullopt};
        const jpp::Output pay{10000, jpp::locking_bytecode(merchant_), std::nullopt};
        const auto tx = jpp::build_p2pkh_transaction(*payer_, std::span(&coin, 1), std::span(&pay, 1));
        if (!tx) throw std::runtime_error("cannot sign: " + tx.error().describe());
        return {"/ws/jpp/invoice/" + id + "/",
                {"/jpp/invoices/" + id + "/pay", "{\"raw_tx_hex\":\"" + jpp::to_hex(jpp::encode_transaction(*tx)) + "\"}"}};
    }

    // A message of the size jppd sends: a payment_received for a one-output invoice.
    std::string node_message() {
        jpp::Invoice invoice;
        invoice.id = jpp::InvoiceId::generate();
        invoice.memo = "fan-out benchmark";
        invoice.outputs.push_back({10000, jpp::encode_cashaddr(merchant_), jpp::locking_bytecode(merchant_), "", std::nullopt});
        invoice.payment = jpp::Payment{};
        return jpp::event_to_json(jpp::Event{jpp::EventType::payment_received, invoice},
                                  {"http://127.0.0.1:" + std::to_string(o_.port), jpp::Timestamp{}});
    }

    std::vector<std::unique_ptr<Watcher>> connect_all(const std::string& path) {
        std::vector<std::unique_ptr<Watcher>> watchers;
        for (std::size_t i = 0; i < o_.watchers; ++i) watchers.push_back(std::make_unique<Watcher>(io_));
        handshake_ = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o_.port) +
                     "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        upgraded_ = 0;
        next_ = 0;
        all_ = &watchers;
        for (int i = 0; i < 128; ++i) connect_next();  // a bounded number of handshakes at a time
        io_.restart();
        while (upgraded_ < o_.watchers) io_.run_one();
        return watchers;
    }

    void connect_next() {
        if (next_ >= all_->size()) return;
        Watcher* w = (*all_)[next_++].get();
        w->socket.async_connect({asio::ip::make_address("127.0.0.1"), o_.port}, [this, w](const asio::error_code& ec) {
            if (ec) throw std::runtime_error("connect: " + ec.message());
            asio::error_code ignored;
            w->socket.set_option(tcp::no_delay(true), ignored);
            asio::async_write(w->socket, asio::buffer(handshake_), [this, w](const asio::error_code& e, std::size_t) {
                if (e) throw std::runtime_error("handshake write: " + e.message());
                read(w);
            });
        });
    }

    void read(Watcher* w) {
        w->socket.async_read_some(asio::buffer(w->buffer.data() + w->have, w->buffer.size() - w->have),
                                  [this, w](const asio::error_code& ec, std::size_t n) {
            if (ec) return;  // closed at the end of a round
            w->have += n;
            parse(w);
            read(w);
        });
    }

    void parse(Watcher* w) {
        if (!w->upgraded) {
            const std::string_view head(w->buffer.data(), w->have);
            const auto end = head.find("\r\n\r\n");
            if (end == std::string_view::npos) return;
            if (head.rfind("HTTP/1.1 101", 0) != 0)
                throw std::runtime_error("upgrade refused: " + std::string(head.substr(0, head.find('\r'))));
            w->upgraded = true;
            std::memmove(w->buffer.data(), w->buffer.data() + end + 4, w->have - end - 4);
            w->have -= end + 4;
            ++upgraded_;
            connect_next();
        }
        while (w->have >= 2) {
            const auto* b = reinterpret_cast<const std::uint8_t*>(w->buffer.data());
            std::size_t length = b[1] & 0x7F, at = 2;
            if (length == 126) {
                if (w->have < 4) return;
                length = (std::size_t{b[2]} << 8) | b[3];
                at = 4;
            } else if (length == 127) {
                throw std::runtime_error("unexpectedly large frame");
            }
            if (w->have < at + length) {
                if (at + length > w->buffer.size()) w->buffer.resize(at + length);
                return;
            }
            if ((b[0] & 0x0F) == 1) {
                if (w->messages++ == 0) {
                    w->received = Clock::now();
                    w->first_message.assign(w->buffer.data() + at, length);
                }
                ++received_;
            }
            std::memmove(w->buffer.data(), w->buffer.data() + at + length, w->have - at - length);
            w->have -= at + length;
        }
    }

    std::vector<double> one_round() {
        const auto [path, trigger] = prepare();
        auto watchers = connect_all(path);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the server settle
        received_ = 0;
        tcp::socket http(io_);
        http.connect({asio::ip::make_address("127.0.0.1"), o_.port});
        http.set_option(tcp::no_delay(true));
        const std::string request = "POST " + trigger.first + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                                    std::to_string(o_.port) + "\r\nContent-Type: "
                                    "application/json\r\nContent-Length: " + std::to_string(trigger.second.size()) +
                                    "\r\n\r\n" + trigger.second;
        std::string response(4096, '\0');
        bool answered = false;
        const auto t0 = Clock::now();
        asio::async_write(http, asio::buffer(request), [&](const asio::error_code& ec, std::size_t) {
            if (ec) throw std::runtime_error("trigger: " + ec.message());
            http.async_read_some(asio::buffer(response), [&](const asio::error_code&, std::size_t n) {
                response.resize(n);
                answered = true;
            });
        });
        io_.restart();
        const auto deadline = t0 + std::chrono::seconds(30);
        while (received_ < o_.watchers && Clock::now() < deadline) {
            io_.run_one_for(std::chrono::milliseconds(100));
            if (answered && response.rfind("HTTP/1.1 200", 0) != 0)
                throw std::runtime_error("trigger answered: " + response.substr(0, 300));
        }
        if (received_ < o_.watchers)
            throw std::runtime_error("only " + std::to_string(received_) + " of " + std::to_string(o_.watchers) +
                                     " watchers received the message");
        io_.run_for(std::chrono::milliseconds(50));  // the trigger's response
        if (response.rfind("HTTP/1.1 200", 0) != 0) throw std::runtime_error("trigger answered: " + response.substr(0, 200));
        std::vector<double> latencies;
        for (const auto& w : watchers) {
            if (w->messages != 1) throw std::runtime_error("a watcher received " + std::to_string(w->messages) + " messages");
            if (o_.target == "jppd" && w->first_message.find("\"payment_received\"") == std::string::npos)
                throw std::runtime_error("unexpected message: " + w->first_message.substr(0, 200));
            latencies.push_back(std::chrono::duration<double, std::milli>(w->received - t0).count());
        }
        for (auto& w : watchers) w->socket.close();
        http.close();
        io_.restart();
        io_.poll();
        return latencies;
    }

    Options o_;
    asio::io_context io_;
    std::unique_ptr<jpp::PrivateKey> payer_;
    jpp::Address merchant_;
    std::string handshake_;
    std::vector<std::unique_ptr<Watcher>>* all_ = nullptr;
    std::size_t next_ = 0, upgraded_ = 0, received_ = 0;
    int topics_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--target") o.target = value();
        else if (a == "--port") o.port = static_cast<unsigned short>(std::stoi(value()));
        else if (a == "--pid") o.pid = std::stoi(value());
        else if (a == "--watchers") o.watchers = std::stoul(value());
        else if (a == "--rounds") o.rounds = std::stoi(value());
        else if (a == "--memory") o.memory = true;
        else if (a == "--calibrate") o.calibrate = true;
        else {
            std::fprintf(stderr, "usage: jpp_bench_ws_fanout --target jppd|node --port P --pid PID --watchers N "
                                 "--rounds R [--memory] [--calibrate]\n");
            return 2;
        }
    }
    try {
        Bench(o).run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "jpp_bench_ws_fanout: %s\n", e.what());
        return 1;
    }
    return 0;
}
