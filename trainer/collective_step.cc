#include "trainer/collective_step.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <vector>

#include "core/error.h"

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

}  // namespace tango::trainer
