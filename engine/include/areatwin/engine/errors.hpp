// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <stdexcept>
#include <string>

namespace areatwin {

// One base type for every error the engine raises; cli/ maps the kind to an exit code
// (ConfigError and DataError: 2, InternalError and anything else: 1).
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The batch file, a parameter or a command-line value is wrong.
class ConfigError : public Error {
public:
    using Error::Error;
};

// An input file, layer, feature or attribute is missing, unreadable or out of range.
class DataError : public Error {
public:
    using Error::Error;
};

// A bug or an environment failure (out of memory, a library call that should not fail).
class InternalError : public Error {
public:
    using Error::Error;
};

}  // namespace areatwin
