// One error type for the whole project, with the context a user needs to act on it.
//
// An Error says what failed, names the file/value involved, and what to do, in one line. Its kind
// decides the process exit code: bad input or usage -> 2, anything else at run time -> 1.
// The TANGO_CHECK* macros format their message with fmt and record file:line for the debug log.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace tango {

enum class ErrorKind {
  kInvalidInput,  // the user's data, flags or files are wrong: exit code 2
  kRuntime,       // a library call or an internal invariant failed: exit code 1
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, const char* file = "", int line = 0);

  ErrorKind kind() const { return kind_; }
  int exit_code() const { return kind_ == ErrorKind::kInvalidInput ? 2 : 1; }
  // "file.cc:123" of the check that failed (for the debug log; users read what()).
  const std::string& where() const { return where_; }

 private:
  ErrorKind kind_;
  std::string where_;
};

namespace detail {
[[noreturn]] void fail(ErrorKind kind, const char* file, int line, std::string message);
}  // namespace detail

}  // namespace tango

// Fails with an input error (exit 2): the message names the file/value and says what to do.
#define TANGO_FAIL_INPUT(...) \
  ::tango::detail::fail(::tango::ErrorKind::kInvalidInput, __FILE__, __LINE__, fmt::format(__VA_ARGS__))
// Fails with a runtime error (exit 1).
#define TANGO_FAIL(...) \
  ::tango::detail::fail(::tango::ErrorKind::kRuntime, __FILE__, __LINE__, fmt::format(__VA_ARGS__))

#define TANGO_CHECK_INPUT(cond, ...) \
  do {                               \
    if (!(cond)) [[unlikely]]        \
      TANGO_FAIL_INPUT(__VA_ARGS__); \
  } while (0)

// An internal invariant; the message should still say what was expected and what was seen.
#define TANGO_CHECK(cond, ...)                                                       \
  do {                                                                               \
    if (!(cond)) [[unlikely]]                                                        \
      TANGO_FAIL("internal check '{}' failed: {}", #cond, fmt::format(__VA_ARGS__)); \
  } while (0)
