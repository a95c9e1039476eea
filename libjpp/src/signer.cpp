#include "jpp/signer.hpp"
