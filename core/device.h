// Where a Tensor lives, and GPU discovery that never crashes on a machine without one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tango {

struct Device {
  enum class Kind : uint8_t { kCPU, kCUDA };
  Kind kind = Kind::kCPU;
  int ordinal = 0;

  static Device cpu() { return {}; }
  static Device cuda(int ordinal) { return {Kind::kCUDA, ordinal}; }
  bool is_cpu() const { return kind == Kind::kCPU; }
  bool is_cuda() const { return kind == Kind::kCUDA; }
  bool operator==(const Device&) const = default;
  std::string str() const;  // "cpu" or "cuda:N"
};

// True when this build has the CUDA backend compiled in.
bool cuda_compiled();
// Number of usable GPUs: 0 without the CUDA backend, without a driver or without a device.
int cuda_device_count();
// One line per GPU ("cuda:0 NVIDIA H100 80GB HBM3, 79.1 GiB, sm_90"), or why there is none.
std::string describe_devices();
// The PCI bus id of visible GPU `ordinal` ("0000:3b:00.0"): the same physical GPU gives the same id in
// every process of a node, whatever CUDA_VISIBLE_DEVICES renumbers. Empty without such a GPU.
std::string cuda_pci_bus_id(int ordinal);

// Bytes held by live Tensors on a device kind, now and at the peak since the last reset.
struct MemoryStats {
  int64_t current_bytes = 0;
  int64_t peak_bytes = 0;
};
MemoryStats memory_stats(Device::Kind kind);
void reset_peak_memory(Device::Kind kind);

}  // namespace tango
