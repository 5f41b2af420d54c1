#include "partition/part_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "partition/assignment.h"
#include "partition/part_builder.h"
#include "tests/common/test_data.h"
#include "tests/partition/part_invariants.h"
#include "tests/partition/tiny_datasets.h"

namespace tango {
namespace {

namespace fs = std::filesystem;

std::vector<partition::PartitionPart> build_grid_parts(const io::Dataset& d, int32_t k) {
  partition::PartitionOptions options;
  options.num_parts = k;
  partition::PartLayout layout = partition::plan_layout(d.graph, partition::assign_parts(d, options), k);
  std::vector<partition::PartitionPart> parts;
  for (int32_t p = 0; p < k; ++p) parts.push_back(partition::build_part(d, layout, p, true));
  return parts;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

TEST(PartFile, WriteThenReadGivesTheSameParts) {
  testing::TempDir dir;
  io::Dataset d = testing::grid_dataset(7, 9);
  std::vector<partition::PartitionPart> parts = build_grid_parts(d, 3), read_back;
  for (const auto& part : parts)
    partition::write_part(part, dir.file(partition::part_file_name(part.part_id)));
  for (int32_t p = 0; p < 3; ++p)
    read_back.push_back(partition::read_part(dir.file(partition::part_file_name(p))));
  for (int32_t p = 0; p < 3; ++p) {
    EXPECT_EQ(read_back[p].num_inner, parts[p].num_inner);
    EXPECT_EQ(read_back[p].num_classes, 3);
    EXPECT_EQ(read_back[p].num_global_nodes, 63);
    EXPECT_EQ(read_back[p].local_graph.indices.to_vector<int32_t>(),
              parts[p].local_graph.indices.to_vector<int32_t>());
    EXPECT_EQ(read_back[p].send_rows.to_vector<int64_t>(), parts[p].send_rows.to_vector<int64_t>());
  }
  testing::expect_parts_match_dataset(d, read_back);
  EXPECT_EQ(partition::part_file_name(3), "part-00003.h5");
}

TEST(PartFile, ValidateNamesTheFileAndTheProblem) {
  io::Dataset d = testing::grid_dataset(4, 4);
  std::vector<partition::PartitionPart> parts = build_grid_parts(d, 2);
  partition::PartitionPart bad = parts[0];
  bad.send_rows = bad.send_rows.clone();
  bad.send_rows.data<int64_t>()[0] = 0;  // an inner row cannot be sent
  EXPECT_NE(error_of([&] { partition::validate_part(bad, "x.h5"); }).find("'x.h5': send row 0"),
            std::string::npos);

  bad = parts[0];
  bad.local_graph.indices = bad.local_graph.indices.clone();
  bad.local_graph.indices.data<int32_t>()[0] = 1000;
  EXPECT_NE(error_of([&] { partition::validate_part(bad, "x.h5"); }).find("outside"), std::string::npos);

  bad = parts[0];
  bad.num_inner = bad.num_owned;  // boundary rows would then be "inner" with halo columns
  EXPECT_NE(error_of([&] { partition::validate_part(bad, "x.h5"); }).find("inner row"), std::string::npos);

  bad = parts[1];
  bad.labels = bad.labels.clone();
  bad.labels.data<int32_t>()[0] = 7;
  EXPECT_NE(error_of([&] { partition::validate_part(bad, "x.h5"); }).find("label 7"), std::string::npos);
}

TEST(PartFile, ReadRejectsFilesThatAreNotParts) {
  testing::TempDir dir;
  EXPECT_NE(error_of([&] { partition::read_part(dir.file("missing.h5")); }).find("missing.h5"),
            std::string::npos);
  std::FILE* f = std::fopen(dir.file("junk.h5").c_str(), "w");
  std::fputs("not hdf5", f);
  std::fclose(f);
  EXPECT_NE(error_of([&] { partition::read_part(dir.file("junk.h5")); }).find("junk.h5"), std::string::npos);
}

TEST(PartFile, KillDuringWriteLeavesNoFileUnderTheFinalName) {
  testing::TempDir dir;
  io::Dataset d = testing::grid_dataset(20, 20);
  std::vector<partition::PartitionPart> parts = build_grid_parts(d, 2);
  const std::string path = dir.file("part-00000.h5");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The writer dies after half of the datasets, as a kill -9 or a power cut would leave it.
    partition::testing::set_part_write_midpoint_hook(
        [](const std::string& temp_path) { _exit(fs::file_size(temp_path) > 0 ? 42 : 43); });
    partition::write_part(parts[0], path);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 42) << "the writer did not stop midway with a partly written temp file";
  EXPECT_FALSE(fs::exists(path));
  int temp_files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    temp_files += entry.path().filename().string().starts_with("part-00000.h5.tmp-");
  EXPECT_EQ(temp_files, 1);
  // Writing again (a re-run) succeeds and gives a readable file.
  partition::write_part(parts[0], path);
  EXPECT_EQ(partition::read_part(path).num_owned, parts[0].num_owned);
}

}  // namespace
}  // namespace tango
