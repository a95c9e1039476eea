#include "jpp/token.hpp"
