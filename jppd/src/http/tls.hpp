// TLS on the listening port (--tls-cert, --tls-key): TLS 1.2 and 1.3 only, forward-secret AEAD cipher suites,
// ALPN http/1.1. The certificate chain and key are read again on reload (SIGHUP): new connections get the new
// ones, open connections keep what they began with.
#pragma once

#include <asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace jppd::http {

class TlsCertificate {
public:
    // Reads the PEM files and checks that the key belongs to the certificate; nullptr and `error` (naming the file
    // and OpenSSL's reason) otherwise.
    static std::shared_ptr<TlsCertificate> load(std::string cert_file, std::string key_file, std::string& error);

    // The context a new connection uses.
    std::shared_ptr<asio::ssl::context> context() const;
    // Reads the files again; on failure the current certificate stays and `error` says why.
    bool reload(std::string& error);
    // "CN=pay.example.com, expires 2027-03-01T00:00:00Z", for the log.
    std::string describe() const;
    // When the current certificate stops being valid.
    std::chrono::system_clock::time_point not_after() const;

private:
    TlsCertificate(std::string cert_file, std::string key_file);

    const std::string cert_file_, key_file_;
    mutable std::mutex mutex_;
    std::shared_ptr<asio::ssl::context> context_;
};

}  // namespace jppd::http
