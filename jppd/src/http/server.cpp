#include "http/server.hpp"

#include <array>
#include <functional>
#include <thread>
#include <vector>

#include "http/connection.hpp"
#include "http/request_id.hpp"
#include "log.hpp"

namespace jppd::http {

namespace {

// The answers written at accept, before any request is read: made for each refusal, like every response, with
// its own X-Request-Id and the current Date.
std::string too_many_client_connections() {
    return serialize(json_error(429, "too_many_client_connections",
                                "this client holds as many connections as one client may; close one first")
                         .with_header("Retry-After", "1")
                         .with_header("X-Request-Id", make_request_id()),
                     false, false);
}

std::string too_many_connections() {
    return serialize(json_error(503, "too_many_connections", "connection limit reached; try again shortly")
                         .with_header("Retry-After", "1")
                         .with_header("X-Request-Id", make_request_id()),
                     false, false);
}

}  // namespace

Server::Server(ServerOptions options, Handler& handler)
    : options_(std::move(options)),
      handler_(handler),
      body_budget_(options_.max_buffered_body_bytes),
      clients_(options_.client_limits),
      control_(asio::make_strand(io_)),
      workers_(options_.worker_threads == 0 ? 1 : options_.worker_threads),
      acceptor_(control_),
      shutdown_deadline_(control_),
      accept_retry_(control_),
      signals_(control_),
      reload_signal_(control_) {
    // SIGHUP is taken over here, before the port is opened: between listen() and run() the process is already
    // reachable (and may be sent a reload), and SIGHUP's default action would end it. A signal that arrives
    // before run() waits for it is kept and handled then.
    if (options_.on_reload) reload_signal_.add(SIGHUP);
    if (options_.handle_signals) {
        signals_.add(SIGINT);
        signals_.add(SIGTERM);
    }
    for (unsigned i = 1; i < options_.io_threads; ++i) more_io_.push_back(std::make_unique<asio::io_context>(1));
    work_.push_back(asio::make_work_guard(io_));
    for (auto& io : more_io_) work_.push_back(asio::make_work_guard(*io));
}

Server::~Server() {
    workers_.join();
    std::lock_guard lock(mutex_);
    destroying_ = true;
}

bool Server::listen(std::string& error) {
    const std::string where = options_.host + ":" + std::to_string(options_.port);
    asio::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
        error = where + ": not an IP address (" + ec.message() + ")";
        return false;
    }
    const asio::ip::tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        error = where + ": " + ec.message();
        return false;
    }
    port_ = acceptor_.local_endpoint().port();
    return true;
}

void Server::run() {
    if (options_.handle_signals)
        signals_.async_wait([this](const asio::error_code& ec, int signal) { on_signal(ec, signal); });
    if (options_.on_reload) wait_for_reload();
    accept();
    std::vector<std::thread> threads;
    for (auto& io : more_io_) threads.emplace_back([&io = *io] { io.run(); });
    io_.run();
    for (auto& t : threads) t.join();
    workers_.join();  // handlers still running (a slow node call) finish before the store closes
}

void Server::on_signal(const asio::error_code& ec, int signal) {
    if (ec) return;
    if (!stopping_) {
        log_info(std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                 ": finishing requests in flight, then stopping (send it again to stop at once)");
        shutdown();
        signals_.async_wait([this](const asio::error_code& e, int s) { on_signal(e, s); });
    } else {
        log_warn("second signal: closing every connection now");
        force_stop();
    }
}

void Server::wait_for_reload() {
    reload_signal_.async_wait([this](const asio::error_code& ec, int) {
        if (ec || stopping_) return;
        options_.on_reload();
        wait_for_reload();
    });
}

void Server::accept() {
    acceptor_.async_accept(asio::make_strand(next_io()), [this](const asio::error_code& ec,
                                                                 asio::ip::tcp::socket socket) {
        if (stopping_ || !acceptor_.is_open()) return;
        if (ec) {
            // Out of descriptors, typically: the listening socket stays readable, so retrying at once would spin.
            log_warn("accept failed: " + ec.message());
            accept_retry_.expires_after(std::chrono::milliseconds(50));
            accept_retry_.async_wait([this](const asio::error_code& e) {
                if (!e) accept();
            });
            return;
        }
        asio::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
        const auto endpoint = socket.remote_endpoint(ignored);
        if (ignored) {  // gone already
            socket.close(ignored);
            return accept();
        }
        const auto peer = unmapped(endpoint.address());
        const bool from_proxy = options_.trusted_proxies.contains(peer);
        if (connection_count() >= options_.max_connections) {
            refuse_new(std::move(socket), too_many_connections());  // told, not silently dropped
            return accept();
        }
        // A trusted proxy's connections carry many clients: they are counted per client once the client is known
        // (after a PROXY header), never against the proxy.
        auto lease = from_proxy ? std::optional<ClientTable::Lease>(ClientTable::Lease{})
                                : clients_.open_connection(peer);
        if (!lease) {
            log_debug("refused a connection from " + peer.to_string() + ": it holds " +
                      std::to_string(options_.client_limits.max_connections) + " already");
            refuse_new(std::move(socket), too_many_client_connections());
            return accept();
        }
        Transport transport = options_.tls ? Transport(std::move(socket), options_.tls->context())
                                           : Transport(std::move(socket));
        auto connection = std::make_shared<Connection>(*this, std::move(transport), peer, from_proxy);
        connection->hold(std::move(*lease));
        adopt(std::move(connection));
        accept();
    });
}

