// A client connection's byte stream: a TCP socket, or TLS over one. The HTTP connection and the WebSocket it is
// upgraded to read and write through it, and pass it on at the upgrade.
//
// Plain TCP keeps its fast paths (non-blocking reads and writes straight on socket()). Over TLS, only the
// asynchronous operations below may be used: a synchronous write on a non-blocking socket would lose encrypted
// bytes the TLS engine has already produced, and a readable socket says nothing of bytes the engine holds.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <memory>
#include <utility>

namespace jppd::http {

class Transport {
public:
    using executor_type = asio::any_io_executor;
    using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

    explicit Transport(asio::ip::tcp::socket socket) : plain_(std::move(socket)) {}
    // TLS with `context`'s certificate; the server's handshake is still to be made.
    Transport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> context)
        : plain_(socket.get_executor()),
          tls_(std::make_unique<TlsStream>(std::move(socket), *context)),
          context_(std::move(context)) {}

    bool is_tls() const { return tls_ != nullptr; }
    // The TCP layer, for options, addresses, and the plain fast paths.
    asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
    executor_type get_executor() { return socket().get_executor(); }

    template <typename Handler>
    void async_handshake(Handler&& handler) {
        tls_->async_handshake(asio::ssl::stream_base::server, std::forward<Handler>(handler));
    }
    template <typename Buffers, typename Handler>
    void async_read_some(const Buffers& buffers, Handler&& handler) {
        if (tls_) tls_->async_read_some(buffers, std::forward<Handler>(handler));
        else plain_.async_read_some(buffers, std::forward<Handler>(handler));
    }
    template <typename Buffers, typename Handler>
    void async_write_some(const Buffers& buffers, Handler&& handler) {
        if (tls_) tls_->async_write_some(buffers, std::forward<Handler>(handler));
        else plain_.async_write_some(buffers, std::forward<Handler>(handler));
    }

    // No more writes from this side (a TCP FIN; TLS's close_notify is not waited for: HTTP framing and the
    // WebSocket close handshake already say where the data ends).
    void shutdown_send() {
        asio::error_code ignored;
        socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
    void close() {
        asio::error_code ignored;
        socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket().close(ignored);
    }

private:
    asio::ip::tcp::socket plain_;  // unused (no descriptor) when tls_ is set
    std::unique_ptr<TlsStream> tls_;
    std::shared_ptr<asio::ssl::context> context_;  // the certificate the connection began with, kept past a reload
};

}  // namespace jppd::http
