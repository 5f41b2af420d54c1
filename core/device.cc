#include "core/device.h"

#include <fmt/format.h>

#ifdef TANGO_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace tango {

std::string Device::str() const {
  return is_cpu() ? "cpu" : fmt::format("cuda:{}", ordinal);
}

bool cuda_compiled() {
#ifdef TANGO_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#ifdef TANGO_HAVE_CUDA
  int count = 0;
  // Without a driver or a device this returns an error code: that means zero GPUs, not a crash.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky error so later calls are unaffected
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

std::string describe_devices() {
  if (!cuda_compiled())
    return "no GPU: this build has no CUDA backend (nvcc was not found at configure time)";
  int count = cuda_device_count();
  if (count == 0) return "no GPU: the CUDA runtime reports no usable device (CPU ranks will be used)";
  std::string out;
#ifdef TANGO_HAVE_CUDA
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    out += fmt::format("{}cuda:{} {}, {:.1f} GiB, sm_{}{}", out.empty() ? "" : "\n", i, prop.name,
                       prop.totalGlobalMem / double(1 << 30), prop.major, prop.minor);
  }
#endif
  return out;
}

std::string cuda_pci_bus_id(int ordinal) {
#ifdef TANGO_HAVE_CUDA
  char id[32] = {};
  if (ordinal >= 0 && cudaDeviceGetPCIBusId(id, sizeof id, ordinal) == cudaSuccess) return id;
  (void)cudaGetLastError();
#else
  (void)ordinal;
#endif
  return {};
}

}  // namespace tango
