// SHA-256 of a file (OpenSSL's EVP digest), streamed in 1 MiB blocks; used by the manifest so that
// --verify and the trainer can tell a damaged or half-copied part file from a good one.
#pragma once

#include <string>

namespace tango::partition {

// Lower-case hex digest (64 characters). An unreadable file is an input error naming it.
std::string sha256_file(const std::string& path);

}  // namespace tango::partition
