#include "core/error.h"

#include <cstring>

namespace tango {

namespace {
std::string basename_of(const char* file) {
  const char* slash = std::strrchr(file, '/');
  return slash ? slash + 1 : file;
}
}  // namespace

Error::Error(ErrorKind kind, std::string message, const char* file, int line)
    : std::runtime_error(std::move(message)), kind_(kind) {
  if (file && *file) where_ = basename_of(file) + ":" + std::to_string(line);
}

namespace detail {
void fail(ErrorKind kind, const char* file, int line, std::string message) {
  throw Error(kind, std::move(message), file, line);
}
}  // namespace detail

}  // namespace tango
