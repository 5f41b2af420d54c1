#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"

namespace tango::io {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors stores little-endian bytes");

constexpr uint64_t kMaxHeaderBytes = 100 << 20;  // the reference implementation's limit

struct DTypeName {
  DType dtype;
  const char* name;
};
constexpr DTypeName kDTypes[] = {
    {DType::kF32, "F32"}, {DType::kI32, "I32"}, {DType::kI64, "I64"}, {DType::kI8, "I8"}, {DType::kU8, "U8"}};

const char* safetensors_dtype(DType dtype) {
  for (const DTypeName& d : kDTypes) {
    if (d.dtype == dtype) return d.name;
  }
  TANGO_FAIL("safetensors: no dtype name for {}", dtype_name(dtype));
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Shape tensor_shape(const std::vector<int64_t>& shape) {
  return shape.size() == 2 ? Shape::mat(shape[0], shape[1]) : Shape::vec(element_count(shape));
}

// One tensor's header entry, checked: known dtype, non-negative dims, offsets that hold dtype x shape.
struct HeaderEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

HeaderEntry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& j) {
  auto bad = [&](const std::string& why) {
    TANGO_FAIL_INPUT("'{}' is not a valid safetensors file: tensor '{}' {}", path, name, why);
  };
  if (!j.is_object() || !j.contains("dtype") || !j.contains("shape") || !j.contains("data_offsets"))
    bad("lacks dtype, shape or data_offsets");
  HeaderEntry e;
  e.name = name;
  const nlohmann::json& dtype = j["dtype"];
  const DTypeName* found = nullptr;
  for (const DTypeName& d : kDTypes) {
    if (dtype.is_string() && dtype.get<std::string>() == d.name) found = &d;
  }
  if (found == nullptr) bad(fmt::format("has dtype {}; Tango reads F32, I32, I64, I8 and U8", dtype.dump()));
  e.dtype = found->dtype;
  if (!j["shape"].is_array()) bad("has a shape that is not a list");
  for (const nlohmann::json& d : j["shape"]) {
    if (!d.is_number_unsigned()) bad(fmt::format("has a shape entry {} that is not a size", d.dump()));
    e.shape.push_back(d.get<int64_t>());
  }
  const nlohmann::json& offsets = j["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    bad("has data_offsets that are not two byte offsets");
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  const uint64_t want = static_cast<uint64_t>(element_count(e.shape)) * dtype_size(e.dtype);
  if (e.end < e.begin || e.end - e.begin != want)
    bad(fmt::format("of shape {} {} needs {} bytes but its data_offsets [{}, {}] hold {}", shape_str(e.shape),
                    found->name, want, e.begin, e.end, e.end >= e.begin ? e.end - e.begin : 0));
  return e;
}

}  // namespace

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += fmt::format("{}{}", i > 0 ? ", " : "", shape[i]);
  return s + "]";
}

SafetensorsEntry safetensors_entry(const Tensor& values, std::vector<int64_t> shape) {
  TANGO_CHECK(values.device().is_cpu() && element_count(shape) == values.numel(),
              "a safetensors entry of shape {} cannot hold {}", shape_str(shape), values.str());
  SafetensorsEntry entry;
  entry.values = values.reshaped(tensor_shape(shape));
  entry.shape = std::move(shape);
  return entry;
}

void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  nlohmann::json header = nlohmann::json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  uint64_t offset = 0;
  for (const auto& [name, entry] : file.tensors) {
    TANGO_CHECK(name != "__metadata__", "'__metadata__' is not a tensor name");
    const uint64_t bytes = entry.values.nbytes();
    header[name] = {{"dtype", safetensors_dtype(entry.values.dtype())},
                    {"shape", entry.shape},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - (text.size() % 8)) % 8, ' ');  // the data starts 8-byte aligned
  const uint64_t header_bytes = text.size();

  AtomicFile atomic(path);
  std::FILE* out = std::fopen(atomic.temp_path().c_str(), "wb");
  TANGO_CHECK_INPUT(out != nullptr, "cannot create '{}': {} (check the folder exists and is writable)",
                    atomic.temp_path(), std::strerror(errno));
  bool ok = std::fwrite(&header_bytes, 8, 1, out) == 1 &&
            std::fwrite(text.data(), 1, text.size(), out) == text.size();
  for (const auto& [name, entry] : file.tensors) {
    const Tensor host = entry.values.device().is_cpu() ? entry.values : entry.values.to(Device::cpu());
    if (host.nbytes() > 0) ok = ok && std::fwrite(host.raw_data(), 1, host.nbytes(), out) == host.nbytes();
  }
  ok = std::fflush(out) == 0 && ok;
  std::fclose(out);
  if (!ok) TANGO_FAIL("writing '{}' failed (disk full?)", atomic.temp_path());
  atomic.commit();
}

