#include "jpp/base58.hpp"
