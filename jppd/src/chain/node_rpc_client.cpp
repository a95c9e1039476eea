#include "chain/node_rpc_client.hpp"

#include <http_parser.h>
#include <openssl/evp.h>

#include <asio.hpp>

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <vector>
#include <fstream>

#include "chain/rpc_json.hpp"
#include "metrics/metrics.hpp"

namespace jppd::chain {

namespace {

jpp::Error unavailable(std::string message) { return jpp::make_error(jpp::Errc::chain_unavailable, std::move(message)); }

std::string base64(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// An HTTP response, fed in the pieces it arrives in.
class ReplyReader {
public:
    static constexpr std::size_t max_body_bytes = 64 * 1024 * 1024;

    ReplyReader(const ReplyReader&) = delete;
    ReplyReader& operator=(const ReplyReader&) = delete;
    ReplyReader() {
        http_parser_init(&parser_, HTTP_RESPONSE);
        parser_.data = this;
        settings_.on_body = [](http_parser* p, const char* at, std::size_t n) {
            auto* self = static_cast<ReplyReader*>(p->data);
            if (self->body.size() + n > max_body_bytes) return 1;
            self->body.append(at, n);
            return 0;
        };
        settings_.on_message_complete = [](http_parser* p) {
            static_cast<ReplyReader*>(p->data)->complete = true;
            return 0;
        };
    }

    // False when the bytes are not an HTTP response (or the body is too large).
    bool feed(const char* data, std::size_t n) {
        http_parser_execute(&parser_, &settings_, data, n);
        return HTTP_PARSER_ERRNO(&parser_) == HPE_OK;
    }
    // The stream ended: a body without a length ends with it.
    void end() {
        if (!complete) http_parser_execute(&parser_, &settings_, nullptr, 0);
    }
    int status() const { return static_cast<int>(parser_.status_code); }
    bool keep_alive() const { return complete && http_should_keep_alive(&parser_) != 0; }

    std::string body;
    bool complete = false;

private:
    http_parser parser_;
    http_parser_settings settings_{};
};

// A connection a node has kept idle longer than this may be closed by it any moment: open a new one instead.
constexpr auto max_idle = std::chrono::seconds(10);

}  // namespace

// One connection to the node, with an io_context of its own, so that a call runs it with its own deadline.
struct NodeRpcClient::Channel {
    asio::io_context io;
    asio::ip::tcp::socket socket{io};
    std::chrono::steady_clock::time_point idle_since;
    bool reused = false;
};

struct NodeRpcClient::Pool {
    std::mutex mutex;
    std::vector<std::unique_ptr<Channel>> idle;
};

namespace {

// Sends one request on a channel (connecting it first if it is new) and reads one response, within the deadline.
class Exchange {
public:
    Exchange(asio::io_context& io, asio::ip::tcp::socket& socket, const std::string& request, ReplyReader& reader)
        : io_(io), socket_(socket), request_(request), reader_(reader) {}

    // Asio's error, asio::error::timed_out, or success with reader.complete.
    asio::error_code run(const std::string& host, const std::string& port, std::chrono::milliseconds timeout) {
        io_.restart();
        if (socket_.is_open()) {
            write();
        } else {
            resolver_.emplace(io_);
            resolver_->async_resolve(host, port, [this](const asio::error_code& ec, auto endpoints) {
                if (ec) return finish(ec);
                asio::async_connect(socket_, endpoints, [this](const asio::error_code& ec2, const auto&) {
                    if (ec2) return finish(ec2);
                    write();
                });
            });
        }
        io_.run_for(timeout);
        if (!done_) return asio::error::timed_out;
        return failure_;
    }

    bool answered() const { return answered_; }

private:
    void write() {
        asio::async_write(socket_, asio::buffer(request_), [this](const asio::error_code& ec, std::size_t) {
            if (ec) return finish(ec);
            read();
        });
    }
    void read() {
        socket_.async_read_some(asio::buffer(buffer_), [this](const asio::error_code& ec, std::size_t n) {
            if (n > 0) {
                answered_ = true;
                if (!reader_.feed(buffer_.data(), n)) return finish(asio::error::invalid_argument);
            }
            if (reader_.complete) return finish({});
            if (ec == asio::error::eof) {
                reader_.end();
                return finish(reader_.complete ? asio::error_code{} : ec);
            }
            if (ec) return finish(ec);
            read();
        });
    }
    void finish(const asio::error_code& ec) {
        failure_ = ec;
        done_ = true;
    }

