#include "trainer/collective_step.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include "core/error.h"
#include "trainer/collective_error.h"

namespace tango::trainer {

void print_error(const std::string& program, const std::string& what) {
  fmt::print(stderr, "{}: error: {}\n", program, what);
}

int run_collective_step(comm::Communicator& comm, const std::string& program,
                        const std::function<void()>& step) {
  int64_t status = 0;
  std::string message;
  try {
    step();
  } catch (const Error& e) {
    message = e.what();
    status = e.exit_code();
  } catch (const std::exception& e) {
    message = e.what();
    status = 1;
  }
  const std::vector<int64_t> statuses = comm.allgather(status);
  if (status != 0 && (comm.rank() == 0 || statuses[0] == 0))
    print_error(program,
                fmt::format("{}{}", comm.size() > 1 ? fmt::format("rank {}: ", comm.rank()) : "", message));
  return static_cast<int>(*std::max_element(statuses.begin(), statuses.end()));
}

void run_on_rank0(comm::Communicator& comm, const std::string& what, const std::function<void()>& work) {
  struct Status {
    int32_t exit_code = 0;  // 0: done
    char message[1020] = {};
  } status;
  if (comm.rank() == 0) {
    try {
      work();
    } catch (const std::exception& e) {
      const auto* error = dynamic_cast<const Error*>(&e);
      status.exit_code = error != nullptr ? error->exit_code() : 1;
      std::strncpy(status.message, e.what(), sizeof status.message - 1);
    }
  }
  comm.broadcast_bytes(&status, sizeof status, 0);
  if (status.exit_code == 0) return;
  const ErrorKind kind = status.exit_code == 2 ? ErrorKind::kInvalidInput : ErrorKind::kRuntime;
  if (comm.rank() == 0) throw CollectiveError(kind, status.message, /*print_here=*/true);
  throw CollectiveError(kind, fmt::format("rank 0 failed at {}: {}", what, status.message),
                        /*print_here=*/false);
}

}  // namespace tango::trainer
