#include <doctest/doctest.h>

#include "jpp/clock.hpp"

using namespace jpp;
using namespace std::chrono;

TEST_SUITE("clock") {

TEST_CASE("RFC 3339 in UTC with Z") {
    CHECK(to_rfc3339(Timestamp(seconds(0))) == "1970-01-01T00:00:00Z");
    CHECK(to_rfc3339(Timestamp(seconds(1761222896))) == "2025-10-23T12:34:56Z");
    auto t = parse_rfc3339("2025-10-23T12:34:56Z");
    REQUIRE(t.ok());
    CHECK(t->time_since_epoch().count() == 1761222896);
}

TEST_CASE("parsing accepts fractions and offsets, rejects the rest") {
    CHECK(parse_rfc3339("2025-10-23T12:34:56.791Z")->time_since_epoch().count() == 1761222896);
    CHECK(parse_rfc3339("2025-10-23T14:34:56+02:00")->time_since_epoch().count() == 1761222896);
    CHECK(parse_rfc3339("2025-10-23T10:04:56-02:30")->time_since_epoch().count() == 1761222896);
    for (const char* bad : {"", "2025-10-23", "2025-10-23 12:34:56Z", "2025-10-23T12:34:56", "2025-13-01T00:00:00Z",
                            "2025-02-30T00:00:00Z", "2025-10-23T24:00:00Z", "2025-10-23T12:34:56.Z",
                            "2025-10-23T12:34:56Zjunk", "2025-10-23T12:34:56+0200"}) {
        CAPTURE(bad);
        auto t = parse_rfc3339(bad);
        REQUIRE_FALSE(t.ok());
        CHECK(t.error().code == Errc::invalid_argument);
    }
}

TEST_CASE("system and manual clocks") {
    const auto before = time_point_cast<seconds>(system_clock::now());
    CHECK(SystemClock().now() >= before);
    ManualClock clock(Timestamp(seconds(100)));
    CHECK(clock.now().time_since_epoch().count() == 100);
    clock.advance(seconds(5));
    CHECK(clock.now().time_since_epoch().count() == 105);
    clock.set(Timestamp(seconds(7)));
    CHECK(clock.now().time_since_epoch().count() == 7);
}

}
