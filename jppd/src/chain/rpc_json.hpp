// Reading node replies with RapidJSON, after the library's bounded check. Numbers are kept as their text, so amounts in BCH are converted to
// satoshis exactly (parse_bch_amount), never through a double.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <jpp/json.hpp>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wuseless-cast"
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#pragma GCC diagnostic pop

namespace jppd::chain {

class JsonReader {
public:
    // The library's bounded check first: a reply nested deeper than any real one (or not UTF-8, or with a key
    // twice) is refused before the document is built, so nothing later recurses over what the node sent.
    bool parse(std::string_view text) {
        if (!jpp::is_json_value(text, jpp::JsonLimits{64 * 1024 * 1024, 32})) return false;
        doc_.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag>(text.data(), text.size());
        return !doc_.HasParseError();
    }
    const rapidjson::Value& root() const { return doc_; }

private:
    rapidjson::Document doc_;
};

inline std::string json_text(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

// An integer read as text (numbers are strings here); 0 when it is not one.
inline int json_int(const rapidjson::Value& value) {
    if (!value.IsString()) return 0;
    try {
        return std::stoi(value.GetString());
    } catch (...) {
        return 0;
    }
}

inline const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
    if (!object.IsObject()) return nullptr;
    const auto it = object.FindMember(name);
    return it == object.MemberEnd() ? nullptr : &it->value;
}

inline std::string_view string_of(const rapidjson::Value* value) {
    return value && value->IsString() ? std::string_view(value->GetString(), value->GetStringLength())
                                      : std::string_view();
}

// "50", "0.00001", "1e-05", "12.34000000" (BCH) -> satoshis, exactly; nullopt for anything else (negative, more
// than 8 decimals of precision, above 21 million BCH).
std::optional<std::int64_t> parse_bch_amount(std::string_view text);

}  // namespace jppd::chain
