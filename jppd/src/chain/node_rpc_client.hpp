// A JSON-RPC 1.0 client for a BCH node (BCHN, bcash ...) over plain HTTP, with one deadline per call.
// Plain HTTP only: node RPC belongs on loopback or a private network (tunnel it otherwise).
#pragma once

#include <chrono>
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
    jpp::Result<RpcReply> call(std::string_view method, std::string_view params) const;

    const std::string& url() const noexcept { return options_.url; }

private:
    explicit NodeRpcClient(NodeRpcOptions options) : options_(std::move(options)) {}
    jpp::Result<std::string> authorization() const;

    NodeRpcOptions options_;
    std::string host_, port_, path_;
};

}  // namespace jppd::chain