void Server::refuse_new(asio::ip::tcp::socket socket, const std::string& response) {
    if (!options_.tls) return refuse(std::move(socket), response);
    // A TLS client could not read a plain answer (it would report a protocol error): it sees the connection closed.
    asio::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    linger_and_close(std::move(socket));
}

void Server::refuse(asio::ip::tcp::socket socket, const std::string& response) {
    // A best-effort write that never blocks the accept loop.
    asio::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(response.data(), response.size()), ignored);
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    linger_and_close(std::move(socket));
}

// Closing a socket with unread input makes the kernel send a reset, which can destroy the 503 just written before
// the client reads it. So read and discard what the client sends, for a second at most, then close.
void Server::linger_and_close(asio::ip::tcp::socket socket) {
    struct Lingering {
        asio::ip::tcp::socket socket;
        asio::steady_timer timer;
        std::array<char, 512> sink{};
    };
    asio::steady_timer timer(socket.get_executor());
    auto l = std::make_shared<Lingering>(Lingering{std::move(socket), std::move(timer), {}});
    l->timer.expires_after(std::chrono::seconds(1));
    l->timer.async_wait([l](const asio::error_code&) {
        asio::error_code ignored;
        l->socket.close(ignored);
    });
    auto drain = std::make_shared<std::function<void()>>();
    *drain = [l, weak = std::weak_ptr<std::function<void()>>(drain)] {
        l->socket.async_read_some(asio::buffer(l->sink), [l, weak](const asio::error_code& ec, std::size_t) {
            if (ec) return (void)l->timer.cancel();
            if (auto next = weak.lock()) (*next)();
        });
    };
    (*drain)();
}

void Server::adopt(std::shared_ptr<Stream> stream) {
    {
        std::lock_guard lock(mutex_);
        stream->server_ = this;
        connections_.emplace(stream.get(), stream);
    }
    asio::dispatch(stream->executor(), [stream] { stream->start(); });
}

Stream::~Stream() {
    if (server_) server_->remove(this);
}

std::size_t Server::connection_count() const {
    std::lock_guard lock(mutex_);
    return connections_.size();
}

std::vector<std::shared_ptr<Stream>> Server::live_connections() {
    std::vector<std::shared_ptr<Stream>> live;
    std::lock_guard lock(mutex_);
    live.reserve(connections_.size());
    for (auto& [raw, weak] : connections_)
        if (auto c = weak.lock()) live.push_back(std::move(c));
    return live;
}

void Server::shutdown() {
    asio::post(control_, [this] {
        if (stopping_.exchange(true)) return;
        asio::error_code ignored;
        acceptor_.close(ignored);
        accept_retry_.cancel();
        reload_signal_.cancel();
        for (auto& c : live_connections())
            asio::post(c->executor(), [c] { c->stop_gracefully(); });
        shutdown_deadline_.expires_after(options_.shutdown_timeout);
        shutdown_deadline_.async_wait([this](const asio::error_code& ec) {
            if (ec) return;
            log_warn("shutdown timeout: closing the remaining connections");
            force_stop();
        });
        finish_if_drained();
    });
}

void Server::force_stop() {
    stopping_ = true;
    for (auto& c : live_connections()) asio::post(c->executor(), [c] { c->close(); });
    stop_io();
}

void Server::stop_io() {
    for (auto& w : work_) w.reset();
    io_.stop();
    for (auto& io : more_io_) io->stop();
}

asio::io_context& Server::next_io() {
    const unsigned n = next_io_.fetch_add(1, std::memory_order_relaxed) % (static_cast<unsigned>(more_io_.size()) + 1);
    return n == 0 ? io_ : *more_io_[n - 1];
}

void Server::remove(Stream* stream) {
    std::lock_guard lock(mutex_);
    connections_.erase(stream);
    if (stopping_ && connections_.empty() && !destroying_) asio::post(control_, [this] { finish_if_drained(); });
}

void Server::finish_if_drained() {
    if (!stopping_ || connection_count() != 0) return;
    shutdown_deadline_.cancel();
    // Nothing is left to finish: stop the I/O threads outright rather than waiting for every last operation
    // (a re-armed signal wait, a lingering rejected socket) to end.
    stop_io();
}

}  // namespace jppd::http
