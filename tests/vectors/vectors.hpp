// Shared helpers of the public-vector tests: where the vectors are and how to load one file.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <rapidjson/document.h>

namespace jpp::vectors {

inline std::filesystem::path dir() {
    const char* env = std::getenv("JPP_VECTORS_DIR");
    return env ? std::filesystem::path(env) : std::filesystem::path();
}

// Parses <vectors>/<relative>; throws (failing the test case) if the file is missing or not JSON.
inline rapidjson::Document load(const std::string& relative) {
    const auto path = dir() / relative;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    std::stringstream text;
    text << in.rdbuf();
    rapidjson::Document doc;
    doc.Parse(text.str().c_str());
    if (doc.HasParseError()) throw std::runtime_error("not JSON: " + path.string());
    return doc;
}

}  // namespace jpp::vectors
