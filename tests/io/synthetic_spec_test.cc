// Parsing and printing of "synthetic:..." spec strings: round trips, and every bad input rejected with a
// message that names the key or value at fault and lists the accepted keys.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "io/synthetic.h"

namespace tango::io {
namespace {

// The input error thrown for `spec`; fails the test when none is thrown.
Error parse_error(const std::string& spec) {
  try {
    parse_synthetic_spec(spec);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "'" << spec << "' parsed without an error";
  return Error(ErrorKind::kRuntime, "no error");
}

TEST(SyntheticSpec, BarePrefixGivesTheDefaults) {
  EXPECT_EQ(parse_synthetic_spec("synthetic"), SyntheticSpec{});
  EXPECT_EQ(parse_synthetic_spec("synthetic:"), SyntheticSpec{});
}

TEST(SyntheticSpec, ParsesEveryKey) {
  const SyntheticSpec spec = parse_synthetic_spec(
      "synthetic:nodes=1000,avg_degree=7.5,classes=5,features=33,homophily=0.25,seed=42");
  EXPECT_EQ(spec.nodes, 1000);
  EXPECT_EQ(spec.avg_degree, 7.5);
  EXPECT_EQ(spec.classes, 5);
  EXPECT_EQ(spec.features, 33);
  EXPECT_EQ(spec.homophily, 0.25);
  EXPECT_EQ(spec.seed, 42u);
}

TEST(SyntheticSpec, KeysMayComeInAnyOrderAndSomeMayBeLeftOut) {
  const SyntheticSpec spec = parse_synthetic_spec("synthetic:seed=9,nodes=500");
  SyntheticSpec expected;
  expected.nodes = 500;
  expected.seed = 9;
  EXPECT_EQ(spec, expected);
}

TEST(SyntheticSpec, IntegersMayBeWrittenAsExactDecimals) {
  EXPECT_EQ(parse_synthetic_spec("synthetic:nodes=1e6").nodes, 1000000);
  EXPECT_EQ(parse_synthetic_spec("synthetic:features=128.0").features, 128);
  EXPECT_EQ(parse_synthetic_spec("synthetic:seed=18446744073709551615").seed, 18446744073709551615ull);
}

TEST(SyntheticSpec, StrIsCanonicalAndParsesBackEqual) {
  SyntheticSpec spec;
  EXPECT_EQ(spec.str(), "synthetic:nodes=10000,avg_degree=20,classes=8,features=64,homophily=0.8,seed=1");
  spec.nodes = 123457;
  spec.avg_degree = 0.1 + 0.2;  // not exactly representable: the shortest round-trip form must be printed
  spec.classes = 3;
  spec.features = 1;
  spec.homophily = 1.0 / 3.0;
  spec.seed = 18446744073709551615ull;
  EXPECT_EQ(parse_synthetic_spec(spec.str()), spec);
  EXPECT_EQ(parse_synthetic_spec(spec.str()).str(), spec.str());
  // hub_exponent is printed only when it is not the default, so existing names do not change.
  EXPECT_EQ(spec.str().find("hub_exponent"), std::string::npos);
  spec.hub_exponent = 0.9;
  EXPECT_NE(spec.str().find(",hub_exponent=0.9,"), std::string::npos);
  EXPECT_EQ(parse_synthetic_spec(spec.str()), spec);
}

struct BadSpec {
  const char* spec;
  const char* must_mention;  // the key or value the message has to name
};

class SyntheticSpecRejects : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SyntheticSpecRejects, WithAnInputErrorNamingTheProblemAndTheAcceptedKeys) {
  const Error error = parse_error(GetParam().spec);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
  const std::string message = error.what();
  EXPECT_NE(message.find(GetParam().must_mention), std::string::npos) << message;
  EXPECT_NE(message.find("accepted keys: nodes"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, SyntheticSpecRejects,
    ::testing::Values(
        BadSpec{"ogb:nodes=10", "starts with 'synthetic:'"}, BadSpec{"synthetic;nodes=10", "expected ':'"},
        BadSpec{"synthetic:nodes", "'nodes' has no '='"}, BadSpec{"synthetic:nodes=10,,seed=1", "empty item"},
        BadSpec{"synthetic:nodes=10,", "empty item"}, BadSpec{"synthetic:edges=10", "unknown key 'edges'"},
        BadSpec{"synthetic:nodes=10,nodes=20", "'nodes' is given twice"},
        BadSpec{"synthetic:nodes=ten", "nodes=ten is not a number"},
        BadSpec{"synthetic:nodes=", "nodes= is not a number"},
        BadSpec{"synthetic:nodes=12.5", "nodes=12.5 is not an integer"},
        BadSpec{"synthetic:nodes=2", "nodes=2"}, BadSpec{"synthetic:nodes=-5", "nodes=-5"},
        BadSpec{"synthetic:nodes=1e30", "nodes=1e30 is out of range"},
        BadSpec{"synthetic:avg_degree=0", "avg_degree=0"},
        BadSpec{"synthetic:avg_degree=-1", "avg_degree=-1"},
        BadSpec{"synthetic:nodes=10,avg_degree=9.5", "avg_degree=9.5"},
        BadSpec{"synthetic:avg_degree=nan", "avg_degree=nan is not a number"},
        BadSpec{"synthetic:avg_degree=inf", "avg_degree=inf is not a number"},
        BadSpec{"synthetic:avg_degree=5x", "avg_degree=5x is not a number"},
        BadSpec{"synthetic:classes=1", "classes=1"}, BadSpec{"synthetic:nodes=10,classes=11", "classes=11"},
        BadSpec{"synthetic:classes=3000000000", "classes=3000000000 is out of range"},
        BadSpec{"synthetic:features=0", "features=0"},
        BadSpec{"synthetic:features=abc", "features=abc is not a number"},
        BadSpec{"synthetic:homophily=1.5", "homophily=1.5"},
        BadSpec{"synthetic:homophily=-0.1", "homophily=-0.1"},
        BadSpec{"synthetic:homophily=high", "homophily=high is not a number"},
        BadSpec{"synthetic:hub_exponent=0.4", "hub_exponent=0.4"},
        BadSpec{"synthetic:hub_exponent=1.1", "hub_exponent=1.1"},
        BadSpec{"synthetic:seed=-1", "seed=-1 is out of range"},
        BadSpec{"synthetic:seed=0x10", "seed=0x10 is not a number"}));

TEST(SyntheticSpec, GenerateChecksSpecsBuiltInCode) {
  SyntheticSpec spec;
  spec.classes = 1;
  try {
    generate_synthetic(spec);
    FAIL() << "a one-class spec was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("classes=1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tango::io