    asio::io_context& io_;
    asio::ip::tcp::socket& socket_;
    const std::string& request_;
    ReplyReader& reader_;
    std::optional<asio::ip::tcp::resolver> resolver_;
    std::array<char, 16 * 1024> buffer_{};
    asio::error_code failure_;
    bool done_ = false;
    bool answered_ = false;
};

}  // namespace

NodeRpcClient::NodeRpcClient(NodeRpcOptions options)
    : options_(std::move(options)), pool_(std::make_shared<Pool>()) {}

std::unique_ptr<NodeRpcClient::Channel> NodeRpcClient::lease(bool reuse) const {
    if (reuse) {
        std::lock_guard lock(pool_->mutex);
        while (!pool_->idle.empty()) {
            auto channel = std::move(pool_->idle.back());
            pool_->idle.pop_back();
            if (std::chrono::steady_clock::now() - channel->idle_since < max_idle) {
                channel->reused = true;
                return channel;
            }
        }
    }
    return std::make_unique<Channel>();
}

void NodeRpcClient::give_back(std::unique_ptr<Channel> channel) const {
    channel->idle_since = std::chrono::steady_clock::now();
    std::lock_guard lock(pool_->mutex);
    if (pool_->idle.size() < max_idle_connections) pool_->idle.push_back(std::move(channel));
}

jpp::Result<NodeRpcClient> NodeRpcClient::create(NodeRpcOptions options) {
    http_parser_url u;
    http_parser_url_init(&u);
    const std::string url = options.url;  // a copy: options is moved from below
    if (http_parser_parse_url(url.data(), url.size(), 0, &u) != 0 || !(u.field_set & (1 << UF_SCHEMA)) ||
        !(u.field_set & (1 << UF_HOST)))
        return jpp::make_error(jpp::Errc::invalid_argument, "node RPC URL '" + url + "': expected http://host:port/");
    const auto field = [&](int f) { return url.substr(u.field_data[f].off, u.field_data[f].len); };
    if (field(UF_SCHEMA) != "http")
        return jpp::make_error(jpp::Errc::invalid_argument,
                               "node RPC URL '" + url + "': only http:// is supported (keep node RPC on a private "
                               "network or tunnel it)");
    if (u.field_set & (1 << UF_USERINFO))
        return jpp::make_error(jpp::Errc::invalid_argument,
                               "node RPC URL '" + url + "': give credentials with --node-rpc-user/--node-rpc-password "
                               "or --node-rpc-cookie, not in the URL");
    NodeRpcClient client(std::move(options));
    client.host_ = field(UF_HOST);
    client.port_ = (u.field_set & (1 << UF_PORT)) ? std::to_string(u.port) : "80";
    client.path_ = (u.field_set & (1 << UF_PATH)) ? field(UF_PATH) : "/";
    return client;
}

jpp::Result<std::string> NodeRpcClient::authorization() const {
    if (!options_.cookie_file.empty()) {
        std::ifstream in(options_.cookie_file);
        std::string cookie;
        if (!in || !std::getline(in, cookie) || cookie.find(':') == std::string::npos)
            return unavailable("cannot read the node's cookie file " + options_.cookie_file);
        return "Basic " + base64(cookie);
    }
    if (options_.user.empty() && options_.password.empty()) return std::string();
    return "Basic " + base64(options_.user + ":" + options_.password);
}

jpp::Result<RpcReply> NodeRpcClient::call(std::string_view method, std::string_view params, bool idempotent) const {
    const metrics::Timer timer;
    auto reply = perform(method, params, idempotent);
    metrics::node_call(method, timer.elapsed(), reply.ok());
    return reply;
}

jpp::Result<RpcReply> NodeRpcClient::perform(std::string_view method, std::string_view params,
                                              bool idempotent) const {
    auto auth = authorization();
    if (!auth) return std::move(auth).error();
    static std::atomic<unsigned long> next_id{1};
    const std::string body = "{\"jsonrpc\":\"1.0\",\"id\":" + std::to_string(next_id++) + ",\"method\":\"" +
                             std::string(method) + "\",\"params\":" + std::string(params) + "}";
    std::string request = "POST " + path_ + " HTTP/1.1\r\nHost: " + host_ + ":" + port_ +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n";
    if (!auth->empty()) request += "Authorization: " + *auth + "\r\n";
    request += "\r\n" + body;

    const std::string where = "node RPC " + options_.url + " (" + std::string(method) + ")";
    std::optional<ReplyReader> response;  // a fresh one for each attempt: the parser points at its reader
    for (int attempt = 0;; ++attempt) {
        auto channel = lease(idempotent && attempt == 0);
        ReplyReader& http = response.emplace();
        Exchange exchange(channel->io, channel->socket, request, http);
        const asio::error_code failure = exchange.run(host_, port_, options_.timeout);
        if (!failure) {
            if (http.keep_alive()) give_back(std::move(channel));
            break;
        }
        // A kept connection the node had closed meanwhile: the request never reached it, so ask again.
        if (channel->reused && !exchange.answered() && failure != asio::error::timed_out) continue;
        if (failure == asio::error::timed_out)
            return unavailable(where + ": no answer within " + std::to_string(options_.timeout.count()) + " ms");
        if (failure == asio::error::invalid_argument) return unavailable(where + ": malformed HTTP response");
        return unavailable(where + ": " + failure.message());
    }
    const ReplyReader& http = *response;
    if (http.status() == 401 || http.status() == 403) return unavailable(where + ": the node refused the credentials");

    // Nodes answer RPC errors with HTTP 500 (or 404 for unknown methods) and a JSON-RPC body: read the body first.
    JsonReader json;
    if (!json.parse(http.body) || !json.root().IsObject())
        return unavailable(where + ": HTTP " + std::to_string(http.status()) + " without a JSON-RPC body");
    const auto& root = json.root();
    RpcReply reply;
    const auto error = root.FindMember("error");
    if (error != root.MemberEnd() && error->value.IsObject()) {
        reply.is_error = true;
        const auto code = error->value.FindMember("code");
        if (code != error->value.MemberEnd()) reply.error_code = json_int(code->value);
        const auto message = error->value.FindMember("message");
        if (message != error->value.MemberEnd() && message->value.IsString())
            reply.error_message = message->value.GetString();
        return reply;
    }
    const auto result = root.FindMember("result");
    if (result == root.MemberEnd()) return unavailable(where + ": a JSON-RPC reply without result or error");
    reply.result = json_text(result->value);
    return reply;
}

}  // namespace jppd::chain
