// The world communicator of a multi-rank comm test program (made by mpi_test_main.cc's main()).
#pragma once

#include "comm/communicator.h"

namespace tango::testing {

comm::Communicator& world();

}  // namespace tango::testing
