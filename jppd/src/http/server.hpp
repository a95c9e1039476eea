// The HTTP/1.1 server: an acceptor, a fixed pool of I/O threads, a worker pool for blocking handlers, and the
// connections, each bounded in size and in time. Asio standalone.
//
// Each I/O thread runs an io_context of its own, and accepted connections are dealt out to them in turn: threads
// sharing one io_context spend much of their time waking each other up on its scheduler's lock.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/body_budget.hpp"
#include "http/client_address.hpp"
#include "http/client_limits.hpp"
#include "http/handler.hpp"
#include "http/host_check.hpp"
#include "http/request_parser.hpp"
#include "http/stream.hpp"
#include "http/tls.hpp"

namespace jppd::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8000;
    unsigned io_threads = 2;
    unsigned worker_threads = 64;  // blocking handlers: mostly waiting on the disk or the node
    std::size_t max_connections = 10000;
    ParserLimits limits;
    // Memory all request bodies being read may hold together; a body that would pass it gets 503. 0: no budget.
    std::size_t max_buffered_body_bytes = 128 * 1024 * 1024;
    // Per client (an IPv4 address, an IPv6 /64): connections (429 beyond) and request rate (429, Retry-After).
    ClientLimitOptions client_limits;
    // Peers whose word on the client is taken: their X-Forwarded-For, or their PROXY protocol header.
    TrustedProxies trusted_proxies;
    // Connections from trusted proxies begin with a PROXY protocol header (v1 or v2), which they must then send.
    bool proxy_protocol = false;
    // A keep-alive connection may sit this long between requests.
    std::chrono::milliseconds idle_timeout{60000};
    // Once its first byte has arrived, a request must be complete within this; a response must be written
    // within it too. This, not a per-read timeout, is what cuts off a client sending a byte a second.
    std::chrono::milliseconds request_timeout{10000};
    // On SIGTERM: in-flight requests get this long to finish.
    std::chrono::milliseconds shutdown_timeout{10000};
    // HTTPS and WSS on the port, with this certificate; null: plain HTTP.
    std::shared_ptr<TlsCertificate> tls;
    // On SIGHUP (run on the server's control strand). Unset, the server leaves SIGHUP alone.
    std::function<void()> on_reload;
    // SIGINT and SIGTERM shut the server down. Off for a second server of the process (the metrics listener),
    // which its owner shuts down after the first.
    bool handle_signals = true;
};

class Connection;

class Server {
public:
    Server(ServerOptions options, Handler& handler);
    ~Server();

    // Binds and listens; the error says why not ("127.0.0.1:8000: Address already in use").
    bool listen(std::string& error);
    // The port actually bound (the configured one, or the kernel's choice for port 0).
    std::uint16_t port() const { return port_; }

    // Which Host headers are served (421 otherwise); set after listen(), before run(). By default, any.
    void set_host_policy(HostPolicy policy) { hosts_ = std::move(policy); }

    // Serves until shutdown() (or SIGINT / SIGTERM) has finished: runs the I/O threads, returns when they stop
    // and the worker pool has finished what it was doing.
    void run();

    // Graceful and thread-safe: stop accepting, close idle connections, let requests in flight finish (within
    // shutdown_timeout), then make run() return.
    void shutdown();

    // Open connections: HTTP ones and those upgraded to WebSockets.
    std::size_t connection_count() const;

private:
    friend class Connection;
    friend class Stream;
    void accept();
    // Answers a connection that is not taken (a limit) with `response`, without blocking, and closes it.
    void refuse(asio::ip::tcp::socket socket, const std::string& response);
    // The same for a connection refused as it is accepted (a limit): over TLS, closed without a word.
    void refuse_new(asio::ip::tcp::socket socket, const std::string& response);
    // Registers the stream (counted, stopped on shutdown) and starts it on its strand.
    void adopt(std::shared_ptr<Stream> stream);
    void linger_and_close(asio::ip::tcp::socket socket);
    void on_signal(const asio::error_code& ec, int signal);
    void wait_for_reload();
    void force_stop();
    void remove(Stream* stream);
    void finish_if_drained();
    void stop_io();
    asio::io_context& next_io();  // where the next connection lives
    std::vector<std::shared_ptr<Stream>> live_connections();

    ServerOptions options_;
    Handler& handler_;
    HostPolicy hosts_;
    // Declared before the io_contexts: connections, destroyed with them, give their shares back here.
    BodyBudget body_budget_;
    ClientTable clients_;
    // Declared before io_: destroying io_ destroys pending handlers, and with them connections, which remove
    // themselves from here.
    mutable std::mutex mutex_;
    std::unordered_map<Stream*, std::weak_ptr<Stream>> connections_;
    bool destroying_ = false;  // under mutex_: connections removed now must not post to io_
    std::atomic<bool> stopping_{false};
    // io_ is the first I/O thread's, and also runs the acceptor, the signals and the shutdown; the other I/O threads
    // run one each of more_io_. Those are declared first, so destroyed last: io_'s pending accept holds a socket
    // that may belong to one of them.
    std::vector<std::unique_ptr<asio::io_context>> more_io_;
    asio::io_context io_;
    std::atomic<unsigned> next_io_{0};
    // The server's own state changes (signals, shutdown, its timers) run on this strand, never concurrently.
    asio::strand<asio::io_context::executor_type> control_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    asio::thread_pool workers_;
    asio::ip::tcp::acceptor acceptor_;
    asio::steady_timer shutdown_deadline_;
    asio::steady_timer accept_retry_;
    asio::signal_set signals_;  // SIGINT / SIGTERM: graceful shutdown; a second one: immediate
    asio::signal_set reload_signal_;  // SIGHUP, when options_.on_reload is set
    std::uint16_t port_ = 0;
};

}  // namespace jppd::http
