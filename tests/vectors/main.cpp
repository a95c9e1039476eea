// Runs the public test vectors when their folder exists, and skips (exit 77, which CTest reports as skipped)
// with a notice when it does not: a user's clone has no vectors, CI does.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "vectors.hpp"

int main(int argc, char** argv) {
    const auto dir = jpp::vectors::dir();
    if (dir.empty() || !std::filesystem::is_directory(dir)) {
        std::printf("SKIPPED: public test vectors not found (JPP_VECTORS_DIR=%s); nothing was checked\n",
                    dir.string().c_str());
        return 77;
    }
    std::printf("public test vectors from %s\n", dir.string().c_str());
    doctest::Context context(argc, argv);
    return context.run();
}
