// A JSON-RPC 1.0 client for a BCH node (BCHN, bcash ...) over plain HTTP, with one deadline per call.
// Plain HTTP only: node RPC belongs on loopback or a private network (tunnel it otherwise).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <jpp/error.hpp>

namespace jppd::chain {

struct NodeRpcOptions {
    std::string url;          // http://host:port[/path]
    std::string user;         // user/password, or:
    std::string password;
    std::string cookie_file;  // "user:password" written by the node (re-read on each call: it changes on restart)
    std::chrono::milliseconds timeout{10000};
};

// What the node answered: its result as JSON text, or its own error.
struct RpcReply {
    bool is_error = false;
    int error_code = 0;         // the node's RPC error code (-27 already in chain, -26 rejected, -5 not found ...)
    std::string error_message;  // the node's text
    std::string result;         // JSON text of "result" ("null" included)
};

class NodeRpcClient {
public:
    // Checks the URL; the error says what is wrong with it.
    static jpp::Result<NodeRpcClient> create(NodeRpcOptions options);

    // `params` is a JSON array as text ("[\"00ab...\"]"). Errc::chain_unavailable when the node cannot be
    // reached, does not answer in time, refuses the credentials or answers something that is not JSON-RPC.
    // Calls share a few keep-alive connections. A call that is `idempotent` (a question) is sent again on a new
    // connection when a kept one turns out closed by the node; one that is not (sendrawtransaction) always gets a
    // new connection of its own, so that it is sent at most once.
    jpp::Result<RpcReply> call(std::string_view method, std::string_view params, bool idempotent = true) const;

    const std::string& url() const noexcept { return options_.url; }

    // Connections kept open between calls, at most this many.
    static constexpr std::size_t max_idle_connections = 4;

private:
    struct Channel;
    struct Pool;
    explicit NodeRpcClient(NodeRpcOptions options);
    jpp::Result<RpcReply> perform(std::string_view method, std::string_view params, bool idempotent) const;
    jpp::Result<std::string> authorization() const;
    std::unique_ptr<Channel> lease(bool reuse) const;
    void give_back(std::unique_ptr<Channel> channel) const;

    NodeRpcOptions options_;
    std::string host_, port_, path_;
    std::shared_ptr<Pool> pool_;
};

}  // namespace jppd::chain
