#include "chain/node_rpc_client.hpp"

#include <http_parser.h>
#include <openssl/evp.h>

#include <asio.hpp>

#include <atomic>
#include <fstream>
#include <sstream>

#include "chain/rpc_json.hpp"

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

// The status and body of an HTTP response read to the end of the stream.
struct HttpReply {
    int status = 0;
    std::string body;
    bool complete = false;
};

bool parse_http_reply(const std::string& raw, HttpReply& reply) {
    http_parser parser;
    http_parser_init(&parser, HTTP_RESPONSE);
    parser.data = &reply;
    http_parser_settings settings{};
    settings.on_body = [](http_parser* p, const char* at, std::size_t n) {
        static_cast<HttpReply*>(p->data)->body.append(at, n);
        return 0;
    };
    settings.on_message_complete = [](http_parser* p) {
        static_cast<HttpReply*>(p->data)->complete = true;
        return 0;
    };
    http_parser_execute(&parser, &settings, raw.data(), raw.size());
    if (!reply.complete) http_parser_execute(&parser, &settings, nullptr, 0);  // end of stream ends the body
    reply.status = static_cast<int>(parser.status_code);
    return reply.complete && HTTP_PARSER_ERRNO(&parser) == HPE_OK;
}

}  // namespace

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

jpp::Result<RpcReply> NodeRpcClient::call(std::string_view method, std::string_view params) const {
    auto auth = authorization();
    if (!auth) return std::move(auth).error();
    static std::atomic<unsigned long> next_id{1};
    const std::string body = "{\"jsonrpc\":\"1.0\",\"id\":" + std::to_string(next_id++) + ",\"method\":\"" +
                             std::string(method) + "\",\"params\":" + std::string(params) + "}";
    std::string request = "POST " + path_ + " HTTP/1.1\r\nHost: " + host_ + ":" + port_ +
                          "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n";
    if (!auth->empty()) request += "Authorization: " + *auth + "\r\n";
    request += "\r\n" + body;

    // One private io_context per call: the deadline covers resolve, connect, write and read together.
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    asio::ip::tcp::socket socket(io);
    std::string raw;
    asio::error_code failure;
    bool done = false;
    const auto fail = [&](const asio::error_code& ec) {
        failure = ec;
        done = true;
    };
    resolver.async_resolve(host_, port_, [&](const asio::error_code& ec, asio::ip::tcp::resolver::results_type r) {
        if (ec) return fail(ec);
        asio::async_connect(socket, r, [&](const asio::error_code& ec2, const asio::ip::tcp::endpoint&) {
            if (ec2) return fail(ec2);
            asio::async_write(socket, asio::buffer(request), [&](const asio::error_code& ec3, std::size_t) {
                if (ec3) return fail(ec3);
                asio::async_read(socket, asio::dynamic_buffer(raw, 64 * 1024 * 1024),
                                 [&](const asio::error_code& ec4, std::size_t) {
                                     if (ec4 && ec4 != asio::error::eof) return fail(ec4);
                                     done = true;
                                 });
            });
        });
    });
    io.run_for(options_.timeout);
    const std::string where = "node RPC " + options_.url + " (" + std::string(method) + ")";
    if (!done) return unavailable(where + ": no answer within " + std::to_string(options_.timeout.count()) + " ms");
    if (failure) return unavailable(where + ": " + failure.message());

    HttpReply http;
    if (!parse_http_reply(raw, http)) return unavailable(where + ": malformed HTTP response");
    if (http.status == 401 || http.status == 403) return unavailable(where + ": the node refused the credentials");

    // Nodes answer RPC errors with HTTP 500 (or 404 for unknown methods) and a JSON-RPC body: read the body first.
    JsonReader json;
    if (!json.parse(http.body) || !json.root().IsObject())
        return unavailable(where + ": HTTP " + std::to_string(http.status) + " without a JSON-RPC body");
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