SafetensorsFile read_safetensors(const std::string& path) {
  TANGO_CHECK_INPUT(std::filesystem::is_regular_file(path), "'{}' does not exist or is not a file", path);
  std::ifstream in(path, std::ios::binary);
  TANGO_CHECK_INPUT(in.good(), "cannot read '{}'", path);
  const uint64_t file_bytes = std::filesystem::file_size(path);
  uint64_t header_bytes = 0;
  TANGO_CHECK_INPUT(file_bytes >= 8 && in.read(reinterpret_cast<char*>(&header_bytes), 8),
                    "'{}' is not a safetensors file: {} bytes, shorter than the 8-byte header length", path,
                    file_bytes);
  TANGO_CHECK_INPUT(
      header_bytes <= kMaxHeaderBytes && header_bytes <= file_bytes - 8,
      "'{}' is not a safetensors file (or is truncated): its first 8 bytes give a {}-byte header, "
      "the file has {} bytes",
      path, header_bytes, file_bytes);
  std::string text(header_bytes, '\0');
  TANGO_CHECK_INPUT(in.read(text.data(), static_cast<std::streamsize>(header_bytes)), "cannot read '{}'",
                    path);
  nlohmann::json header;
  try {
    TANGO_CHECK_INPUT(!text.empty() && text[0] == '{',
                      "'{}' is not a safetensors file: its header is not JSON", path);
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error&) {
    TANGO_FAIL_INPUT("'{}' is not a safetensors file: its header is not JSON", path);
  }
  TANGO_CHECK_INPUT(header.is_object(), "'{}' is not a safetensors file: its header is not a JSON object",
                    path);

  SafetensorsFile file;
  std::vector<HeaderEntry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      TANGO_CHECK_INPUT(value.is_object(), "'{}': __metadata__ is not a JSON object", path);
      for (const auto& [key, text_value] : value.items()) {
        TANGO_CHECK_INPUT(text_value.is_string(), "'{}': __metadata__ key '{}' is not a string", path, key);
        file.metadata[key] = text_value.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(path, name, value));
  }
  // The tensors tile the data buffer: sorted by offset, each starts where the previous ended.
  std::sort(entries.begin(), entries.end(), [](const HeaderEntry& a, const HeaderEntry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t expected_begin = 0;
  for (const HeaderEntry& e : entries) {
    TANGO_CHECK_INPUT(e.begin == expected_begin,
                      "'{}' is not a valid safetensors file: tensor '{}' starts at data byte {}, expected {}",
                      path, e.name, e.begin, expected_begin);
    expected_begin = e.end;
  }
  const uint64_t data_bytes = file_bytes - 8 - header_bytes;
  TANGO_CHECK_INPUT(expected_begin <= data_bytes,
                    "'{}' is truncated: its tensors need {} bytes after the header, the file holds {}", path,
                    expected_begin, data_bytes);
  TANGO_CHECK_INPUT(expected_begin == data_bytes,
                    "'{}' is not a valid safetensors file: {} bytes follow the last tensor", path,
                    data_bytes - expected_begin);
  for (const HeaderEntry& e : entries) {
    SafetensorsEntry entry;
    entry.shape = e.shape;
    entry.values = Tensor::empty(e.dtype, tensor_shape(e.shape));
    in.seekg(static_cast<std::streamoff>(8 + header_bytes + e.begin));
    TANGO_CHECK_INPUT(e.end == e.begin || in.read(static_cast<char*>(entry.values.raw_data()),
                                                  static_cast<std::streamsize>(e.end - e.begin)),
                      "cannot read tensor '{}' of '{}'", e.name, path);
    file.tensors[e.name] = std::move(entry);
  }
  return file;
}

}  // namespace tango::io
